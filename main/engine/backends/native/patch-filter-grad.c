/*
 * The filter gradient of a convolution as one product over image patches, in one call:
 * conv2d-backprop-filter.ts's im2col path (viaMatMul) without its patch matrix.
 *
 *   dW[tap*ci + c][o] = sum over output pixels p of patch[tap*ci + c][p] * dy[p][o]
 *
 * That path builds the whole patch matrix (kh*kw*ci times the size of x) in chunks of output
 * rows, multiplies each chunk by its rows of dy with the GEMM (float32 sums in pixel order)
 * and, when there is more than one chunk, adds the chunks' products in float64. Here the
 * same chunks are cut into blocks of output rows small enough for the block's patches to stay
 * in cache; each block's product continues the float32 sums of the one before
 * (losslab_gemm_more), which rounds exactly as one long sum. The numbers are the path's, bit
 * for bit; only the patch matrix never goes through memory.
 */
#include "kernels.h"

/* Patches of output rows [g0, g1) into a, one row per (tap, channel), one column per pixel. */
static void fill_patches(float *a, const float *x, uint32_t g0, uint32_t g1, uint32_t h, uint32_t w, uint32_t ci, uint32_t oh,
                         uint32_t ow, uint32_t kh, uint32_t kw, uint32_t sh, uint32_t sw, int32_t pt, int32_t pl) {
  const size_t cols = (size_t)(g1 - g0) * ow;
  for (uint32_t g = g0; g < g1; g++) {
    const uint32_t b = g / oh;
    const int64_t row0 = (int64_t)(g - b * oh) * sh - pt;
    const size_t col0 = (size_t)(g - g0) * ow;
    for (uint32_t i = 0; i < kh; i++) {
      const int64_t xr = row0 + i;
      for (uint32_t j = 0; j < kw; j++) {
        float *dst = a + (size_t)(i * kw + j) * ci * cols + col0;
        if (xr < 0 || xr >= h) {
          for (uint32_t c = 0; c < ci; c++) memset(dst + c * cols, 0, sizeof(float) * ow);
          continue;
        }
        /* Output columns [s0, s1) read inside the image for this tap. */
        const int64_t first = (int64_t)j - pl; /* input column of output column 0 */
        uint32_t s0 = 0, s1 = ow;
        while (s0 < ow && first + (int64_t)s0 * sw < 0) s0++;
        while (s1 > s0 && first + (int64_t)(s1 - 1) * sw >= w) s1--;
        const float *src = s1 > s0 ? x + ((size_t)(b * h + xr) * w + (size_t)(first + (int64_t)s0 * sw)) * ci : x;
        const size_t step = (size_t)sw * ci;
        for (uint32_t c = 0; c < ci; c++) {
          float *d = dst + c * cols;
          const float *s = src + c;
          for (uint32_t q = 0; q < s0; q++) d[q] = 0.0f;
          for (uint32_t q = s0; q < s1; q++, s += step) d[q] = *s;
          for (uint32_t q = s1; q < ow; q++) d[q] = 0.0f;
        }
      }
    }
  }
}

LOSSLAB_CLONES
void losslab_patch_filter_grad(const float *x, const float *dy, float *dw, double *sum, float *chunk_out, float *work, uint32_t n,
                               uint32_t h, uint32_t w, uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t kh, uint32_t kw,
                               uint32_t sh, uint32_t sw, int32_t pt, int32_t pl, uint32_t rows_per_chunk, uint32_t block_rows) {
  const size_t taps = (size_t)kh * kw * ci;
  const uint32_t rows = n * oh;
  const int chunked = rows_per_chunk < rows;
  /* One chunk: the product is dW itself (float32). Several: each chunk's float32 product, summed in float64. */
  float *acc = chunked ? chunk_out : dw;
  if (rows == 0) memset(dw, 0, sizeof(float) * taps * co);
  if (chunked) memset(sum, 0, sizeof(double) * taps * co);
  for (uint32_t c0 = 0, c1; c0 < rows; c0 = c1) {
    c1 = rows - c0 < rows_per_chunk ? rows : c0 + rows_per_chunk;
    for (uint32_t g0 = c0, g1; g0 < c1; g0 = g1) {
      g1 = c1 - g0 < block_rows ? c1 : g0 + block_rows;
      fill_patches(work, x, g0, g1, h, w, ci, oh, ow, kh, kw, sh, sw, pt, pl);
      losslab_gemm_more(work, dy + (size_t)g0 * ow * co, acc, taps, (size_t)(g1 - g0) * ow, co, g0 > c0);
    }
    if (chunked) for (size_t i = 0; i < taps * co; i++) sum[i] += acc[i];
  }
  if (chunked) for (size_t i = 0; i < taps * co; i++) dw[i] = (float)sum[i];
}
