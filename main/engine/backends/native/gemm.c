/*
 * LossLab's native GEMM: C[M,N] = A[M,K] x B[K,N], row-major float32.
 *
 * It reproduces XNNPACK's fully-connected result bit for bit, so that a run gives the same
 * numbers with or without this addon: every output starts at +0 and adds the products
 * a[i][k] * b[k][j] one k at a time, in order, each product and each sum rounded to float32
 * (no fused multiply-add; see kernels.h). Only the width of the
 * vectors differs: 16 outputs of a row per vector, where wasm SIMD holds 4, and no packing
 * of B, which XNNPACK redoes for every new right-hand operand.
 */
#include "kernels.h"

/* Columns [j, j + W) of rows [i, i + R), R <= 4, with vectors of type T (W floats). */
#define BLOCK(T, W)                                                                   \
  static inline void block_##W(const float *a, const float *b, float *c, size_t i,    \
                               size_t rows, size_t j, size_t K, size_t N, int more) { \
    T acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};                                 \
    if (more) {                                                                       \
      acc0 = LD(T, c + i * N + j);                                                    \
      if (rows > 1) acc1 = LD(T, c + (i + 1) * N + j);                                \
      if (rows > 2) acc2 = LD(T, c + (i + 2) * N + j);                                \
      if (rows > 3) acc3 = LD(T, c + (i + 3) * N + j);                                \
    }                                                                                 \
    const float *a0 = a + i * K, *a1 = a0 + K, *a2 = a1 + K, *a3 = a2 + K;            \
    if (rows == 4) {                                                                  \
      for (size_t k = 0; k < K; k++) {                                                \
        const T bk = LD(T, b + k * N + j);                                          \
        acc0 = acc0 + a0[k] * bk;                                                     \
        acc1 = acc1 + a1[k] * bk;                                                     \
        acc2 = acc2 + a2[k] * bk;                                                     \
        acc3 = acc3 + a3[k] * bk;                                                     \
      }                                                                               \
    } else {                                                                          \
      for (size_t k = 0; k < K; k++) {                                                \
        const T bk = LD(T, b + k * N + j);                                          \
        acc0 = acc0 + a0[k] * bk;                                                     \
        if (rows > 1) acc1 = acc1 + a1[k] * bk;                                       \
        if (rows > 2) acc2 = acc2 + a2[k] * bk;                                       \
      }                                                                               \
    }                                                                                 \
    ST(T, c + i * N + j, acc0);                                                    \
    if (rows > 1) ST(T, c + (i + 1) * N + j, acc1);                                \
    if (rows > 2) ST(T, c + (i + 2) * N + j, acc2);                                \
    if (rows > 3) ST(T, c + (i + 3) * N + j, acc3);                                \
  }

BLOCK(v16, 16)
BLOCK(v8, 8)
BLOCK(v4, 4)

static inline void block_1(const float *a, const float *b, float *c, size_t i, size_t rows, size_t j, size_t K, size_t N, int more) {
  for (size_t r = 0; r < rows; r++) {
    const float *ar = a + (i + r) * K;
    float acc = more ? c[(i + r) * N + j] : 0.0f;
    for (size_t k = 0; k < K; k++) acc = acc + ar[k] * b[k * N + j];
    c[(i + r) * N + j] = acc;
  }
}

/* more = 0: C = A·B; more = 1: the sums go on from C's values (a long sum split over several calls, same roundings). */
LOSSLAB_CLONES
void losslab_gemm_more(const float *a, const float *b, float *c, size_t M, size_t K, size_t N, int more) {
  for (size_t i = 0; i < M; i += 4) {
    const size_t rows = M - i < 4 ? M - i : 4;
    size_t j = 0;
    for (; j + 16 <= N; j += 16) block_16(a, b, c, i, rows, j, K, N, more);
    if (j + 8 <= N) { block_8(a, b, c, i, rows, j, K, N, more); j += 8; }
    if (j + 4 <= N) { block_4(a, b, c, i, rows, j, K, N, more); j += 4; }
    for (; j < N; j++) block_1(a, b, c, i, rows, j, K, N, more);
  }
}

void losslab_gemm(const float *a, const float *b, float *c, size_t M, size_t K, size_t N) { losslab_gemm_more(a, b, c, M, K, N, 0); }
