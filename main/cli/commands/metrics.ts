import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { reliabilityDiagram } from '../../metrics/calibration';
import { computeMetrics } from '../../metrics/classification';
import { parseClassList, parseCountList, parseLabelsFile, parseProbsFile, resolveMetricsInput } from '../../metrics/files';
import { formatMetricsJson, formatMetricsText, type MetricsReport } from '../../metrics/format';

export interface MetricsCommandOptions {
  labels: string;
  probs: string;
  classes?: string;
  trainCounts?: string;
  json?: boolean;
}

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new Error(`cannot read ${what} file ${path}: ${reason}`);
  }
}

/** Everything `losslab metrics` does except printing: read, check, compute. */
export function buildMetricsReport(options: MetricsCommandOptions): MetricsReport {
  const labelsText = readInput(options.labels, 'labels');
  const probsText = readInput(options.probs, 'probabilities');
  const input = resolveMetricsInput({
    labels: parseLabelsFile(labelsText, options.labels),
    probs: parseProbsFile(probsText, options.probs),
    ...(options.classes !== undefined ? { classes: parseClassList(options.classes) } : {}),
    labelsFile: options.labels,
    probsFile: options.probs,
  });
  const trainCounts = options.trainCounts !== undefined ? parseCountList(options.trainCounts) : undefined;
  if (trainCounts && trainCounts.length !== input.classNames.length) {
    throw new Error(`--train-counts has ${trainCounts.length} numbers for ${input.classNames.length} classes`);
  }
  const metrics = computeMetrics({
    labels: input.labels,
    probs: input.probs,
    classNames: input.classNames,
    ...(trainCounts ? { trainCounts } : {}),
  });
  return {
    classes: input.classNames,
    samples: input.labels.length,
    metrics,
    reliability: reliabilityDiagram(input.probs, input.labels, input.classNames.length),
    warnings: input.warnings,
  };
}

/** Text or JSON output of `losslab metrics`. */
export function runMetricsCommand(options: MetricsCommandOptions): string {
  const report = buildMetricsReport(options);
  return options.json ? formatMetricsJson(report) : formatMetricsText(report);
}

export function registerMetricsCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): void {
  program
    .command('metrics')
    .description("compute LossLab's test metrics for predictions made elsewhere (scikit-learn definitions)")
    .requiredOption('--labels <file>', 'true labels: CSV/text with one label per line, or a JSON array; class indices (0-based) or names')
    .requiredOption('--probs <file>', 'predicted probabilities: CSV with one row per sample (optional header of class names), or JSON array of rows')
    .option('--classes <names>', 'comma-separated class names in probability-column order')
    .option('--train-counts <counts>', 'comma-separated training images per class, for many/medium/few-shot accuracy')
    .option('--json', 'print JSON instead of a table')
    .action((flags: MetricsCommandOptions) => {
      write(runMetricsCommand(flags));
    });
}
