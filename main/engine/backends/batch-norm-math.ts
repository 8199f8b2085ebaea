/**
 * Batch normalisation in training mode, forward and backward, over a channels-last array
 * viewed as [rows, channels] (rows = every position that shares a channel's statistics).
 *
 * Composed from tfjs ops, training-mode batch norm is about ten full passes over the
 * activations forward and as many backward (moments, broadcast arithmetic, the gradients
 * of each of those ops); these loops make two passes each way.
 *
 * Arithmetic is in float64 (JavaScript numbers), rounded to float32 once per stored value,
 * so the one-pass variance and the affine forms below do not lose digits when a channel's
 * mean is large next to its spread; the variance sums are still taken about each
 * channel's first value, which keeps them well conditioned.
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
  const add = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = sum[c] / rows;
    const variance = Math.max(0, sumSq[c] / rows - m * m);
    const mean = shift[c] + m;
    out.mean[c] = mean;
    out.variance[c] = variance;
    // y = (x − μ)·γ/√(σ² + ε) + β, as q·x + r
    mult[c] = scale[c] / Math.sqrt(variance + epsilon);
    add[c] = offset[c] - mean * mult[c];
  }
  affine(x, channels, mult, add, out.y);
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
 * that is dx = p·dy + q·x + r, so one pass gathers the sums and one writes dx.
 */
export function batchNormBackward(input: BatchNormBackwardIn, out: BatchNormBackwardOut): void {
  const { dy, dMean, dVariance, x, scale, mean, variance, epsilon } = input;
  const channels = scale.length;
  const rows = x.length / channels;
  const sumDy = new Float64Array(channels);
  const sumDyX = new Float64Array(channels);
  dotMoments(dy, x, channels, sumDy, sumDyX);
  const p = new Float64Array(channels);
  const q = new Float64Array(channels);
  const r = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    const mu = mean[c];
    const s = 1 / Math.sqrt(variance[c] + epsilon);
    const sumDyXc = sumDyX[c] - mu * sumDy[c]; // Σ dy·(x − μ)
    out.dOffset[c] = sumDy[c];
    out.dScale[c] = sumDyXc * s;
    const gs = scale[c] * s;
    p[c] = gs;
    q[c] = (-gs * s * s * sumDyXc + 2 * dVariance[c]) / rows;
    r[c] = (-gs * sumDy[c] + dMean[c]) / rows - q[c] * mu;
  }
  affine2(dy, x, channels, p, q, r, out.dx);
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

/** sumU[c] += Σ u, sumUX[c] += Σ u·x. */
function dotMoments(u: Float32Array, x: Float32Array, channels: number, sumU: Float64Array, sumUX: Float64Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let at = start + c; at < end; at += channels) {
        const a = u[at], b = u[at + 1], d = u[at + 2], e = u[at + 3];
        s0 += a; s1 += b; s2 += d; s3 += e;
        q0 += a * x[at]; q1 += b * x[at + 1]; q2 += d * x[at + 2]; q3 += e * x[at + 3];
      }
      sumU[c] += s0; sumU[c + 1] += s1; sumU[c + 2] += s2; sumU[c + 3] += s3;
      sumUX[c] += q0; sumUX[c + 1] += q1; sumUX[c + 2] += q2; sumUX[c + 3] += q3;
    }
    for (; c < channels; c++) {
      let s = 0, q = 0;
      for (let at = start + c; at < end; at += channels) {
        s += u[at];
        q += u[at] * x[at];
      }
      sumU[c] += s;
      sumUX[c] += q;
    }
  }
}

/** out = q_c·x + r_c. */
function affine(x: Float32Array, channels: number, q: Float64Array, r: Float64Array, out: Float32Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const q0 = q[c], q1 = q[c + 1], q2 = q[c + 2], q3 = q[c + 3];
      const r0 = r[c], r1 = r[c + 1], r2 = r[c + 2], r3 = r[c + 3];
      for (let at = start + c; at < end; at += channels) {
        out[at] = q0 * x[at] + r0;
        out[at + 1] = q1 * x[at + 1] + r1;
        out[at + 2] = q2 * x[at + 2] + r2;
        out[at + 3] = q3 * x[at + 3] + r3;
      }
    }
    for (; c < channels; c++) {
      const qc = q[c], rc = r[c];
      for (let at = start + c; at < end; at += channels) out[at] = qc * x[at] + rc;
    }
  }
}

/** out = p_c·u + q_c·x + r_c. */
function affine2(u: Float32Array, x: Float32Array, channels: number, p: Float64Array, q: Float64Array, r: Float64Array, out: Float32Array): void {
  const total = x.length;
  const step = blockRows(channels) * channels;
  for (let start = 0; start < total; start += step) {
    const end = Math.min(total, start + step);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const p0 = p[c], p1 = p[c + 1], p2 = p[c + 2], p3 = p[c + 3];
      const q0 = q[c], q1 = q[c + 1], q2 = q[c + 2], q3 = q[c + 3];
      const r0 = r[c], r1 = r[c + 1], r2 = r[c + 2], r3 = r[c + 3];
      for (let at = start + c; at < end; at += channels) {
        out[at] = p0 * u[at] + q0 * x[at] + r0;
        out[at + 1] = p1 * u[at + 1] + q1 * x[at + 1] + r1;
        out[at + 2] = p2 * u[at + 2] + q2 * x[at + 2] + r2;
        out[at + 3] = p3 * u[at + 3] + q3 * x[at + 3] + r3;
      }
    }
    for (; c < channels; c++) {
      const pc = p[c], qc = q[c], rc = r[c];
      for (let at = start + c; at < end; at += channels) out[at] = pc * u[at] + qc * x[at] + rc;
    }
  }
}
