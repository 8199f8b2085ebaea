/*
 * The Winograd F(4x4, 3x3) transforms of ../simd/winograd.wat in C, on the wasm backend's heap.
 *
 * Same layouts, same contract and the same arithmetic per value as the .wat (every sum and
 * product in the same order, each rounded to float32, no fused multiply-add), so results are
 * bit-identical; only the vector width differs: GCC vectorises the channel loops to the
 * machine's widest vectors (target_clones), where wasm SIMD holds 4 floats.
 * Pointers are byte offsets into the heap; the caller (addon.c) has checked every extent.
 */
#include "kernels.h"

/* Channels are the vector axis: 16 at a time, then 4, then single floats for any rest. */
typedef int32_t i16 __attribute__((vector_size(64)));
typedef int32_t i4 __attribute__((vector_size(16)));

/* Runs BODY(T, c) over channels [0, n): v16 blocks, then v4, then float. */
#define OVER_CHANNELS(n, BODY)                            \
  do {                                                    \
    size_t c = 0;                                         \
    for (; c + 16 <= (n); c += 16) BODY(v16, c);          \
    for (; c + 4 <= (n); c += 4) BODY(v4, c);             \
    for (; c < (n); c++) BODY(float, c);                  \
  } while (0)

/* pmax(v, floor) of the .wat: `v < floor ? floor : v` (NaN and -0 kept), lane by lane. */
#define DEFINE_FLOOR(T, I, name)                                      \
  static inline __attribute__((always_inline)) T name(T v, float f) { \
    const T fl = (T){0} + f; /* f in every lane (f is 0 or -inf) */   \
    const I below = v < fl;                                           \
    I vi, fi, r;                                                      \
    T out;                                                            \
    memcpy(&vi, &v, sizeof v);                                        \
    memcpy(&fi, &fl, sizeof fl);                                      \
    r = (below & fi) | (~below & vi);                                 \
    memcpy(&out, &r, sizeof out);                                     \
    return out;                                                       \
  }
DEFINE_FLOOR(v16, i16, floor_v16)
DEFINE_FLOOR(v4, i4, floor_v4)
static inline float floor_float(float v, float f) { return v < f ? f : v; }
#define FLOOR(T, v, f) _Generic((v), v16: floor_v16, v4: floor_v4, float: floor_float)((v), (f))

/* Tiles are numbered row-major over [n, th, tw]: the column, row and image of the next one. */
static inline void next_tile(uint32_t *tc, uint32_t *tr, uint32_t *b, uint32_t tw, uint32_t th) {
  if (++*tc == tw) {
    *tc = 0;
    if (++*tr == th) {
      *tr = 0;
      ++*b;
    }
  }
}

/* Bᵀ (and B) on six values, as the .wat orders the arithmetic, into six destinations. */
#define B_ROWS(T, x0, x1, x2, x3, x4, x5, o0, o1, o2, o3, o4, o5)                         \
  do {                                                                                  \
    const T a0_ = (x0), a1_ = (x1), a2_ = (x2), a3_ = (x3), a4_ = (x4), a5_ = (x5);       \
    const T p_ = a4_ - a2_ * 4.0f, q_ = a3_ - a1_ * 4.0f, d_ = a4_ - a2_;               \
    T e_ = a3_ - a1_;                                                                   \
    e_ = e_ + e_;                                                                       \
    ST(T, (o0), (a0_ * 4.0f - a2_ * 5.0f) + a4_);                                       \
    ST(T, (o1), p_ + q_);                                                               \
    ST(T, (o2), p_ - q_);                                                               \
    ST(T, (o3), d_ + e_);                                                               \
    ST(T, (o4), d_ - e_);                                                               \
    ST(T, (o5), (a1_ * 4.0f - a3_ * 5.0f) + a5_);                                       \
  } while (0)

/* V[f][t - t0] for tiles t0 .. t1 - 1: planes[f] points at tile t0's row of plane f. */
static inline __attribute__((always_inline)) void input_core(const float *xs, const float *zero, float *const *planes, float *s, uint32_t h, uint32_t w, uint32_t ci,
                              uint32_t th, uint32_t tw, int32_t pad_top, int32_t pad_left, uint32_t t0, uint32_t t1) {
  const uint32_t cols = 4 * tw + 2;
  const size_t line = (size_t)cols * ci; /* floats per strip row */
  uint32_t tc = t0 % tw, tr = (t0 / tw) % th, b = t0 / (tw * th);
  for (uint32_t t = t0; t < t1; t++) {
    if (tc == 0 || t == t0) {
      /* Bᵀ down the columns of the whole tile row tr, into the strip. */
      const float *rows[6];
      for (int r = 0; r < 6; r++) {
        const int64_t row = (int64_t)tr * 4 + r - pad_top;
        rows[r] = row >= 0 && row < (int64_t)h ? xs + (((size_t)b * h + (size_t)row) * w) * ci : NULL;
      }
      for (uint32_t k = 0; k < cols; k++) {
        const int64_t col = (int64_t)k - pad_left;
        const int inside = col >= 0 && col < (int64_t)w;
        const float *q[6];
        for (int r = 0; r < 6; r++) q[r] = inside && rows[r] != NULL ? rows[r] + (size_t)col * ci : zero;
        float *o = s + (size_t)k * ci;
#define INPUT_COLUMN(T, c)                                                                                  \
  B_ROWS(T, LD(T, q[0] + c), LD(T, q[1] + c), LD(T, q[2] + c), LD(T, q[3] + c), LD(T, q[4] + c),        \
         LD(T, q[5] + c), o + c, o + line + c, o + 2 * line + c, o + 3 * line + c, o + 4 * line + c, o + 5 * line + c)
        OVER_CHANNELS(ci, INPUT_COLUMN);
      }
    }
    /* B along the tile's six strip rows: strip row i gives the frequencies 6i .. 6i + 5. */
    const size_t vb = (size_t)(t - t0) * ci;
    for (int i = 0; i < 6; i++) {
      const float *a = s + i * line + (size_t)tc * 4 * ci;
      float *v[6];
      for (int m = 0; m < 6; m++) v[m] = planes[6 * i + m] + vb;
#define INPUT_ROW(T, c)                                                                                     \
  B_ROWS(T, LD(T, a + c), LD(T, a + ci + c), LD(T, a + 2 * ci + c), LD(T, a + 3 * ci + c), LD(T, a + 4 * ci + c), \
         LD(T, a + 5 * ci + c), v[0] + c, v[1] + c, v[2] + c, v[3] + c, v[4] + c, v[5] + c)
      OVER_CHANNELS(ci, INPUT_ROW);
    }
    next_tile(&tc, &tr, &b, tw, th);
  }
}

/* Resolves a heap table of 36 byte offsets into plane pointers. */
static void resolve_planes(char *heap, uint32_t table, float **planes) {
  const uint32_t *at = (const uint32_t *)(heap + table);
  for (int f = 0; f < 36; f++) planes[f] = (float *)(heap + at[f]);
}

LOSSLAB_CLONES
void losslab_winograd_input(char *heap, uint32_t x, uint32_t zeros, uint32_t vt, uint32_t strip, uint32_t h, uint32_t w,
                            uint32_t ci, uint32_t th, uint32_t tw, int32_t pad_top, int32_t pad_left, uint32_t t0, uint32_t t1) {
  float *planes[36];
  resolve_planes(heap, vt, planes);
  input_core((const float *)(heap + x), (const float *)(heap + zeros), planes, (float *)(heap + strip), h, w, ci, th, tw, pad_top,
             pad_left, t0, t1);
}

/* y for tiles t0 .. t1 - 1 from M[f][t - t0]: planes[f] points at tile t0's row of plane f. */
static inline __attribute__((always_inline)) void output_core(const float *const *planes, float *ys, float *s, const float *bv, uint32_t co, uint32_t oh, uint32_t ow,
                               uint32_t th, uint32_t tw, uint32_t t0, uint32_t t1, int relu) {
  const float floor = relu ? 0.0f : -__builtin_inff();
  const size_t row = (size_t)6 * co; /* floats per scratch row */
  uint32_t tc = t0 % tw, tr = (t0 / tw) % th, b = t0 / (tw * th);
  for (uint32_t t = t0; t < t1; t++) {
    const size_t mb = (size_t)(t - t0) * co;
    /* Aᵀ down each of the six columns j: s[k][j] for the four output rows k. */
    for (int j = 0; j < 6; j++) {
      const float *q[6];
      for (int r = 0; r < 6; r++) q[r] = planes[6 * r + j] + mb;
      float *o = s + (size_t)j * co;
#define OUTPUT_COLUMN(T, c)                                                                                  \
  do {                                                                                                       \
    const T x0 = LD(T, q[0] + c), x1 = LD(T, q[1] + c), x2 = LD(T, q[2] + c), x3 = LD(T, q[3] + c);       \
    const T x4 = LD(T, q[4] + c), x5 = LD(T, q[5] + c);                                                  \
    const T p = x1 + x2, qq = x1 - x2, d = x3 + x4, e = x3 - x4;                                          \
    ST(T, o + c, (x0 + p) + d);                                                                            \
    ST(T, o + row + c, qq + (e + e));                                                                      \
    ST(T, o + 2 * row + c, p + d * 4.0f);                                                                  \
    ST(T, o + 3 * row + c, (qq + e * 8.0f) + x5);                                                          \
  } while (0)
      OVER_CHANNELS(co, OUTPUT_COLUMN);
    }
    /* A along each of the four rows of s into the output, clipped at the image's edges. */
    const uint32_t rows = oh - 4 * tr < 4 ? oh - 4 * tr : 4;
    const uint32_t cols = ow - 4 * tc < 4 ? ow - 4 * tc : 4;
    for (uint32_t i = 0; i < rows; i++) {
      const float *a = s + i * row;
      float *dst = ys + (((size_t)b * oh + 4 * tr + i) * ow + 4 * tc) * co;
#define OUTPUT_ROW(T, c)                                                                                     \
  do {                                                                                                       \
    const T x0 = LD(T, a + c), x1 = LD(T, a + co + c), x2 = LD(T, a + 2 * co + c), x3 = LD(T, a + 3 * co + c); \
    const T x4 = LD(T, a + 4 * co + c), x5 = LD(T, a + 5 * co + c), bc = LD(T, bv + c);                  \
    const T p = x1 + x2, qq = x1 - x2, d = x3 + x4, e = x3 - x4;                                          \
    ST(T, dst + c, FLOOR(T, ((x0 + p) + d) + bc, floor));                                                  \
    if (cols > 1) ST(T, dst + co + c, FLOOR(T, (qq + (e + e)) + bc, floor));                              \
    if (cols > 2) ST(T, dst + 2 * co + c, FLOOR(T, (p + d * 4.0f) + bc, floor));                          \
    if (cols > 3) ST(T, dst + 3 * co + c, FLOOR(T, ((qq + e * 8.0f) + x5) + bc, floor));                  \
  } while (0)
      OVER_CHANNELS(co, OUTPUT_ROW);
    }
    next_tile(&tc, &tr, &b, tw, th);
  }
}

LOSSLAB_CLONES
void losslab_winograd_output(char *heap, uint32_t mt, uint32_t y, uint32_t scratch, uint32_t bias, uint32_t co, uint32_t oh,
                             uint32_t ow, uint32_t th, uint32_t tw, uint32_t t0, uint32_t t1, int relu) {
  float *planes[36];
  resolve_planes(heap, mt, planes);
  output_core((const float *const *)planes, (float *)(heap + y), (float *)(heap + scratch), (const float *)(heap + bias), co, oh, ow, th,
              tw, t0, t1, relu);
}

/*
 * The whole convolution in cache-sized blocks of tiles: input transform, the 36 products
 * (losslab_gemm: XNNPACK's order and roundings) and output transform, so the transformed
 * planes stay in the L2 cache instead of going through memory between three separate calls.
 * Every tile is computed exactly as the separate calls compute it, so the result is the same.
 * u: 36 planes of ci * co floats, `ustride` apart; bias: co floats (zeros when there is none).
 */
typedef struct {
  const float *x, *zero, *u, *bias;
  size_t ustride, work_floats;
  float *y, *work;
  uint32_t h, w, ci, co, oh, ow, th, tw, tiles, block;
  int32_t pad_top, pad_left;
  int relu;
} conv_job;

/* One block of tiles, start to end, in the calling thread's own work buffer. */
LOSSLAB_CLONES
static void conv_block(void *context, size_t task, unsigned thread) {
  const conv_job *k = context;
  const uint32_t t0 = (uint32_t)task * k->block;
  const uint32_t t1 = k->tiles - t0 < k->block ? k->tiles : t0 + k->block;
  float *work = k->work + thread * k->work_floats;
  float *v[36], *m[36];
  float *strip = work, *s = strip + (size_t)6 * (4 * k->tw + 2) * k->ci, *planes = s + (size_t)24 * k->co;
  for (int f = 0; f < 36; f++) {
    v[f] = planes + (size_t)f * k->block * k->ci;
    m[f] = planes + (size_t)36 * k->block * k->ci + (size_t)f * k->block * k->co;
  }
  input_core(k->x, k->zero, v, strip, k->h, k->w, k->ci, k->th, k->tw, k->pad_top, k->pad_left, t0, t1);
  for (int f = 0; f < 36; f++) losslab_gemm(v[f], k->u + (size_t)f * k->ustride, m[f], t1 - t0, k->ci, k->co);
  output_core((const float *const *)m, k->y, s, k->bias, k->co, k->oh, k->ow, k->th, k->tw, t0, t1, k->relu);
}

/* Blocks write disjoint output tiles, so they run on as many threads as allowed (work: threads * work_floats). */
void losslab_winograd_conv(const float *x, const float *zero, const float *u, size_t ustride, float *y, const float *bias, uint32_t n,
                           uint32_t h, uint32_t w, uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th, uint32_t tw,
                           int32_t pad_top, int32_t pad_left, int relu, uint32_t block, float *work, size_t work_floats,
                           losslab_threads *pool, unsigned threads) {
  const uint32_t tiles = n * th * tw;
  conv_job job = {x, zero, u, bias, ustride, work_floats, y, work, h, w, ci, co, oh, ow, th, tw, tiles, block, pad_top, pad_left, relu};
  losslab_parallel(pool, threads, (tiles + (size_t)block - 1) / block, conv_block, &job);
}

/* Channels per block of the gradient transform (one vector), and tiles per block. */
#define GC 16
#define GT 16

/* A's rows (points 0, 1, -1, 2, -2, infinity) applied to (g0, g1, g2, g3), as the .wat orders them. */
#define A_ROWS(g0, g1, g2, g3, out)          \
  do {                                       \
    const v16 e_ = (g0) + (g2), q_ = (g1) + (g3); \
    const v16 e4_ = (g0) + (g2) * 4.0f;      \
    const v16 q8_ = (g1) * 2.0f + (g3) * 8.0f; \
    (out)[0] = (g0);                         \
    (out)[1] = e_ + q_;                      \
    (out)[2] = e_ - q_;                      \
    (out)[3] = e4_ + q8_;                    \
    (out)[4] = e4_ - q8_;                    \
    (out)[5] = (g3);                         \
  } while (0)

/*
 * Wt[f][o][t - t0] = (A g Aᵀ)[f] for the 4x4 dy tiles g, 16 channels at a time (a channel
 * block shorter than 16 reads zeros past its end and stores only its own channels): A down
 * each column, then along each row, into s[f][tile][channel] for 16 tiles; then each plane row
 * gets a 16-tile run. Writing tile by tile instead scatters 4-byte stores over 36 * co plane rows.
 */
static inline __attribute__((always_inline)) void gradient_core(const float *dys, float *const *planes, uint32_t co, uint32_t oh,
                                                                uint32_t ow, uint32_t th, uint32_t tw, uint32_t t0, uint32_t t1,
                                                                float *s /* 36 * GT * GC floats */) {
  const size_t len = t1 - t0; /* floats per plane row */
  const v16 zero = {0};
  for (uint32_t c0 = 0; c0 < co; c0 += GC) {
    const uint32_t nc = co - c0 < GC ? co - c0 : GC;
    for (size_t u0 = 0; u0 < len; u0 += GT) {
      const uint32_t cnt = len - u0 < GT ? (uint32_t)(len - u0) : GT;
      const uint32_t t = t0 + (uint32_t)u0;
      uint32_t tc = t % tw, tr = (t / tw) % th, b = t / (tw * th);
      for (uint32_t uu = 0; uu < cnt; uu++) {
        v16 r6[4][6]; /* r6[j][m]: A down column j, row m */
        for (int j = 0; j < 4; j++) {
          const uint32_t col = 4 * tc + j;
          v16 g[4];
          for (int r = 0; r < 4; r++) {
            const uint32_t row = 4 * tr + r;
            g[r] = zero;
            if (row < oh && col < ow) memcpy(&g[r], dys + (((size_t)b * oh + row) * ow + col) * co + c0, nc * sizeof(float));
          }
          A_ROWS(g[0], g[1], g[2], g[3], r6[j]);
        }
        for (int m = 0; m < 6; m++) {
          v16 f6[6];
          A_ROWS(r6[0][m], r6[1][m], r6[2][m], r6[3][m], f6);
          for (int i = 0; i < 6; i++) ST(v16, s + ((size_t)(6 * m + i) * GT + uu) * GC, f6[i]);
        }
        next_tile(&tc, &tr, &b, tw, th);
      }
      /* The block into the planes: Wt[f][c0 + k][u0 + uu] = s[f][uu][k]. */
      for (int f = 0; f < 36; f++) {
        const float *sf = s + (size_t)f * GT * GC;
        for (uint32_t k = 0; k < nc; k++) {
          float *dst = planes[f] + (size_t)(c0 + k) * len + u0;
          for (uint32_t uu = 0; uu < cnt; uu++) dst[uu] = sf[uu * GC + k];
        }
      }
    }
  }
}

LOSSLAB_CLONES
void losslab_winograd_gradient(char *heap, uint32_t dy, uint32_t wt, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th,
                               uint32_t tw, uint32_t t0, uint32_t t1, float *s) {
  float *planes[36];
  resolve_planes(heap, wt, planes);
  gradient_core((const float *)(heap + dy), planes, co, oh, ow, th, tw, t0, t1, s);
}

/*
 * The whole filter gradient's products, as ../winograd-filter-grad.ts computes them: per chunk
 * of `chunk` tiles (its boundaries, so the float64 sums below see the same float32 partial sums),
 * M[f] = Wt[f]·V[f] summed over the chunk's tiles in order, in float32; then sum[f] (float64)
 * takes each chunk's M (set by the first). Inside a chunk the tiles go in blocks of `block`
 * (the planes stay in cache), each block's products continuing the float32 sums of the last.
 * work: 36 * block * (ci + co) + 36 * co * ci + 6 * (4 tw + 2) * ci + 36 * GT * GC floats.
 */
LOSSLAB_CLONES
void losslab_winograd_filter_grad(const float *x, const float *zero, const float *dy, double *sum, uint32_t n, uint32_t h, uint32_t w,
                                  uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th, uint32_t tw, int32_t pad_top,
                                  int32_t pad_left, uint32_t chunk, uint32_t block, float *work) {
  const uint32_t tiles = n * th * tw;
  const size_t pairs = (size_t)co * ci;
  float *v[36], *wt[36];
  float *m = work, *strip = m + 36 * pairs, *s = strip + (size_t)6 * (4 * tw + 2) * ci, *planes = s + 36 * GT * GC;
  for (uint32_t c0 = 0; c0 < tiles; c0 += chunk) {
    const uint32_t c1 = tiles - c0 < chunk ? tiles : c0 + chunk;
    for (uint32_t t0 = c0; t0 < c1; t0 += block) {
      const uint32_t t1 = c1 - t0 < block ? c1 : t0 + block;
      const size_t len = t1 - t0;
      for (int f = 0; f < 36; f++) {
        v[f] = planes + (size_t)f * len * ci;
        wt[f] = planes + (size_t)36 * len * ci + (size_t)f * len * co;
      }
      input_core(x, zero, v, strip, h, w, ci, th, tw, pad_top, pad_left, t0, t1);
      gradient_core(dy, wt, co, oh, ow, th, tw, t0, t1, s);
      for (int f = 0; f < 36; f++) losslab_gemm_more(wt[f], v[f], m + f * pairs, co, len, ci, t0 != c0);
    }
    for (size_t i = 0; i < 36 * pairs; i++) sum[i] = c0 == 0 ? (double)m[i] : sum[i] + (double)m[i];
  }
}
