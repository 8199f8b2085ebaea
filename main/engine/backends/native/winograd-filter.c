/*
 * The two filter-side Winograd transforms that ../winograd-conv.ts and ../winograd-filter-grad.ts
 * compute in JavaScript: in double precision, with JavaScript's operations in JavaScript's order
 * (IEEE-754 doubles, no fused multiply-add), rounded to float32 only where a Float32Array stores
 * the result, so results are bit-identical to the JavaScript they replace.
 */
#include "kernels.h"

/* U[f][c * co + o] (planes of `stride` floats) = G g Gᵀ for each input channel c and output channel o. */
void losslab_winograd_filter(const float *src, float *u, uint32_t ci, uint32_t co, int flipped) {
  const size_t plane = (size_t)ci * co;
  const size_t stride = plane + 16;
  const ptrdiff_t origin = flipped ? (ptrdiff_t)(8 * plane) : 0;
  const ptrdiff_t di = flipped ? -3 * (ptrdiff_t)plane : 3 * (ptrdiff_t)plane;
  const ptrdiff_t dj = flipped ? -(ptrdiff_t)plane : (ptrdiff_t)plane;
  const ptrdiff_t sc = flipped ? 1 : (ptrdiff_t)co;
  const ptrdiff_t so = flipped ? (ptrdiff_t)ci : 1;
  const double sixth = 1.0 / 6, twelfth = 1.0 / 12, quarter = 1.0 / 4, l24 = 1.0 / 24;
  double g[18]; /* G·g: 6 rows x 3 columns */
  for (uint32_t c = 0; c < ci; c++) {
    for (uint32_t o = 0; o < co; o++) {
      const ptrdiff_t at = origin + (ptrdiff_t)c * sc + (ptrdiff_t)o * so;
      for (int j = 0; j < 3; j++) {
        const ptrdiff_t top = at + j * dj;
        const double g0 = src[top], g1 = src[top + di], g2 = src[top + 2 * di];
        const double even = (g0 + g2) * sixth, odd = g1 * sixth;
        g[j] = g0 * quarter;
        g[3 + j] = -even - odd;
        g[6 + j] = odd - even;
        g[9 + j] = g0 * l24 + g1 * twelfth + g2 * sixth;
        g[12 + j] = g0 * l24 - g1 * twelfth + g2 * sixth;
        g[15 + j] = g2;
      }
      size_t base = (size_t)c * co + o;
      for (int r = 0; r < 6; r++, base += 6 * stride) {
        const double g0 = g[r * 3], g1 = g[r * 3 + 1], g2 = g[r * 3 + 2];
        const double even = (g0 + g2) * sixth, odd = g1 * sixth;
        u[base] = (float)(g0 * quarter);
        u[base + stride] = (float)(-even - odd);
        u[base + 2 * stride] = (float)(odd - even);
        u[base + 3 * stride] = (float)(g0 * l24 + g1 * twelfth + g2 * sixth);
        u[base + 4 * stride] = (float)(g0 * l24 - g1 * twelfth + g2 * sixth);
        u[base + 5 * stride] = (float)g2;
      }
    }
  }
}

/* dW = Gᵀ M G for each (o, c) pair from the 36 summed products M[f][o * ci + c]; s: 18 * ci * co doubles of scratch. */
void losslab_winograd_filter_grad_output(float *dw, const double *m, uint32_t ci, uint32_t co, double *s) {
  const size_t plane = (size_t)ci * co;
  for (int q = 0; q < 6; q++) {
    const double *b0 = m + q * plane, *b1 = m + (6 + q) * plane, *b2 = m + (12 + q) * plane;
    const double *b3 = m + (18 + q) * plane, *b4 = m + (24 + q) * plane, *b5 = m + (30 + q) * plane;
    double *d0 = s + q * plane, *d1 = s + (6 + q) * plane, *d2 = s + (12 + q) * plane;
    for (size_t a = 0; a < plane; a++) {
      const double x0 = b0[a], x1 = b1[a], x2 = b2[a], x3 = b3[a], x4 = b4[a], x5 = b5[a];
      d0[a] = x0 / 4 - (x1 + x2) / 6 + (x3 + x4) / 24;
      d1[a] = (x2 - x1) / 6 + (x3 - x4) / 12;
      d2[a] = (x3 + x4 - x1 - x2) / 6 + x5;
    }
  }
  for (int i = 0; i < 3; i++) {
    const double *b = s + (size_t)i * 6 * plane;
    float *out = dw + (size_t)i * 3 * plane;
    for (uint32_t o = 0; o < co; o++) {
      for (uint32_t c = 0; c < ci; c++) {
        const double *a = b + (size_t)o * ci + c;
        const double x0 = a[0], x1 = a[plane], x2 = a[2 * plane], x3 = a[3 * plane], x4 = a[4 * plane], x5 = a[5 * plane];
        float *at = out + (size_t)c * co + o;
        at[0] = (float)(x0 / 4 - (x1 + x2) / 6 + (x3 + x4) / 24);
        at[plane] = (float)((x2 - x1) / 6 + (x3 - x4) / 12);
        at[2 * plane] = (float)((x3 + x4 - x1 - x2) / 6 + x5);
      }
    }
  }
}
