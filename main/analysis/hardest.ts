import type { HardClass, MisclassifiedExample } from './types';
import type { Variant } from './variants';

/**
 * The classes the trained models find hardest — lowest recall averaged over every trained
 * run — and, per class, the test images misclassified by the most runs (ties: test order),
 * with the wrong class predicted most often. Only classes with at least one misclassified
 * image are listed; post-hoc rows do not vote, so the examples describe what was trained.
 */
export function hardestClasses(
  variants: readonly Variant[],
  testItems: readonly { file: string; classIndex: number }[],
  numClasses: number,
  options: { classes: number; examplesPerClass: number },
): HardClass[] {
  const runs = variants.filter((v) => v.kind === 'trained').flatMap((v) => v.runs);
  if (runs.length === 0) return [];
  const recall = new Array<number>(numClasses).fill(0);
  for (const run of runs) run.metrics.perClass.forEach((p, c) => (recall[c]! += p.recall / runs.length));
  const withPredictions = runs.filter((r) => r.predictions);
  const order = recall
    .map((r, c) => ({ c, r }))
    .filter(({ c, r }) => r < 1 && testItems.some((t) => t.classIndex === c))
    .sort((a, b) => a.r - b.r || a.c - b.c)
    .slice(0, options.classes);
  return order.map(({ c, r }) => ({ classIndex: c, meanRecall: r, examples: examplesOf(c, withPredictions.map((run) => run.predictions!), testItems, numClasses, options.examplesPerClass) }));
}

function examplesOf(
  classIndex: number,
  predictions: readonly Int32Array[],
  testItems: readonly { file: string; classIndex: number }[],
  numClasses: number,
  limit: number,
): MisclassifiedExample[] {
  if (predictions.length === 0) return [];
  const found: MisclassifiedExample[] = [];
  const votes = new Array<number>(numClasses);
  testItems.forEach((item, i) => {
    if (item.classIndex !== classIndex) return;
    votes.fill(0);
    let wrong = 0;
    for (const p of predictions) {
      const k = p[i] as number;
      if (k !== classIndex) {
        wrong++;
        votes[k]! += 1;
      }
    }
    if (wrong === 0) return;
    let predicted = 0;
    for (let k = 1; k < numClasses; k++) if (votes[k]! > votes[predicted]!) predicted = k;
    found.push({ testIndex: i, file: item.file, trueClass: classIndex, predictedClass: predicted, wrongRuns: wrong, totalRuns: predictions.length });
  });
  return found.sort((a, b) => b.wrongRuns - a.wrongRuns || a.testIndex - b.testIndex).slice(0, limit);
}
