import { LossParamError } from './errors';

/**
 * Post-hoc logit adjustment (Menon et al. 2021, §4): at evaluation, predict
 * argmax_c z_c − τ·log π_c. It changes the decision rule of an already trained model, not its
 * training, so it can be reported beside the plain argmax for any run. Plain JS on purpose:
 * evaluation code works on Float32Arrays read back from the model.
 *
 * `logits` is row-major [N, numClasses]. Priors are normalised to sum to 1 (which only shifts
 * each row by a constant and leaves the decision unchanged); every prior must be > 0 — use
 * classPriorsFromCounts(), which counts a class with no training images as one image.
 */
export function adjustLogitsPostHoc(logits: Float32Array, numClasses: number, classPriors: number[], tau: number): Float32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new LossParamError(`Post-hoc adjustment: numClasses must be a positive integer (got ${numClasses}).`);
  if (logits.length % numClasses !== 0) {
    throw new LossParamError(`Post-hoc adjustment: ${logits.length} logits do not form rows of ${numClasses} classes.`);
  }
  if (classPriors.length !== numClasses) {
    throw new LossParamError(`Post-hoc adjustment: ${classPriors.length} class priors for ${numClasses} classes.`);
  }
  if (!Number.isFinite(tau) || tau < 0) throw new LossParamError(`Post-hoc adjustment: parameter 'tau' must be a number in [0, ∞) (got ${tau}).`, undefined, 'tau');
  if (classPriors.some((p) => !Number.isFinite(p) || p <= 0)) {
    throw new LossParamError('Post-hoc adjustment: every class prior must be a finite number > 0.');
  }
  const total = classPriors.reduce((a, b) => a + b, 0);
  const offsets = classPriors.map((p) => tau * Math.log(p / total));
  const out = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += numClasses) {
    for (let c = 0; c < numClasses; c++) out[i + c] = logits[i + c]! - offsets[c]!;
  }
  return out;
}

/** Row-wise argmax (first maximum on ties), shared with the metrics. */
export { argmaxRows } from '../metrics/predictions';
