/**
 * Temperature scaling (Guo et al. 2017): one scalar T > 0 divides every logit; T is chosen
 * to minimise the validation NLL and then applied to the test logits. It changes
 * confidences, never the argmax, so accuracy is untouched and only calibration moves.
 */

import { DEFAULT_CALIBRATION_BINS, expectedCalibrationError } from '../metrics/calibration';
import { checkLabels } from '../metrics/input';
import { negativeLogLikelihood } from '../metrics/probabilistic';
import { softmaxRows } from '../util/softmax';

export type LogitMatrix = Float32Array | Float64Array | ArrayLike<number>;

/** Row-wise softmax of logits / temperature, computed stably (max subtracted). */
export function softmaxWithTemperature(logits: LogitMatrix, numClasses: number, temperature = 1): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
  return softmaxRows(logits, numClasses, temperature);
}

/**
 * Mean softmax cross-entropy of logits·beta (beta = 1/T) with its first and second
 * derivatives in beta. As a function of beta the loss is convex: log-sum-exp of functions
 * linear in beta, minus a linear term; the second derivative is the mean variance of the
 * logits under the scaled softmax.
 */
export function scaledNll(logits: LogitMatrix, labels: ArrayLike<number>, numClasses: number, beta: number): { value: number; d1: number; d2: number } {
  let value = 0;
  let d1 = 0;
  let d2 = 0;
  const n = labels.length;
  for (let r = 0; r < n; r++) {
    const base = r * numClasses;
    let m = -Infinity;
    for (let c = 0; c < numClasses; c++) m = Math.max(m, beta * (logits[base + c] as number));
    let s = 0;
    let ez = 0;
    let ez2 = 0;
    for (let c = 0; c < numClasses; c++) {
      const z = logits[base + c] as number;
      const e = Math.exp(beta * z - m);
      s += e;
      ez += e * z;
      ez2 += e * z * z;
    }
    const meanZ = ez / s;
    const zy = logits[base + (labels[r] as number)] as number;
    value += m + Math.log(s) - beta * zy;
    d1 += meanZ - zy;
    d2 += Math.max(0, ez2 / s - meanZ * meanZ);
  }
  return { value: value / n, d1: d1 / n, d2: d2 / n };
}

export interface TemperatureFit {
  temperature: number;
  /** Validation NLL at T = 1 and at the fitted T (plain softmax cross-entropy). */
  nllBefore: number;
  nllAfter: number;
  iterations: number;
  /** True when the optimum lies at a search bound (T is then that bound). */
  atBound: boolean;
}

export interface FitOptions {
  /** Search range of T; default [0.01, 100]. */
  minTemperature?: number;
  maxTemperature?: number;
}

/**
 * Fits T by finding the root of dNLL/dbeta, beta = 1/T, with Newton steps safeguarded by
 * bisection: the derivative is increasing (convexity), so a sign-change bracket always holds
 * the minimum and the iteration cannot diverge. Converges to float64 precision in a handful
 * of Newton steps on typical logits.
 */
export function fitTemperature(
  logits: LogitMatrix,
  labels: ArrayLike<number>,
  numClasses: number,
  options: FitOptions = {},
): TemperatureFit {
  checkLabels(labels, numClasses);
  if (logits.length !== labels.length * numClasses) {
    throw new RangeError(`logits have ${logits.length} values; expected ${labels.length} × ${numClasses}`);
  }
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i] as number)) throw new RangeError(`logit ${i} is ${logits[i]}`);
  }
  const tMin = options.minTemperature ?? 0.01;
  const tMax = options.maxTemperature ?? 100;
  if (!(tMin > 0 && tMax > tMin)) throw new RangeError(`bad temperature range [${tMin}, ${tMax}]`);
  const f = (beta: number) => scaledNll(logits, labels, numClasses, beta);
  const nllBefore = f(1).value;

  let lo = 1 / tMax;
  let hi = 1 / tMin;
  const atLo = f(lo);
  const atHi = f(hi);
  // Derivative already >= 0 at the smallest beta: the minimum is at T = tMax or beyond
  // (e.g. logits carrying no information). <= 0 at the largest beta: T = tMin or below.
  if (atLo.d1 >= 0) return { temperature: tMax, nllBefore, nllAfter: atLo.value, iterations: 0, atBound: true };
  if (atHi.d1 <= 0) return { temperature: tMin, nllBefore, nllAfter: atHi.value, iterations: 0, atBound: true };

  let beta = Math.min(Math.max(1, lo), hi);
  let iterations = 0;
  for (; iterations < 200; iterations++) {
    const { d1, d2 } = f(beta);
    if (d1 === 0) break;
    if (d1 < 0) lo = beta;
    else hi = beta;
    let next = d2 > 0 ? beta - d1 / d2 : NaN;
    // Newton left the bracket (or had no curvature): bisect instead.
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - beta) <= 1e-14 * beta || hi - lo <= 1e-14 * hi) {
      beta = next;
      break;
    }
    beta = next;
  }
  return { temperature: 1 / beta, nllBefore, nllAfter: f(beta).value, iterations, atBound: false };
}

export interface TemperatureScalingResult extends TemperatureFit {
  test: {
    eceBefore: number;
    eceAfter: number;
    /** sklearn-style NLL (clipped probabilities) on the test set before and after scaling. */
    nllBefore: number;
    nllAfter: number;
  };
  /** Test probabilities after scaling, row-major N×C. */
  testProbs: Float64Array;
}

/** Fits T on validation logits and reports test ECE and NLL before and after applying it. */
export function temperatureScaling(input: {
  valLogits: LogitMatrix;
  valLabels: ArrayLike<number>;
  testLogits: LogitMatrix;
  testLabels: ArrayLike<number>;
  numClasses: number;
  bins?: number;
  fit?: FitOptions;
}): TemperatureScalingResult {
  const { numClasses } = input;
  const bins = input.bins ?? DEFAULT_CALIBRATION_BINS;
  const fit = fitTemperature(input.valLogits, input.valLabels, numClasses, input.fit);
  checkLabels(input.testLabels, numClasses);
  if (input.testLogits.length !== input.testLabels.length * numClasses) {
    throw new RangeError(`test logits have ${input.testLogits.length} values; expected ${input.testLabels.length} × ${numClasses}`);
  }
  const before = softmaxWithTemperature(input.testLogits, numClasses, 1);
  const after = softmaxWithTemperature(input.testLogits, numClasses, fit.temperature);
  return {
    ...fit,
    test: {
      eceBefore: expectedCalibrationError(before, input.testLabels, numClasses, bins),
      eceAfter: expectedCalibrationError(after, input.testLabels, numClasses, bins),
      nllBefore: negativeLogLikelihood(input.testLabels, before, numClasses),
      nllAfter: negativeLogLikelihood(input.testLabels, after, numClasses),
    },
    testProbs: after,
  };
}
