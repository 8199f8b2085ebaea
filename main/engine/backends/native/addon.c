/*
 * The Node-API face of LossLab's native kernels: each function takes the wasm backend's heap
 * (an ArrayBuffer) and byte offsets into it, exactly as the .wat kernels take their memory,
 * checks that everything it will touch lies inside the heap, then runs the kernel in place.
 * A failed check throws (RangeError/TypeError) and touches nothing.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include "kernels.h"

#define MAX_ARGS 17

typedef struct {
  char *heap;
  uint64_t bytes;
  uint32_t v[MAX_ARGS]; /* v[i] is argument i + 1 (argument 0 is the heap) */
} Args;

static int fail(napi_env env, const char *name, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", name, what);
  napi_throw_range_error(env, NULL, message);
  return 0;
}

#define MAX_ARGV 19

/* The call's arguments into argv, exactly `count` of them, or 0 having thrown. */
static int get_args(napi_env env, napi_callback_info info, const char *name, size_t count, napi_value *argv) {
  size_t argc = MAX_ARGV;
  if (count > MAX_ARGV || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != count) {
    char what[64];
    snprintf(what, sizeof what, "takes %zu arguments", count);
    return fail(env, name, what);
  }
  return 1;
}

/* The heap (an ArrayBuffer) into out->heap and out->bytes, or 0 having thrown. */
static int read_heap(napi_env env, napi_value value, const char *name, Args *out) {
  void *heap = NULL;
  size_t bytes = 0;
  bool is_buffer = false;
  if (napi_is_arraybuffer(env, value, &is_buffer) != napi_ok || !is_buffer || napi_get_arraybuffer_info(env, value, &heap, &bytes) != napi_ok) {
    return fail(env, name, "the heap must be an ArrayBuffer");
  }
  out->heap = (char *)heap;
  out->bytes = bytes;
  return 1;
}

/* A non-negative integer below 2^32 (a heap offset or a size), or 0 having thrown. */
static int read_u32(napi_env env, napi_value value, uint32_t *out, const char *name) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || d != (double)(int64_t)d || d < 0 || d > 4294967295.0) {
    return fail(env, name, "offsets and sizes must be non-negative integers");
  }
  *out = (uint32_t)d;
  return 1;
}

/* An int32 (a padding), or 0 having thrown. */
static int read_i32(napi_env env, napi_value value, int32_t *out, const char *name) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || d != (double)(int64_t)d || d < -2147483648.0 || d > 2147483647.0) {
    return fail(env, name, "paddings must be integers");
  }
  *out = (int32_t)d;
  return 1;
}

/* Reads the heap and `count` integer arguments after it into out->v (int32 where `signed_mask` has the bit). */
static int read_args(napi_env env, napi_callback_info info, const char *name, size_t count, uint32_t signed_mask, Args *out) {
  napi_value argv[MAX_ARGV];
  if (!get_args(env, info, name, count + 1, argv) || !read_heap(env, argv[0], name, out)) return 0;
  for (size_t i = 0; i < count; i++) {
    if ((signed_mask >> i) & 1) {
      int32_t v;
      if (!read_i32(env, argv[i + 1], &v, name)) return 0;
      out->v[i] = (uint32_t)v;
    } else if (!read_u32(env, argv[i + 1], &out->v[i], name)) {
      return 0;
    }
  }
  return 1;
}

/* [offset, offset + bytes) inside the heap and offset 4-byte aligned. */
static int inside(const Args *a, uint64_t offset, uint64_t bytes) { return offset % 4 == 0 && offset <= a->bytes && bytes <= a->bytes - offset; }

/* Each of the 36 plane offsets listed at `table` holds `floats` floats inside the heap. */
static int planes_inside(const Args *a, uint32_t table, uint64_t floats) {
  if (!inside(a, table, 36 * 4)) return 0;
  const uint32_t *p = (const uint32_t *)(a->heap + table);
  for (int f = 0; f < 36; f++) if (!inside(a, p[f], floats * 4)) return 0;
  return 1;
}

/* Per addon instance (each training worker loads its own): its helper threads and the thread budget it reads. */
typedef struct {
  losslab_threads *pool;
  napi_ref budget; /* the shared Int32Array, kept alive while it is read */
} Instance;

static void free_instance(napi_env env, void *data, void *hint) {
  (void)hint;
  Instance *instance = data;
  losslab_threads_destroy(instance->pool);
  if (instance->budget != NULL) napi_delete_reference(env, instance->budget);
  free(instance);
}

static losslab_threads *threads_of(napi_env env) {
  Instance *instance = NULL;
  return napi_get_instance_data(env, (void **)&instance) == napi_ok && instance != NULL ? instance->pool : NULL;
}

/* gemm(heap, aOffset, bOffset, outOffset, M, K, N) */
static napi_value Gemm(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "gemm", 6, 0, &a)) return NULL;
  const uint64_t M = a.v[3], K = a.v[4], N = a.v[5];
  if (!inside(&a, a.v[0], 4 * M * K) || !inside(&a, a.v[1], 4 * K * N) || !inside(&a, a.v[2], 4 * M * N)) {
    fail(env, "gemm", "an operand lies outside the heap or is misaligned");
    return NULL;
  }
  losslab_gemm((const float *)(a.heap + a.v[0]), (const float *)(a.heap + a.v[1]), (float *)(a.heap + a.v[2]), M, K, N);
  return NULL;
}

/* Tiles t0 .. t1 - 1 over [n, th, tw] on images of oh x ow (output side) need th, tw to fit and n = last image + 1. */
static int tiles_fit(uint32_t oh, uint32_t ow, uint32_t th, uint32_t tw, uint32_t t1, uint64_t *images) {
  if (th == 0 || tw == 0 || (uint64_t)4 * (th - 1) >= oh || (uint64_t)4 * (tw - 1) >= ow) return 0;
  *images = ((uint64_t)t1 - 1) / ((uint64_t)tw * th) + 1;
  return 1;
}

/* winogradInput(heap, x, zeros, vt, strip, h, w, ci, th, tw, padTop, padLeft, t0, t1): see ../simd/winograd-simd.ts. */
static napi_value WinogradInput(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "winogradInput", 13, (1u << 9) | (1u << 10), &a)) return NULL;
  const uint32_t x = a.v[0], zeros = a.v[1], vt = a.v[2], strip = a.v[3], h = a.v[4], w = a.v[5], ci = a.v[6], th = a.v[7], tw = a.v[8];
  const int32_t pad_top = (int32_t)a.v[9], pad_left = (int32_t)a.v[10];
  const uint32_t t0 = a.v[11], t1 = a.v[12];
  if (t0 >= t1) return NULL;
  const uint64_t images = ((uint64_t)t1 - 1) / ((uint64_t)(tw ? tw : 1) * (th ? th : 1)) + 1;
  if (th == 0 || tw == 0 || ci == 0 || !inside(&a, x, (uint64_t)4 * images * h * w * ci) || !planes_inside(&a, vt, (uint64_t)(t1 - t0) * ci) ||
      !inside(&a, strip, (uint64_t)4 * 6 * (4 * (uint64_t)tw + 2) * ci) || !inside(&a, zeros, (uint64_t)4 * ci)) {
    fail(env, "winogradInput", "an operand lies outside the heap or is misaligned");
    return NULL;
  }
  losslab_winograd_input(a.heap, x, zeros, vt, strip, h, w, ci, th, tw, pad_top, pad_left, t0, t1);
  return NULL;
}

/* winogradOutput(heap, mt, y, s, bias, co, oh, ow, th, tw, t0, t1, relu) */
static napi_value WinogradOutput(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "winogradOutput", 12, 0, &a)) return NULL;
  const uint32_t mt = a.v[0], y = a.v[1], s = a.v[2], bias = a.v[3], co = a.v[4], oh = a.v[5], ow = a.v[6], th = a.v[7], tw = a.v[8];
  const uint32_t t0 = a.v[9], t1 = a.v[10], relu = a.v[11];
  if (t0 >= t1) return NULL;
  uint64_t images;
  if (co == 0 || !tiles_fit(oh, ow, th, tw, t1, &images) || !planes_inside(&a, mt, (uint64_t)(t1 - t0) * co) ||
      !inside(&a, y, (uint64_t)4 * images * oh * ow * co) || !inside(&a, s, (uint64_t)4 * 24 * co) || !inside(&a, bias, (uint64_t)4 * co)) {
    fail(env, "winogradOutput", "an operand lies outside the heap or is misaligned");
    return NULL;
  }
  losslab_winograd_output(a.heap, mt, y, s, bias, co, oh, ow, th, tw, t0, t1, relu != 0);
  return NULL;
}

/* winogradGradient(heap, dy, zeros, wt, s, co, oh, ow, th, tw, t0, t1): the filter gradient's dy transform. */
static napi_value WinogradGradient(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "winogradGradient", 11, 0, &a)) return NULL;
  const uint32_t dy = a.v[0], wt = a.v[2], co = a.v[4], oh = a.v[5], ow = a.v[6], th = a.v[7], tw = a.v[8], t0 = a.v[9], t1 = a.v[10];
  if (t0 >= t1) return NULL;
  uint64_t images;
  if (co == 0 || !tiles_fit(oh, ow, th, tw, t1, &images) || !inside(&a, dy, (uint64_t)4 * images * oh * ow * co) ||
      !planes_inside(&a, wt, (uint64_t)(t1 - t0) * co)) {
    fail(env, "winogradGradient", "an operand lies outside the heap or is misaligned");
    return NULL;
  }
  float *scratch = malloc(sizeof(float) * LOSSLAB_GRADIENT_SCRATCH_FLOATS);
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "winogradGradient: out of memory");
    return NULL;
  }
  losslab_winograd_gradient(a.heap, dy, wt, co, oh, ow, th, tw, t0, t1, scratch);
  free(scratch);
  return NULL;
}

/* A typed array argument of the given type and at least `min_length` elements, or NULL (having thrown). */
static void *typed_array(napi_env env, napi_value value, napi_typedarray_type want, uint64_t min_length, const char *name, const char *what) {
  bool is_typed = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = NULL;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != napi_ok || type != want || length < min_length) {
    char message[160];
    snprintf(message, sizeof message, "%s: %s must be a %s of at least %llu elements", name, what,
             want == napi_float32_array ? "Float32Array" : want == napi_int32_array ? "Int32Array" : "Float64Array", (unsigned long long)min_length);
    napi_throw_range_error(env, NULL, message);
    return NULL;
  }
  return data;
}

/* winogradFilter(src: Float32Array, u: Float32Array, ci, co, flipped): U = G g Gᵀ (see ../winograd-conv.ts). */
static napi_value WinogradFilter(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGV];
  uint32_t v[2];
  bool flipped = false;
  if (!get_args(env, info, "winogradFilter", 5, argv) || !read_u32(env, argv[2], &v[0], "winogradFilter") ||
      !read_u32(env, argv[3], &v[1], "winogradFilter")) {
    return NULL;
  }
  if (napi_get_value_bool(env, argv[4], &flipped) != napi_ok) {
    fail(env, "winogradFilter", "flipped must be a boolean");
    return NULL;
  }
  const uint64_t plane = (uint64_t)v[0] * v[1];
  const float *src = typed_array(env, argv[0], napi_float32_array, 9 * plane, "winogradFilter", "the filter");
  if (src == NULL) return NULL;
  float *u = typed_array(env, argv[1], napi_float32_array, 36 * (plane + 16), "winogradFilter", "the output");
  if (u == NULL) return NULL;
  losslab_winograd_filter(src, u, v[0], v[1], flipped);
  return NULL;
}

/* winogradFilterGradOutput(dw: Float32Array, m: Float64Array, ci, co): dW = Gᵀ M G (see ../winograd-filter-grad.ts). */
static napi_value WinogradFilterGradOutput(napi_env env, napi_callback_info info) {
  napi_value argv[MAX_ARGV];
  uint32_t v[2];
  if (!get_args(env, info, "winogradFilterGradOutput", 4, argv) || !read_u32(env, argv[2], &v[0], "winogradFilterGradOutput") ||
      !read_u32(env, argv[3], &v[1], "winogradFilterGradOutput")) {
    return NULL;
  }
  const uint64_t plane = (uint64_t)v[0] * v[1];
  float *dw = typed_array(env, argv[0], napi_float32_array, 9 * plane, "winogradFilterGradOutput", "dW");
  if (dw == NULL) return NULL;
  const double *m = typed_array(env, argv[1], napi_float64_array, 36 * plane, "winogradFilterGradOutput", "M");
  if (m == NULL) return NULL;
  double *scratch = malloc(sizeof(double) * 18 * (plane ? plane : 1));
  if (scratch == NULL) {
    napi_throw_error(env, NULL, "winogradFilterGradOutput: out of memory");
    return NULL;
  }
  losslab_winograd_filter_grad_output(dw, m, v[0], v[1], scratch);
  free(scratch);
  return NULL;
}

/*
 * Tiles per block of the whole-convolution calls: whole rows of tiles whose transformed planes
 * (36 per side, ci + co floats per tile) take about 1 MiB, so they stay in the L2 cache.
 */
static uint64_t tiles_per_block(uint32_t ci, uint32_t co, uint32_t tw) {
  const uint64_t block = (262144 / ((uint64_t)36 * (ci + co))) / tw * tw;
  return block < tw ? tw : block;
}

/*
 * winogradConv(heap, x, zeros, u: Float32Array, uStride, y, bias, n, h, w, ci, co, oh, ow, th, tw, padTop, padLeft, relu):
 * the whole 3x3 stride-1 convolution of ../winograd-conv.ts (bias: a heap offset, or 0 for none).
 */
static napi_value WinogradConv(napi_env env, napi_callback_info info) {
  const char *name = "winogradConv";
  napi_value argv[MAX_ARGV];
  Args a;
  uint32_t x, zeros, ustride32, y, bias_at, v[9];
  int32_t pads[2];
  bool relu = false;
  if (!get_args(env, info, name, 19, argv) || !read_heap(env, argv[0], name, &a) || !read_u32(env, argv[1], &x, name) ||
      !read_u32(env, argv[2], &zeros, name) || !read_u32(env, argv[4], &ustride32, name) || !read_u32(env, argv[5], &y, name) ||
      !read_u32(env, argv[6], &bias_at, name) || !read_i32(env, argv[16], &pads[0], name) || !read_i32(env, argv[17], &pads[1], name)) {
    return NULL;
  }
  for (int i = 0; i < 9; i++) if (!read_u32(env, argv[7 + i], &v[i], name)) return NULL;
  if (napi_get_value_bool(env, argv[18], &relu) != napi_ok) return fail(env, name, "relu must be a boolean"), NULL;
  const uint32_t n = v[0], h = v[1], w = v[2], ci = v[3], co = v[4], oh = v[5], ow = v[6], th = v[7], tw = v[8];
  const uint64_t ustride = ustride32;
  uint64_t images;
  if (n == 0 || ci == 0 || co == 0 || !tiles_fit(oh, ow, th, tw, n * th * tw, &images) || images != n || ustride < (uint64_t)ci * co ||
      !inside(&a, x, (uint64_t)4 * n * h * w * ci) || !inside(&a, zeros, (uint64_t)4 * ci) || !inside(&a, y, (uint64_t)4 * n * oh * ow * co) ||
      (bias_at != 0 && !inside(&a, bias_at, (uint64_t)4 * co))) {
    fail(env, name, "an operand lies outside the heap, is misaligned, or the shapes do not agree");
    return NULL;
  }
  const float *u = typed_array(env, argv[3], napi_float32_array, 35 * ustride + (uint64_t)ci * co, name, "U");
  if (u == NULL) return NULL;
  const uint64_t per_tile = (uint64_t)36 * (ci + co);
  const uint64_t block = tiles_per_block(ci, co, tw);
  const uint64_t work_floats = (uint64_t)6 * (4 * (uint64_t)tw + 2) * ci + (uint64_t)24 * co + block * per_tile;
  losslab_threads *pool = threads_of(env);
  const unsigned threads = losslab_threads_allowed(pool);
  float *work = malloc(sizeof(float) * (work_floats * threads + co));
  if (work == NULL) {
    napi_throw_error(env, NULL, "winogradConv: out of memory");
    return NULL;
  }
  /* No bias adds zeros, as the wasm path does (so -0 becomes +0 the same way). */
  float *zero_bias = work + work_floats * threads;
  memset(zero_bias, 0, sizeof(float) * co);
  const float *bias = bias_at != 0 ? (const float *)(a.heap + bias_at) : zero_bias;
  losslab_winograd_conv((const float *)(a.heap + x), (const float *)(a.heap + zeros), u, ustride, (float *)(a.heap + y), bias, n, h,
                        w, ci, co, oh, ow, th, tw, pads[0], pads[1], relu, (uint32_t)block, work, work_floats, pool, threads);
  free(work);
  return NULL;
}

/*
 * winogradFilterGrad(heap, x, zeros, dy, sum: Float64Array, n, h, w, ci, co, oh, ow, th, tw, padTop, padLeft, chunk):
 * the summed products M[f][o][c] of ../winograd-filter-grad.ts, into `sum` (36 * co * ci doubles).
 */
static napi_value WinogradFilterGrad(napi_env env, napi_callback_info info) {
  const char *name = "winogradFilterGrad";
  napi_value argv[MAX_ARGV];
  Args a;
  uint32_t x, zeros, dy, v[9], chunk;
  int32_t pads[2];
  if (!get_args(env, info, name, 17, argv) || !read_heap(env, argv[0], name, &a) || !read_u32(env, argv[1], &x, name) ||
      !read_u32(env, argv[2], &zeros, name) || !read_u32(env, argv[3], &dy, name) || !read_i32(env, argv[14], &pads[0], name) ||
      !read_i32(env, argv[15], &pads[1], name) || !read_u32(env, argv[16], &chunk, name)) {
    return NULL;
  }
  for (int i = 0; i < 9; i++) if (!read_u32(env, argv[5 + i], &v[i], name)) return NULL;
  const uint32_t n = v[0], h = v[1], w = v[2], ci = v[3], co = v[4], oh = v[5], ow = v[6], th = v[7], tw = v[8];
  uint64_t images;
  if (n == 0 || ci == 0 || co == 0 || chunk == 0 || !tiles_fit(oh, ow, th, tw, n * th * tw, &images) || images != n ||
      !inside(&a, x, (uint64_t)4 * n * h * w * ci) || !inside(&a, zeros, (uint64_t)4 * ci) || !inside(&a, dy, (uint64_t)4 * n * oh * ow * co)) {
    fail(env, name, "an operand lies outside the heap, is misaligned, or the shapes do not agree");
    return NULL;
  }
  const uint64_t pairs = (uint64_t)ci * co;
  double *sum = typed_array(env, argv[4], napi_float64_array, 36 * pairs, name, "the sums");
  if (sum == NULL) return NULL;
  const uint64_t per_tile = (uint64_t)36 * (ci + co);
  uint64_t block = tiles_per_block(ci, co, tw);
  if (block > chunk) block = chunk;
  const uint64_t work_floats = 36 * pairs + (uint64_t)6 * (4 * (uint64_t)tw + 2) * ci + LOSSLAB_GRADIENT_SCRATCH_FLOATS + block * per_tile;
  float *work = malloc(sizeof(float) * work_floats);
  if (work == NULL) {
    napi_throw_error(env, NULL, "winogradFilterGrad: out of memory");
    return NULL;
  }
  losslab_winograd_filter_grad((const float *)(a.heap + x), (const float *)(a.heap + zeros), (const float *)(a.heap + dy), sum, n, h, w, ci,
                               co, oh, ow, th, tw, pads[0], pads[1], chunk, (uint32_t)block, work);
  free(work);
  return NULL;
}

/* isa(): which of the kernels' clones this CPU runs (GCC's target_clones pick the same way). */
/* patchFilterGrad(heap, x, dy, out, n, h, w, ci, co, oh, ow, kh, kw, sh, sw, padTop, padLeft, rowsPerChunk): see patch-filter-grad.c. */
static napi_value PatchFilterGrad(napi_env env, napi_callback_info info) {
  const char *name = "patchFilterGrad";
  Args a;
  if (!read_args(env, info, name, 17, (1u << 15) | (1u << 16), &a)) return NULL;
  const uint32_t x = a.v[0], dy = a.v[1], out = a.v[2], n = a.v[3], h = a.v[4], w = a.v[5], ci = a.v[6], co = a.v[7], oh = a.v[8], ow = a.v[9];
  const uint32_t kh = a.v[10], kw = a.v[11], sh = a.v[12], sw = a.v[13], rows_per_chunk = a.v[16];
  const int32_t pt = (int32_t)a.v[14], pl = (int32_t)a.v[15];
  const uint64_t taps = (uint64_t)kh * kw * ci, rows = (uint64_t)n * oh;
  if (ci == 0 || co == 0 || ow == 0 || kh == 0 || kw == 0 || sh == 0 || sw == 0 || rows_per_chunk == 0 || rows > UINT32_MAX ||
      !inside(&a, x, (uint64_t)4 * n * h * w * ci) || !inside(&a, dy, (uint64_t)4 * rows * ow * co) || !inside(&a, out, 4 * taps * co)) {
    fail(env, name, "an operand lies outside the heap, is misaligned, or the shapes do not agree");
    return NULL;
  }
  uint64_t block_rows = LOSSLAB_PATCH_BLOCK_FLOATS / ((uint64_t)ci * ow);
  if (block_rows == 0) block_rows = 1;
  if (block_rows > rows_per_chunk) block_rows = rows_per_chunk;
  losslab_threads *pool = threads_of(env);
  const unsigned threads = losslab_threads_allowed(pool);
  float *work = malloc(sizeof(float) * ((uint64_t)threads * ci * block_rows * ow + taps * co));
  double *sum = malloc(sizeof(double) * taps * co);
  if (work == NULL || sum == NULL) {
    free(work);
    free(sum);
    napi_throw_error(env, NULL, "patchFilterGrad: out of memory");
    return NULL;
  }
  losslab_patch_filter_grad((const float *)(a.heap + x), (const float *)(a.heap + dy), (float *)(a.heap + out), sum,
                            work + (uint64_t)threads * ci * block_rows * ow, work, n, h, w, ci, co, oh, ow, kh, kw, sh, sw, pt, pl, rows_per_chunk,
                            (uint32_t)block_rows, pool, threads);
  free(work);
  free(sum);
  return NULL;
}

/* batchNormMoments(heap, u, x, rows, C, k, acc, mode): ../simd/batch-norm.wat's shiftedMoments (mode 0, u unused) and dotMoments (mode 1). */
static napi_value BatchNormMoments(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "batchNormMoments", 7, 0, &a)) return NULL;
  const uint32_t u = a.v[0], x = a.v[1], rows = a.v[2], C = a.v[3], k = a.v[4], acc = a.v[5], mode = a.v[6];
  const uint64_t bytes = (uint64_t)4 * rows * C;
  if (C == 0 || C % 4 != 0 || mode > 1 || (mode == 1 && !inside(&a, u, bytes)) || !inside(&a, x, bytes) || !inside(&a, k, (uint64_t)4 * C) ||
      acc % 8 != 0 || !inside(&a, acc, (uint64_t)16 * C)) {
    fail(env, "batchNormMoments", "an operand lies outside the heap or is misaligned, or C is not a multiple of 4");
    return NULL;
  }
  losslab_batch_norm_moments((const float *)(a.heap + u), (const float *)(a.heap + x), rows, C, (const float *)(a.heap + k), (double *)(a.heap + acc), (int)mode);
  return NULL;
}

/* batchNormAffine(heap, u, x, rows, C, m, p, q, r, out, withU): affine (out = (x − m)·q + r) and, with u, affine2 (+ p·u). */
static napi_value BatchNormAffine(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "batchNormAffine", 10, 0, &a)) return NULL;
  const uint32_t u = a.v[0], x = a.v[1], rows = a.v[2], C = a.v[3], m = a.v[4], p = a.v[5], q = a.v[6], r = a.v[7], out = a.v[8], with_u = a.v[9];
  const uint64_t bytes = (uint64_t)4 * rows * C, per_channel = (uint64_t)4 * C;
  if (C == 0 || C % 4 != 0 || with_u > 1 || (with_u && (!inside(&a, u, bytes) || !inside(&a, p, per_channel))) || !inside(&a, x, bytes) ||
      !inside(&a, m, per_channel) || !inside(&a, q, per_channel) || !inside(&a, r, per_channel) || !inside(&a, out, bytes)) {
    fail(env, "batchNormAffine", "an operand lies outside the heap or is misaligned, or C is not a multiple of 4");
    return NULL;
  }
  losslab_threads *pool = threads_of(env);
  losslab_batch_norm_affine(with_u ? (const float *)(a.heap + u) : NULL, (const float *)(a.heap + x), rows, C, (const float *)(a.heap + m),
                            (const float *)(a.heap + p), (const float *)(a.heap + q), (const float *)(a.heap + r), (float *)(a.heap + out), pool,
                            losslab_threads_allowed(pool));
  return NULL;
}

/*
 * adviseHugePages(heap): asks Linux to back the wasm heap with transparent huge pages.
 *
 * A training step grows the heap to hundreds of MiB on its first batch, and every 4 KiB page
 * is then faulted in (and zeroed) on first touch: measured, most of a 2 s first step of a
 * ResNet-32 against 0.3 s for the next ones. With 2 MiB pages that is 512 times fewer faults,
 * and fewer TLB misses afterwards. The advice covers the engine's whole reservation (4 GiB, the
 * most a wasm32 heap can grow to), so the pages the heap grows into later get it too. Memory
 * management only: no value changes. Returns whether the kernel took the advice (false
 * elsewhere than Linux, or where huge pages are turned off).
 */
static napi_value AdviseHugePages(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "adviseHugePages", 0, 0, &a)) return NULL;
  bool advised = false;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const uintptr_t page = 2u << 20;
  const uintptr_t start = ((uintptr_t)a.heap + page - 1) & ~(page - 1);
  /* The whole reservation where the engine made one, else only the heap as it is now. */
  advised = madvise((void *)start, (size_t)4 << 30, MADV_HUGEPAGE) == 0;
  if (!advised && (uintptr_t)a.heap + a.bytes > start) advised = madvise((void *)start, (uintptr_t)a.heap + a.bytes - start, MADV_HUGEPAGE) == 0;
#endif
  napi_value result;
  napi_get_boolean(env, advised, &result);
  return result;
}

/* reluGrad(heap, dy, x, dx, size): see relu.c. */
static napi_value ReluGrad(napi_env env, napi_callback_info info) {
  Args a;
  if (!read_args(env, info, "reluGrad", 4, 0, &a)) return NULL;
  const uint64_t bytes = (uint64_t)4 * a.v[3];
  if (!inside(&a, a.v[0], bytes) || !inside(&a, a.v[1], bytes) || !inside(&a, a.v[2], bytes)) {
    fail(env, "reluGrad", "an operand lies outside the heap or is misaligned");
    return NULL;
  }
  losslab_threads *pool = threads_of(env);
  losslab_relu_grad((const float *)(a.heap + a.v[0]), (const float *)(a.heap + a.v[1]), (float *)(a.heap + a.v[2]), a.v[3], pool,
                    losslab_threads_allowed(pool));
  return NULL;
}

/*
 * shareThreadBudget(budget: Int32Array on a SharedArrayBuffer): from now on the kernels that
 * split their work use up to budget[0] threads (the training pool raises it for a worker when
 * fewer runs than cores remain). Returns the helper-thread limit.
 */
static napi_value ShareThreadBudget(napi_env env, napi_callback_info info) {
  const char *name = "shareThreadBudget";
  napi_value argv[MAX_ARGV];
  if (!get_args(env, info, name, 1, argv)) return NULL;
  int32_t *budget = typed_array(env, argv[0], napi_int32_array, 1, name, "the budget");
  if (budget == NULL) return NULL;
  Instance *instance = NULL;
  if (napi_get_instance_data(env, (void **)&instance) != napi_ok || instance == NULL || instance->pool == NULL) {
    napi_throw_error(env, NULL, "shareThreadBudget: the thread pool could not be created");
    return NULL;
  }
  if (instance->budget != NULL) napi_delete_reference(env, instance->budget);
  napi_create_reference(env, argv[0], 1, &instance->budget);
  losslab_threads_share_budget(instance->pool, budget);
  return NULL;
}

static napi_value Isa(napi_env env, napi_callback_info info) {
  (void)info;
  const char *name = "default";
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) name = "avx512f";
  else if (__builtin_cpu_supports("avx2")) name = "avx2";
#elif defined(__aarch64__)
  name = "neon";
#endif
  napi_value result;
  if (napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &result) != napi_ok) return NULL;
  return result;
}

static int export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok && napi_set_named_property(env, exports, name, fn) == napi_ok;
}

/* Context-aware (NAPI_MODULE_INIT): each training worker thread loads its own instance. */
NAPI_MODULE_INIT() {
  Instance *instance = calloc(1, sizeof *instance);
  if (instance == NULL) return NULL;
  instance->pool = losslab_threads_create();
  if (napi_set_instance_data(env, instance, free_instance, NULL) != napi_ok) {
    losslab_threads_destroy(instance->pool);
    free(instance);
    return NULL;
  }
  if (!export_function(env, exports, "gemm", Gemm) || !export_function(env, exports, "winogradInput", WinogradInput) ||
      !export_function(env, exports, "winogradOutput", WinogradOutput) || !export_function(env, exports, "winogradGradient", WinogradGradient) ||
      !export_function(env, exports, "winogradFilter", WinogradFilter) || !export_function(env, exports, "winogradConv", WinogradConv) ||
      !export_function(env, exports, "winogradFilterGrad", WinogradFilterGrad) ||
      !export_function(env, exports, "patchFilterGrad", PatchFilterGrad) || !export_function(env, exports, "reluGrad", ReluGrad) ||
      !export_function(env, exports, "adviseHugePages", AdviseHugePages) ||
      !export_function(env, exports, "shareThreadBudget", ShareThreadBudget) ||
      !export_function(env, exports, "batchNormMoments", BatchNormMoments) || !export_function(env, exports, "batchNormAffine", BatchNormAffine) ||
      !export_function(env, exports, "winogradFilterGradOutput", WinogradFilterGradOutput) || !export_function(env, exports, "isa", Isa)) {
    return NULL;
  }
  return exports;
}
