/*
 * The Winograd F(4x4, 3x3) transforms of ../simd/winograd.wat in C, on the wasm backend's heap.
 *
 * Same layouts, same contract and the same arithmetic per value as the .wat (every sum and
 * product in the same order, each rounded to float32, no fused multiply-add), so results are
 * bit-identical; only the vector width differs: GCC vectorises the channel loops to the
 * machine's widest vectors (target_clones), where wasm SIMD holds 4 floats.
 * Pointers are byte offsets into the heap; the caller (kernels.c) has checked every extent.
 */
#include "kernels.h"

/* ((a*4 - b*5) + c): rows 0 and 5 of Bᵀ. */
#define B_EDGE(a, b, c) (((a) * 4.0f - (b) * 5.0f) + (c))

LOSSLAB_CLONES
void losslab_winograd_input(char *heap, uint32_t x, uint32_t vt, uint32_t strip, uint32_t h, uint32_t w, uint32_t ci,
                            uint32_t th, uint32_t tw, int32_t pad_top, int32_t pad_left, uint32_t t0, uint32_t t1) {
  const uint32_t cols = 4 * tw + 2;
  const size_t line = (size_t)cols * ci; /* floats per strip row */
  float *s = (float *)(heap + strip);
  const uint32_t *planes = (const uint32_t *)(heap + vt);
  uint32_t tc = t0 % tw, tr = (t0 / tw) % th, b = t0 / (tw * th);
  for (uint32_t t = t0; t < t1; t++) {
    if (tc == 0 || t == t0) {
      /* Bᵀ down the columns of the whole tile row tr, into the strip. */
      const float *rows[6];
      for (int r = 0; r < 6; r++) {
        const int64_t row = (int64_t)tr * 4 + r - pad_top;
        rows[r] = row >= 0 && row < (int64_t)h ? (const float *)(heap + x) + (((size_t)b * h + (size_t)row) * w) * ci : NULL;
      }
      for (uint32_t k = 0; k < cols; k++) {
        const int64_t col = (int64_t)k - pad_left;
        const int inside = col >= 0 && col < (int64_t)w;
        const float *q[6];
        for (int r = 0; r < 6; r++) q[r] = inside && rows[r] != NULL ? rows[r] + (size_t)col * ci : NULL;
        float *o = s + (size_t)k * ci;
        for (uint32_t c = 0; c < ci; c++) {
          const float x0 = q[0] ? q[0][c] : 0.0f, x1 = q[1] ? q[1][c] : 0.0f, x2 = q[2] ? q[2][c] : 0.0f;
          const float x3 = q[3] ? q[3][c] : 0.0f, x4 = q[4] ? q[4][c] : 0.0f, x5 = q[5] ? q[5][c] : 0.0f;
          const float p = x4 - x2 * 4.0f, qq = x3 - x1 * 4.0f, d = x4 - x2;
          float e = x3 - x1;
          e = e + e;
          o[c] = B_EDGE(x0, x2, x4);
          o[line + c] = p + qq;
          o[2 * line + c] = p - qq;
          o[3 * line + c] = d + e;
          o[4 * line + c] = d - e;
          o[5 * line + c] = B_EDGE(x1, x3, x5);
        }
      }
    }
    /* B along the tile's six strip rows: strip row i gives the frequencies 6i .. 6i + 5. */
    const size_t vb = (size_t)(t - t0) * ci;
    for (int i = 0; i < 6; i++) {
      const float *a = s + i * line + (size_t)tc * 4 * ci;
      float *v0 = (float *)(heap + planes[6 * i]) + vb, *v1 = (float *)(heap + planes[6 * i + 1]) + vb;
      float *v2 = (float *)(heap + planes[6 * i + 2]) + vb, *v3 = (float *)(heap + planes[6 * i + 3]) + vb;
      float *v4 = (float *)(heap + planes[6 * i + 4]) + vb, *v5 = (float *)(heap + planes[6 * i + 5]) + vb;
      for (uint32_t c = 0; c < ci; c++) {
        const float x0 = a[c], x1 = a[ci + c], x2 = a[2 * ci + c], x3 = a[3 * ci + c], x4 = a[4 * ci + c], x5 = a[5 * ci + c];
        const float p = x4 - x2 * 4.0f, qq = x3 - x1 * 4.0f, d = x4 - x2;
        float e = x3 - x1;
        e = e + e;
        v0[c] = B_EDGE(x0, x2, x4);
        v1[c] = p + qq;
        v2[c] = p - qq;
        v3[c] = d + e;
        v4[c] = d - e;
        v5[c] = B_EDGE(x1, x3, x5);
      }
    }
    if (++tc == tw) {
      tc = 0;
      if (++tr == th) {
        tr = 0;
        b++;
      }
    }
  }
}

/* pmax(v, floor) of the .wat: `v < floor ? floor : v` (NaN and -0 kept). */
static inline float floor_at(float v, float floor) { return v < floor ? floor : v; }

LOSSLAB_CLONES
void losslab_winograd_output(char *heap, uint32_t mt, uint32_t y, uint32_t scratch, uint32_t bias, uint32_t co, uint32_t oh,
                             uint32_t ow, uint32_t th, uint32_t tw, uint32_t t0, uint32_t t1, int relu) {
  const float floor = relu ? 0.0f : -__builtin_inff();
  const size_t row = (size_t)6 * co; /* floats per scratch row */
  float *s = (float *)(heap + scratch);
  const float *bv = (const float *)(heap + bias);
  const uint32_t *planes = (const uint32_t *)(heap + mt);
  uint32_t tc = t0 % tw, tr = (t0 / tw) % th, b = t0 / (tw * th);
  for (uint32_t t = t0; t < t1; t++) {
    const size_t mb = (size_t)(t - t0) * co;
    /* Aᵀ down each of the six columns j: s[k][j] for the four output rows k. */
    for (int j = 0; j < 6; j++) {
      const float *q0 = (const float *)(heap + planes[j]) + mb, *q1 = (const float *)(heap + planes[6 + j]) + mb;
      const float *q2 = (const float *)(heap + planes[12 + j]) + mb, *q3 = (const float *)(heap + planes[18 + j]) + mb;
      const float *q4 = (const float *)(heap + planes[24 + j]) + mb, *q5 = (const float *)(heap + planes[30 + j]) + mb;
      float *o = s + (size_t)j * co;
      for (uint32_t c = 0; c < co; c++) {
        const float x0 = q0[c], x1 = q1[c], x2 = q2[c], x3 = q3[c], x4 = q4[c], x5 = q5[c];
        const float p = x1 + x2, q = x1 - x2, d = x3 + x4, e = x3 - x4;
        o[c] = (x0 + p) + d;
        o[row + c] = q + (e + e);
        o[2 * row + c] = p + d * 4.0f;
        o[3 * row + c] = (q + e * 8.0f) + x5;
      }
    }
    /* A along each of the four rows of s into the output, clipped at the image's edges. */
    const uint32_t rows = oh - 4 * tr < 4 ? oh - 4 * tr : 4;
    const uint32_t cols = ow - 4 * tc < 4 ? ow - 4 * tc : 4;
    for (uint32_t i = 0; i < rows; i++) {
      const float *a = s + i * row;
      float *dst = (float *)(heap + y) + (((size_t)b * oh + 4 * tr + i) * ow + 4 * tc) * co;
      for (uint32_t c = 0; c < co; c++) {
        const float x0 = a[c], x1 = a[co + c], x2 = a[2 * co + c], x3 = a[3 * co + c], x4 = a[4 * co + c], x5 = a[5 * co + c];
        const float p = x1 + x2, q = x1 - x2, d = x3 + x4, e = x3 - x4, bc = bv[c];
        dst[c] = floor_at(((x0 + p) + d) + bc, floor);
        if (cols > 1) dst[co + c] = floor_at((q + (e + e)) + bc, floor);
        if (cols > 2) dst[2 * co + c] = floor_at((p + d * 4.0f) + bc, floor);
        if (cols > 3) dst[3 * co + c] = floor_at(((q + e * 8.0f) + x5) + bc, floor);
      }
    }
    if (++tc == tw) {
      tc = 0;
      if (++tr == th) {
        tr = 0;
        b++;
      }
    }
  }
}

/* Channels per block of the gradient transform, and tiles per block (one cache line of each plane row). */
#define GC 16
#define GT 16

/* A's rows (points 0, 1, -1, 2, -2, infinity) applied to (g0, g1, g2, g3), as the .wat orders them. */
#define A_ROWS(g0, g1, g2, g3, out, stride)                  \
  do {                                                       \
    const float e_ = (g0) + (g2), q_ = (g1) + (g3);          \
    const float e4_ = (g0) + (g2) * 4.0f;                    \
    const float q8_ = (g1) * 2.0f + (g3) * 8.0f;             \
    (out)[0] = (g0);                                         \
    (out)[(stride)] = e_ + q_;                               \
    (out)[2 * (stride)] = e_ - q_;                           \
    (out)[3 * (stride)] = e4_ + q8_;                         \
    (out)[4 * (stride)] = e4_ - q8_;                         \
    (out)[5 * (stride)] = (g3);                              \
  } while (0)

LOSSLAB_CLONES
void losslab_winograd_gradient(char *heap, uint32_t dy, uint32_t wt, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th,
                               uint32_t tw, uint32_t t0, uint32_t t1, float *s /* 36 * GT * GC floats */) {
  const uint32_t *planes = (const uint32_t *)(heap + wt);
  const size_t len = t1 - t0; /* floats per plane row */
  for (uint32_t c0 = 0; c0 < co; c0 += GC) {
    const uint32_t nc = co - c0 < GC ? co - c0 : GC;
    for (uint32_t u0 = 0; u0 < len; u0 += GT) {
      const uint32_t cnt = len - u0 < GT ? (uint32_t)(len - u0) : GT;
      uint32_t t = t0 + u0;
      uint32_t tc = t % tw, tr = (t / tw) % th, b = t / (tw * th);
      for (uint32_t uu = 0; uu < cnt; uu++) {
        const float *rp[4];
        for (int r = 0; r < 4; r++) {
          const uint32_t row = 4 * tr + r;
          rp[r] = row < oh ? (const float *)(heap + dy) + (((size_t)b * oh + row) * ow) * co + c0 : NULL;
        }
        /* s[f][uu][k] for frequency f, tile uu, channel c0 + k. */
        float *su = s + (size_t)uu * GC;
        for (uint32_t k = 0; k < nc; k++) {
          float r6[6][4];
          for (int j = 0; j < 4; j++) {
            const uint32_t col = 4 * tc + j;
            float g[4];
            for (int r = 0; r < 4; r++) g[r] = rp[r] != NULL && col < ow ? rp[r][(size_t)col * co + k] : 0.0f;
            /* A down column j. */
            A_ROWS(g[0], g[1], g[2], g[3], &r6[0][j], 4);
          }
          /* A along each of the six rows: frequencies 6m .. 6m + 5. */
          for (int m = 0; m < 6; m++) A_ROWS(r6[m][0], r6[m][1], r6[m][2], r6[m][3], su + (size_t)(6 * m) * GT * GC + k, GT * GC);
        }
        if (++tc == tw) {
          tc = 0;
          if (++tr == th) {
            tr = 0;
            b++;
          }
        }
      }
      /* The block into the planes: Wt[f][c0 + k][u0 + uu] = s[f][uu][k], runs of tiles contiguous. */
      for (int f = 0; f < 36; f++) {
        const float *sf = s + (size_t)f * GT * GC;
        for (uint32_t k = 0; k < nc; k++) {
          float *dst = (float *)(heap + planes[f]) + (size_t)(c0 + k) * len + u0;
          for (uint32_t uu = 0; uu < cnt; uu++) dst[uu] = sf[uu * GC + k];
        }
      }
    }
  }
}
