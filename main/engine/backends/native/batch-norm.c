/*
 * The training-mode batch-norm loops of ../simd/batch-norm.wat, with the machine's widest
 * vectors. Each channel is one lane and does exactly what its lane does there: float32 sums
 * over blocks of 64 rows, in row order, each block's sum added to a float64 accumulator; and
 * the affine maps with the same operations in the same order (no fused multiply-add). Only
 * the number of channels per vector differs (16, 8 or 4), so the values are bit-identical.
 *
 * Layout as there: x is [rows, C] float32 with C a multiple of 4; per-channel arrays hold C
 * values; acc holds 2C float64.
 */
#include "kernels.h"

#define MOMENTS_ROWS 64

/* Channels [g, g + W) of rows [r0, r1): mode 0 sums a = x − k and a², mode 1 sums a = u and u·(x − k). */
#define MOMENTS(T, W)                                                                                        \
  static inline void moments_##W(const float *u, const float *x, size_t r0, size_t r1, size_t C, size_t g, \
                                 const float *k, double *acc, int mode) {                                  \
    T s = {0}, q = {0};                                                                                    \
    const T kv = LD(T, k + g);                                                                             \
    for (size_t r = r0; r < r1; r++) {                                                                     \
      if (mode == 0) {                                                                                     \
        const T a = LD(T, x + r * C + g) - kv;                                                             \
        s = s + a;                                                                                         \
        q = q + a * a;                                                                                     \
      } else {                                                                                             \
        const T a = LD(T, u + r * C + g);                                                                  \
        s = s + a;                                                                                         \
        q = q + a * (LD(T, x + r * C + g) - kv);                                                           \
      }                                                                                                    \
    }                                                                                                      \
    for (size_t l = 0; l < W; l++) {                                                                       \
      acc[g + l] += (double)s[l];                                                                          \
      acc[C + g + l] += (double)q[l];                                                                      \
    }                                                                                                      \
  }

MOMENTS(v16, 16)
MOMENTS(v8, 8)
MOMENTS(v4, 4)

LOSSLAB_CLONES
void losslab_batch_norm_moments(const float *u, const float *x, size_t rows, size_t C, const float *k, double *acc, int mode) {
  for (size_t r0 = 0; r0 < rows; r0 += MOMENTS_ROWS) {
    const size_t r1 = rows - r0 < MOMENTS_ROWS ? rows : r0 + MOMENTS_ROWS;
    size_t g = 0;
    for (; g + 16 <= C; g += 16) moments_16(u, x, r0, r1, C, g, k, acc, mode);
    if (g + 8 <= C) { moments_8(u, x, r0, r1, C, g, k, acc, mode); g += 8; }
    if (g + 4 <= C) moments_4(u, x, r0, r1, C, g, k, acc, mode);
  }
}

/* out = (x − m)·q + r, or with u: out = (p·u + (x − m)·q) + r; channels [g, g + W) of one row. */
#define AFFINE(T, W)                                                                                         \
  static inline void affine_##W(const float *u, const float *x, size_t at, size_t g, const float *m,       \
                                const float *p, const float *q, const float *r, float *out) {              \
    const T t = (LD(T, x + at) - LD(T, m + g)) * LD(T, q + g);                                             \
    ST(T, out + at, (u == NULL ? t : LD(T, u + at) * LD(T, p + g) + t) + LD(T, r + g));                    \
  }

AFFINE(v16, 16)
AFFINE(v8, 8)
AFFINE(v4, 4)

typedef struct {
  const float *u, *x, *m, *p, *q, *r;
  float *out;
  size_t rows, C, rows_per_task;
} affine_job;

LOSSLAB_CLONES
static void affine_rows(void *context, size_t task, unsigned thread) {
  (void)thread;
  const affine_job *k = context;
  const size_t first = task * k->rows_per_task;
  const size_t end = k->rows - first < k->rows_per_task ? k->rows : first + k->rows_per_task;
  const size_t C = k->C;
  for (size_t row = first; row < end; row++) {
    const size_t base = row * C;
    size_t g = 0;
    for (; g + 16 <= C; g += 16) affine_16(k->u, k->x, base + g, g, k->m, k->p, k->q, k->r, k->out);
    if (g + 8 <= C) { affine_8(k->u, k->x, base + g, g, k->m, k->p, k->q, k->r, k->out); g += 8; }
    if (g + 4 <= C) affine_4(k->u, k->x, base + g, g, k->m, k->p, k->q, k->r, k->out);
  }
}

/* Rows are independent, so blocks of them are tasks for the helper threads. */
void losslab_batch_norm_affine(const float *u, const float *x, size_t rows, size_t C, const float *m, const float *p, const float *q,
                               const float *r, float *out, losslab_threads *pool, unsigned threads) {
  const size_t per_task = (1u << 16) / C + 1;
  affine_job job = {u, x, m, p, q, r, out, rows, C, per_task};
  losslab_parallel(pool, threads, (rows + per_task - 1) / per_task, affine_rows, &job);
}
