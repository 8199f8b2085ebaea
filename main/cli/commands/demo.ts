import type { Command } from 'commander';
import { sampleDatasetPath } from '../../dataset/sample';
import { experimentConfigSchema, parseExperimentConfig, type ExperimentConfigInput } from '../../experiment/config';
import { executeExperiment } from '../execute';
import { addTrainingOptions } from './run';
import { parseModel, parseSeeds } from '../options';

/** The built-in job: the sample digits at a long-tail ratio of 10, three losses that treat imbalance differently. */
export function demoConfig(
  overrides: { epochs?: number; seeds?: number[]; backend?: string; workers?: number; model?: ExperimentConfigInput['model'] } = {},
): ExperimentConfigInput {
  return {
    name: 'LossLab demo: long-tailed digits',
    data: sampleDatasetPath(),
    imageSize: 28,
    imbalance: { kind: 'exp', ratio: 10 },
    losses: [{ id: 'ce' }, { id: 'focal' }, { id: 'balanced-softmax' }],
    seeds: overrides.seeds ?? [1],
    training: { epochs: overrides.epochs ?? 20, batchSize: 32 },
    ...(overrides.model ? { model: overrides.model } : {}),
    ...(overrides.backend ? { backend: overrides.backend as 'auto' } : {}),
    ...(overrides.workers !== undefined ? { workers: overrides.workers } : {}),
  };
}

export function registerDemoCommand(program: Command): void {
  const command = program
    .command('demo')
    .description('compare cross-entropy, focal and balanced softmax on the built-in long-tailed sample digits')
    .option('--model <name>', 'network: cnn (default), resnet-20, resnet-32, resnet-56');
  addTrainingOptions(command, experimentConfigSchema.parse(demoConfig())).action(async (flags: { model?: string; epochs?: number; seeds?: string; out?: string; backend?: string; workers?: number; cache: boolean }) => {
    const config = parseExperimentConfig(
      demoConfig({
        ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
        ...(flags.seeds ? { seeds: parseSeeds(flags.seeds) } : {}),
        ...(flags.backend ? { backend: flags.backend } : {}),
        ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        ...(flags.model ? { model: parseModel(flags.model) } : {}),
      }),
    );
    await executeExperiment(config, { cache: flags.cache, label: 'demo', ...(flags.out ? { out: flags.out } : {}) });
  });
}
