import { reliabilityDiagram } from '../metrics/calibration';
import { temperatureScaling } from '../stats/temperature';
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
    const fit = temperatureScaling({
      valLogits: run.valLogits,
      valLabels: labels.val,
      testLogits: run.testLogits!,
      testLabels: labels.test,
      numClasses,
      bins,
    });
    scaled.set(fit.testProbs, k * n * numClasses);
    temperature.push({
      seed: run.seed,
      temperature: fit.temperature,
      atBound: fit.atBound,
      eceBefore: fit.test.eceBefore,
      eceAfter: fit.test.eceAfter,
      nllBefore: fit.test.nllBefore,
      nllAfter: fit.test.nllAfter,
    });
  });
  return {
    reliability: reliabilityDiagram(pooled, pooledLabels, numClasses, bins),
    // Only when every pooled run was scaled: a half-scaled pool would mislead.
    reliabilityTemperatureScaled: allScaled ? reliabilityDiagram(scaled, pooledLabels, numClasses, bins) : null,
    temperature,
  };
}
