/**
 * Batch normalisation in training mode, forward and backward, over a channels-last array
 * viewed as [rows, channels] (rows = every position that shares a channel's statistics).
 *
 * Composed from tfjs ops, training-mode batch norm is about ten full passes over the
 * activations forward and as many backward (moments, broadcast arithmetic, the gradients
 * of each of those ops); these loops make two passes each way.
 *
 * Arithmetic is in float64 (JavaScript numbers), rounded to float32 once per stored value;
 * the variance sums are taken about each channel's first value and the gradient sums about
 * its mean, so a mean that is large next to the spread does not cancel digits away.
 * simd/batch-norm.wat runs the same loops four channels per instruction; the per-channel
 * coefficients between the passes (normalisation, backwardCoefficients) serve both.
 *
 * Variance is the biased (population) one, as Keras and tfjs-layers use both to normalise
 * and to update the moving variance.
 */

export interface BatchNormForwardOut {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
}

export function batchNormForward(
  x: Float32Array,
  scale: Float32Array,
  offset: Float32Array,
  epsilon: number,
  out: BatchNormForwardOut,
): void {
  const channels = scale.length;
  const rows = x.length / channels;
  const shift = new Float64Array(channels);
  if (rows > 0) for (let c = 0; c < channels; c++) shift[c] = x[c];
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  shiftedMoments(x, channels, shift, sum, sumSq);
  const mult = new Float64Array(channels);
  normalisation({ sum, sumSq, shift, rows, scale, epsilon }, { mean: out.mean, variance: out.variance, mult });
  const mean = Float64Array.from(out.mean);
  affine(x, channels, mean, mult, Float64Array.from(offset), out.y);
}

/**
 * Per-channel statistics from the sums about `shift`, and the multiplier γ/√(σ² + ε), so
 * that y = (x − μ)·mult + β.
 */
export function normalisation(
  sums: { sum: ArrayLike<number>; sumSq: ArrayLike<number>; shift: ArrayLike<number>; rows: number; scale: ArrayLike<number>; epsilon: number },
  out: { mean: Float32Array; variance: Float32Array; mult: { [i: number]: number } },
): void {
  const { sum, sumSq, shift, rows, scale, epsilon } = sums;
  for (let c = 0; c < scale.length; c++) {
    const m = sum[c] / rows;
    const variance = Math.max(0, sumSq[c] / rows - m * m);
    out.mean[c] = shift[c] + m;
    out.variance[c] = variance;
    out.mult[c] = scale[c] / Math.sqrt(variance + epsilon);
  }
}

export interface BatchNormBackwardIn {
  /** Gradient of the normalised output. */
  dy: Float32Array;
  /** Gradients of the mean and variance outputs (zeros when only the output is used). */
  dMean: Float32Array;
  dVariance: Float32Array;
  x: Float32Array;
  scale: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

export interface BatchNormBackwardOut {
  dx: Float32Array;
  dScale: Float32Array;
  dOffset: Float32Array;
}

/**
 * With x̂ = (x − μ)·s, s = 1/√(σ² + ε), y = γ·x̂ + β and M rows:
 *   dβ = Σ dy,  dγ = Σ dy·x̂,
 *   dx = γ·s·(dy − dβ/M − x̂·dγ/M) + dμ/M + 2·dσ²·(x − μ)/M,
 * the last two terms being the paths through the mean and variance outputs. Per channel
 * that is dx = p·dy + q·(x − μ) + r, so one pass gathers the sums and one writes dx.
 */
export function batchNormBackward(input: BatchNormBackwardIn, out: BatchNormBackwardOut): void {
  const { dy, x, scale, mean } = input;
  const channels = scale.length;
  const mu = Float64Array.from(mean);
  const sumDy = new Float64Array(channels);
  const sumDyXc = new Float64Array(channels);
  dotMoments(dy, x, channels, mu, sumDy, sumDyXc);
  const p = new Float64Array(channels);
  const q = new Float64Array(channels);
  const r = new Float64Array(channels);
  backwardCoefficients({ ...input, rows: x.length / channels, sumDy, sumDyXc }, { dScale: out.dScale, dOffset: out.dOffset, p, q, r });
  affine2(dy, x, channels, mu, p, q, r, out.dx);
}

/** dβ, dγ and the coefficients of dx = p·dy + q·(x − μ) + r, from Σ dy and Σ dy·(x − μ). */
export function backwardCoefficients(
  sums: Pick<BatchNormBackwardIn, 'dMean' | 'dVariance' | 'scale' | 'variance' | 'epsilon'> & { rows: number; sumDy: ArrayLike<number>; sumDyXc: ArrayLike<number> },
  out: { dScale: Float32Array; dOffset: Float32Array; p: { [i: number]: number }; q: { [i: number]: number }; r: { [i: number]: number } },
): void {
  const { dMean, dVariance, scale, variance, epsilon, rows, sumDy, sumDyXc } = sums;
  for (let c = 0; c < scale.length; c++) {
    const s = 1 / Math.sqrt(variance[c] + epsilon);
    out.dOffset[c] = sumDy[c];
    out.dScale[c] = sumDyXc[c] * s;
    const gs = scale[c] * s;
    out.p[c] = gs;
    out.q[c] = (-gs * s * s * sumDyXc[c] + 2 * dVariance[c]) / rows;
    out.r[c] = (-gs * sumDy[c] + dMean[c]) / rows;
  }
}

/*
 * The loops. V8 does not vectorise, and a per-element read-modify-write of a per-channel
 * accumulator array runs at about 4 ns per value; walking a cache-sized block of rows one
 * group of four channels at a time keeps the accumulators and coefficients in registers
 * (about 1.5 ns per value, measured on the reference CNN's activations).
 */

/** Rows per block: about 32 KB of float32 values, so a block stays in L1 across channel groups. */
function blockRows(channels: number): number {
  return Math.max(1, Math.floor(8192 / channels));
}

/** sum[c] += Σ (x − k_c), sumSq[c] += Σ (x − k_c)². */
function shiftedMoments(x: Float32Array, channels: number, shift: Float64Array, sum: Float64Array, sumSq: Float64Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const k0 = shift[c], k1 = shift[c + 1], k2 = shift[c + 2], k3 = shift[c + 3];
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let at = start + c; at < end; at += channels) {
        const a = x[at] - k0, b = x[at + 1] - k1, d = x[at + 2] - k2, e = x[at + 3] - k3;
        s0 += a; s1 += b; s2 += d; s3 += e;
        q0 += a * a; q1 += b * b; q2 += d * d; q3 += e * e;
      }
      sum[c] += s0; sum[c + 1] += s1; sum[c + 2] += s2; sum[c + 3] += s3;
      sumSq[c] += q0; sumSq[c + 1] += q1; sumSq[c + 2] += q2; sumSq[c + 3] += q3;
    }
    for (; c < channels; c++) {
      const k = shift[c];
      let s = 0, q = 0;
      for (let at = start + c; at < end; at += channels) {
        const a = x[at] - k;
        s += a;
        q += a * a;
      }
      sum[c] += s;
      sumSq[c] += q;
    }
  }
}

/** sumU[c] += Σ u, sumUX[c] += Σ u·(x − k_c). */
function dotMoments(u: Float32Array, x: Float32Array, channels: number, shift: Float64Array, sumU: Float64Array, sumUX: Float64Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const k0 = shift[c], k1 = shift[c + 1], k2 = shift[c + 2], k3 = shift[c + 3];
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let at = start + c; at < end; at += channels) {
        const a = u[at], b = u[at + 1], d = u[at + 2], e = u[at + 3];
        s0 += a; s1 += b; s2 += d; s3 += e;
        q0 += a * (x[at] - k0); q1 += b * (x[at + 1] - k1); q2 += d * (x[at + 2] - k2); q3 += e * (x[at + 3] - k3);
      }
      sumU[c] += s0; sumU[c + 1] += s1; sumU[c + 2] += s2; sumU[c + 3] += s3;
      sumUX[c] += q0; sumUX[c + 1] += q1; sumUX[c + 2] += q2; sumUX[c + 3] += q3;
    }
    for (; c < channels; c++) {
      const k = shift[c];
      let s = 0, q = 0;
      for (let at = start + c; at < end; at += channels) {
        s += u[at];
        q += u[at] * (x[at] - k);
      }
      sumU[c] += s;
      sumUX[c] += q;
    }
  }
}

/** out = (x − m_c)·q_c + r_c. */
function affine(x: Float32Array, channels: number, m: Float64Array, q: Float64Array, r: Float64Array, out: Float32Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
      const q0 = q[c], q1 = q[c + 1], q2 = q[c + 2], q3 = q[c + 3];
      const r0 = r[c], r1 = r[c + 1], r2 = r[c + 2], r3 = r[c + 3];
      for (let at = start + c; at < end; at += channels) {
        out[at] = (x[at] - m0) * q0 + r0;
        out[at + 1] = (x[at + 1] - m1) * q1 + r1;
        out[at + 2] = (x[at + 2] - m2) * q2 + r2;
        out[at + 3] = (x[at + 3] - m3) * q3 + r3;
      }
    }
    for (; c < channels; c++) {
      const mc = m[c], qc = q[c], rc = r[c];
      for (let at = start + c; at < end; at += channels) out[at] = (x[at] - mc) * qc + rc;
    }
  }
}

/** out = p_c·u + (x − m_c)·q_c + r_c. */
function affine2(u: Float32Array, x: Float32Array, channels: number, m: Float64Array, p: Float64Array, q: Float64Array, r: Float64Array, out: Float32Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const m0 = m[c], m1 = m[c + 1], m2 = m[c + 2], m3 = m[c + 3];
      const p0 = p[c], p1 = p[c + 1], p2 = p[c + 2], p3 = p[c + 3];
      const q0 = q[c], q1 = q[c + 1], q2 = q[c + 2], q3 = q[c + 3];
      const r0 = r[c], r1 = r[c + 1], r2 = r[c + 2], r3 = r[c + 3];
      for (let at = start + c; at < end; at += channels) {
        out[at] = p0 * u[at] + (x[at] - m0) * q0 + r0;
        out[at + 1] = p1 * u[at + 1] + (x[at + 1] - m1) * q1 + r1;
        out[at + 2] = p2 * u[at + 2] + (x[at + 2] - m2) * q2 + r2;
        out[at + 3] = p3 * u[at + 3] + (x[at + 3] - m3) * q3 + r3;
      }
    }
    for (; c < channels; c++) {
      const mc = m[c], pc = p[c], qc = q[c], rc = r[c];
      for (let at = start + c; at < end; at += channels) out[at] = pc * u[at] + (x[at] - mc) * qc + rc;
    }
  }
}
