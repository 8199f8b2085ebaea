import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write';
import { csvRow } from '../util/csv';
import { argmaxRows } from '../metrics/predictions';
import { softmaxRows } from '../util/softmax';
import type { ExperimentOutput } from '../experiment/run-experiment';
import { HEADLINE_METRICS } from './types';

export interface WrittenFiles {
  results: string;
  predictions: string;
  metrics: string;
  logits: string;
}

/**
 * Writes results.json, predictions.csv (one row per run and test image), metrics.csv (one row
 * per run) and logits.json (raw test and validation logits, for calibration and post-hoc
 * adjustment), each atomically so that an interrupted write never leaves a torn file.
 */
export function writeExperimentOutput(output: ExperimentOutput, dir: string): WrittenFiles {
  const { results } = output;
  const files: WrittenFiles = {
    results: path.join(dir, 'results.json'),
    predictions: path.join(dir, 'predictions.csv'),
    metrics: path.join(dir, 'metrics.csv'),
    logits: path.join(dir, 'logits.json'),
  };
  const C = results.classes.length;

  const predictionLines = [csvRow(['run', 'file', 'true_class', 'predicted_class', ...results.classes.map((c) => `p_${c}`)])];
  for (const run of results.runs) {
    const logits = output.logits.get(run.runId);
    if (!logits) continue;
    const probs = softmaxRows(logits.test, C);
    const predicted = argmaxRows(probs, C);
    results.testItems.forEach((item, i) => {
      const row = Array.from(probs.subarray(i * C, (i + 1) * C));
      predictionLines.push(csvRow([run.runId, item.file, results.classes[item.classIndex], results.classes[predicted[i] as number], ...row]));
    });
  }

  const metricLines = [csvRow(['run', 'loss', 'seed', 'status', ...HEADLINE_METRICS, 'trainSeconds', 'imagesPerSecond'])];
  for (const run of results.runs) {
    metricLines.push(
      csvRow([run.runId, run.lossKey, run.seed, run.status, ...HEADLINE_METRICS.map((m) => run.metrics?.[m] ?? null), run.trainSeconds ?? null, run.imagesPerSecond ?? null]),
    );
  }

  const logitsJson = {
    classes: results.classes,
    testItems: results.testItems,
    valItems: output.valItems,
    runs: Object.fromEntries(
      [...output.logits.entries()].map(([runId, l]) => [runId, { test: Array.from(l.test), testLast: Array.from(l.testLast), val: Array.from(l.val) }]),
    ),
  };

  writeFileAtomic(files.logits, JSON.stringify(logitsJson));
  writeFileAtomic(files.predictions, predictionLines.join('\n') + '\n');
  writeFileAtomic(files.metrics, metricLines.join('\n') + '\n');
  // results.json last: its presence marks a complete experiment folder.
  writeFileAtomic(files.results, JSON.stringify(results, null, 2) + '\n');
  return files;
}
