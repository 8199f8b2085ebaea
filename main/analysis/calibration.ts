import { DEFAULT_CALIBRATION_BINS, expectedCalibrationError, reliabilityDiagram } from '../metrics/calibration';
import { negativeLogLikelihood } from '../metrics/probabilistic';
import { fitTemperature, softmaxWithTemperature } from '../stats/temperature';
import { softmaxRows } from '../util/softmax';
import type { TemperatureRun, VariantCalibration } from './types';
import type { ExperimentLabels, Variant } from './variants';

/**
 * Calibration of one row: a reliability diagram of all its seeds' test predictions pooled
 * (every seed contributes each test image once, so bins hold counts summed over seeds),
 * and per seed a temperature fitted on that run's validation logits (Guo et al. 2017) with
 * the test ECE before and after. Null when no run has logits.
 */
export function calibrateVariant(variant: Variant, labels: ExperimentLabels, numClasses: number, bins: number): VariantCalibration | null {
  const withLogits = variant.runs.filter((r) => r.testLogits !== null);
  if (withLogits.length === 0) return null;
  const n = labels.test.length;
  const pooled = new Float64Array(withLogits.length * n * numClasses);
  const pooledLabels = new Int32Array(withLogits.length * n);
  const scaled = new Float64Array(pooled.length);
  const temperature: TemperatureRun[] = [];
  let allScaled = labels.val.length > 0;
  withLogits.forEach((run, k) => {
    pooled.set(softmaxRows(run.testLogits!, numClasses), k * n * numClasses);
    pooledLabels.set(labels.test, k * n);
    if (!run.valLogits || labels.val.length === 0) {
      allScaled = false;
      return;
    }
    // stats/temperature.ts temperatureScaling, minus recomputing the unscaled test ECE and NLL,
    // which the run's metrics already hold (same softmax and, by default, the same bins).
    const fit = fitTemperature(run.valLogits, labels.val, numClasses);
    const probs = softmaxWithTemperature(run.testLogits!, numClasses, fit.temperature);
    scaled.set(probs, k * n * numClasses);
    temperature.push({
      seed: run.seed,
      temperature: fit.temperature,
      atBound: fit.atBound,
      eceBefore: bins === DEFAULT_CALIBRATION_BINS ? run.metrics.ece : expectedCalibrationError(pooled.subarray(k * n * numClasses, (k + 1) * n * numClasses), labels.test, numClasses, bins),
      eceAfter: expectedCalibrationError(probs, labels.test, numClasses, bins),
      nllBefore: run.metrics.nll,
      nllAfter: negativeLogLikelihood(labels.test, probs, numClasses),
    });
  });
  return {
    reliability: reliabilityDiagram(pooled, pooledLabels, numClasses, bins),
    // Only when every pooled run was scaled: a half-scaled pool would mislead.
    reliabilityTemperatureScaled: allScaled ? reliabilityDiagram(scaled, pooledLabels, numClasses, bins) : null,
    temperature,
  };
}
