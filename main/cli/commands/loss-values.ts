import fs from 'node:fs';
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseParamAssignments } from '../../losses/params';
import { parseNumberList, parseNumberTable } from '../../losses/table-input';
import { computeLossValues } from '../../losses/values';

/**
 * `losslab loss-values --loss ID [--param k=v ...] --logits FILE --labels FILE [--class-counts FILE]`
 * prints {loss, params, reduction, perSample, mean, gradient} as JSON so a user can check a
 * loss against their own framework. Files are JSON arrays or CSV (see losses/table-input.ts).
 * Runs on the pure-JS 'cpu' backend: exact float32 and no warm-up.
 */

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseWholeNumber(name: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw new Error(`${name} must be a whole number, got "${value}".`);
    return Number(value);
  };
}

interface LossValuesFlags {
  loss: string;
  param: string[];
  logits: string;
  labels: string;
  classCounts?: string;
  epoch?: number;
  totalEpochs?: number;
}

export function registerLossValuesCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  return program
    .command('loss-values')
    .description('print one loss\'s per-sample values, batch loss and gradient for given logits and labels (JSON)')
    .requiredOption('--loss <id>', 'loss id (see `losslab losses`)')
    .option('--param <key=value>', 'loss hyperparameter, repeatable (e.g. gamma=1)', (v: string, all: string[]) => [...all, v], [] as string[])
    .requiredOption('--logits <file>', 'logits [B, C] (embeddings [B, D] for contrastive losses): JSON array of rows or CSV')
    .requiredOption('--labels <file>', 'class index per row: JSON array or CSV (one row or one column)')
    .option('--class-counts <file>', 'training images per class, for losses that use them: JSON array or CSV')
    .option('--epoch <n>', '0-based epoch, for LDAM-DRW (default 0)', parseWholeNumber('--epoch'))
    .option('--total-epochs <n>', 'total epochs, for LDAM-DRW (default 1)', parseWholeNumber('--total-epochs'))
    .action(async (flags: LossValuesFlags) => {
      const output = parseNumberTable(readText(flags.logits, 'logits'), flags.logits);
      const labels = parseNumberList(readText(flags.labels, 'labels'), flags.labels);
      const classCounts = flags.classCounts ? parseNumberList(readText(flags.classCounts, 'class counts'), flags.classCounts) : undefined;
      // Production mode only silences tfjs's console banner ("install tfjs-node"), which would
      // otherwise land on stderr of a command whose whole point is clean machine-readable output.
      tf.enableProdMode();
      await tf.setBackend('cpu');
      const result = computeLossValues({
        lossId: flags.loss,
        params: parseParamAssignments(flags.param),
        output,
        labels,
        ...(classCounts ? { classCounts } : {}),
        ...(flags.epoch !== undefined ? { epoch: flags.epoch } : {}),
        ...(flags.totalEpochs !== undefined ? { totalEpochs: flags.totalEpochs } : {}),
      });
      write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
