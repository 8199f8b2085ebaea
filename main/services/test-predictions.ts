import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ImagePrediction } from '../api/contract';
import type { ExperimentResults } from '../results/types';

/** Reading a stored run's answer for one test image: where the image is, what the run predicted. */

/** Where a test file lives: below the separate test folder when the experiment had one, else below the dataset root. */
export function absoluteTestPath(results: ExperimentResults, file: string): string {
  const roots = [results.config.testData, results.dataset.root].filter((r): r is string => typeof r === 'string');
  for (const root of roots) {
    const candidate = path.resolve(root, file);
    if (existsSync(candidate)) return candidate;
  }
  return path.resolve(results.dataset.root, file);
}

/** Predicted class and its softmax probability for row `row` of row-major logits. */
export function predictionAt(logits: ArrayLike<number>, row: number, classes: number): ImagePrediction {
  const start = row * classes;
  let predicted = 0;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    if (logits[start + c]! > max) {
      max = logits[start + c]!;
      predicted = c;
    }
  }
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += Math.exp(logits[start + c]! - max);
  return { predicted, confidence: 1 / sum };
}
