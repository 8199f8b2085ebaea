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

/* Patches of one tap (i, j) for output rows [g0, g1) into a: one row per channel, one column per pixel. */
static void fill_tap(float *a, const float *x, uint32_t i, uint32_t j, uint32_t g0, uint32_t g1, uint32_t h, uint32_t w, uint32_t ci,
                     uint32_t oh, uint32_t ow, uint32_t sh, uint32_t sw, int32_t pt, int32_t pl) {
  const size_t cols = (size_t)(g1 - g0) * ow;
  /* Output columns [s0, s1) read inside the image for this tap. */
  const int64_t first = (int64_t)j - pl; /* input column of output column 0 */
  uint32_t s0 = 0, s1 = ow;
  while (s0 < ow && first + (int64_t)s0 * sw < 0) s0++;
  while (s1 > s0 && first + (int64_t)(s1 - 1) * sw >= w) s1--;
  const size_t step = (size_t)sw * ci;
  for (uint32_t g = g0; g < g1; g++) {
    const uint32_t b = g / oh;
    const int64_t xr = (int64_t)(g - b * oh) * sh - pt + i;
    float *dst = a + (size_t)(g - g0) * ow;
    if (xr < 0 || xr >= h || s1 == s0) {
      for (uint32_t c = 0; c < ci; c++) memset(dst + c * cols, 0, sizeof(float) * ow);
      continue;
    }
    const float *src = x + ((size_t)(b * h + xr) * w + (size_t)(first + (int64_t)s0 * sw)) * ci;
    for (uint32_t c = 0; c < ci; c++) {
      float *d = dst + c * cols;
      const float *s = src + c;
      for (uint32_t q = 0; q < s0; q++) d[q] = 0.0f;
      for (uint32_t q = s0; q < s1; q++, s += step) d[q] = *s;
      for (uint32_t q = s1; q < ow; q++) d[q] = 0.0f;
    }
  }
}

typedef struct {
  const float *x, *dy;
  float *dw, *chunk_out, *work;
  double *sum;
  size_t work_floats;
  uint32_t n, h, w, ci, co, oh, ow, kw, sh, sw, rows_per_chunk, block_rows;
  int32_t pt, pl;
} patch_job;

/* The ci rows of dW for one tap: its patches block by block, the same sums as the whole matrix's rows. */
LOSSLAB_CLONES
static void patch_tap(void *context, size_t tap, unsigned thread) {
  const patch_job *k = context;
  const uint32_t rows = k->n * k->oh, ci = k->ci, co = k->co;
  const int chunked = k->rows_per_chunk < rows;
  const size_t first_row = tap * ci;
  float *work = k->work + thread * k->work_floats;
  float *acc = (chunked ? k->chunk_out : k->dw) + first_row * co;
  double *sum = k->sum + first_row * co;
  for (uint32_t c0 = 0, c1; c0 < rows; c0 = c1) {
    c1 = rows - c0 < k->rows_per_chunk ? rows : c0 + k->rows_per_chunk;
    for (uint32_t g0 = c0, g1; g0 < c1; g0 = g1) {
      g1 = c1 - g0 < k->block_rows ? c1 : g0 + k->block_rows;
      fill_tap(work, k->x, (uint32_t)tap / k->kw, (uint32_t)tap % k->kw, g0, g1, k->h, k->w, ci, k->oh, k->ow, k->sh, k->sw, k->pt, k->pl);
      losslab_gemm_more(work, k->dy + (size_t)g0 * k->ow * co, acc, ci, (size_t)(g1 - g0) * k->ow, co, g0 > c0);
    }
    if (chunked) for (size_t i = 0; i < (size_t)ci * co; i++) sum[i] = c0 == 0 ? (double)acc[i] : sum[i] + (double)acc[i];
  }
  if (chunked) for (size_t i = 0; i < (size_t)ci * co; i++) k->dw[first_row * co + i] = (float)sum[i];
}

/*
 * Each tap's rows of dW depend on nothing else, so taps are tasks for the helper threads.
 * work: threads * ci * block_rows * ow floats; chunk_out and sum: kh * kw * ci * co each.
 */
void losslab_patch_filter_grad(const float *x, const float *dy, float *dw, double *sum, float *chunk_out, float *work, uint32_t n,
                               uint32_t h, uint32_t w, uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t kh, uint32_t kw,
                               uint32_t sh, uint32_t sw, int32_t pt, int32_t pl, uint32_t rows_per_chunk, uint32_t block_rows,
                               losslab_threads *pool, unsigned threads) {
  if (n * oh == 0) {
    memset(dw, 0, sizeof(float) * kh * kw * ci * co);
    return;
  }
  patch_job job = {x, dy, dw, chunk_out, work, sum, (size_t)ci * block_rows * ow, n, h, w, ci, co, oh, ow, kw, sh, sw, rows_per_chunk, block_rows, pt, pl};
  losslab_parallel(pool, threads, (size_t)kh * kw, patch_tap, &job);
}
