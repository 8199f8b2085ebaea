/* LossLab's native CPU kernels: shared declarations (see ../native-kernels.ts for why they exist). */
#ifndef LOSSLAB_KERNELS_H
#define LOSSLAB_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* No fused multiply-add anywhere: results must round exactly as the wasm kernels' do.
 * (GCC takes -ffp-contract=off from binding.gyp; clang also honours the pragma.) */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* One build, the widest vectors the CPU has, chosen when the addon loads (GCC's ifunc). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LOSSLAB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LOSSLAB_CLONES
#endif

/* Vectors of 16, 8 and 4 floats (GCC/clang vector extensions: the compiler maps them to the
 * clone's registers), and unaligned loads and stores of them. */
typedef float v16 __attribute__((vector_size(64)));
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
#define LD(T, p) ({ T v_; memcpy(&v_, (p), sizeof(T)); v_; })
#define ST(T, p, v) do { T v_ = (v); memcpy((p), &v_, sizeof(T)); } while (0)

/* Helper threads (threads.c): tasks with disjoint outputs, so results never depend on them. */
typedef struct losslab_threads losslab_threads;
typedef void (*losslab_task_fn)(void *ctx, size_t task, unsigned thread);
losslab_threads *losslab_threads_create(void);
void losslab_threads_destroy(losslab_threads *pool);
void losslab_threads_share_budget(losslab_threads *pool, const volatile int32_t *budget);
unsigned losslab_threads_allowed(const losslab_threads *pool);
/* Runs fn(ctx, task, thread) for every task on at most `threads` threads (thread < threads; the caller is 0). */
void losslab_parallel(losslab_threads *pool, unsigned threads, size_t tasks, losslab_task_fn fn, void *ctx);

void losslab_gemm(const float *a, const float *b, float *c, size_t M, size_t K, size_t N);
void losslab_gemm_more(const float *a, const float *b, float *c, size_t M, size_t K, size_t N, int more);

void losslab_winograd_input(char *heap, uint32_t x, uint32_t zeros, uint32_t vt, uint32_t strip, uint32_t h, uint32_t w, uint32_t ci,
                            uint32_t th, uint32_t tw, int32_t pad_top, int32_t pad_left, uint32_t t0, uint32_t t1);
void losslab_winograd_output(char *heap, uint32_t mt, uint32_t y, uint32_t scratch, uint32_t bias, uint32_t co, uint32_t oh,
                             uint32_t ow, uint32_t th, uint32_t tw, uint32_t t0, uint32_t t1, int relu);
void losslab_winograd_conv(const float *x, const float *zero, const float *u, size_t ustride, float *y, const float *bias, uint32_t n,
                           uint32_t h, uint32_t w, uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th, uint32_t tw,
                           int32_t pad_top, int32_t pad_left, int relu, uint32_t block, float *work, size_t work_floats,
                           losslab_threads *pool, unsigned threads);
void losslab_winograd_filter_grad(const float *x, const float *zero, const float *dy, double *sum, uint32_t n, uint32_t h, uint32_t w,
                                  uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th, uint32_t tw, int32_t pad_top,
                                  int32_t pad_left, uint32_t chunk, uint32_t block, float *work);
#define LOSSLAB_GRADIENT_SCRATCH_FLOATS (36 * 16 * 16)
void losslab_winograd_gradient(char *heap, uint32_t dy, uint32_t wt, uint32_t co, uint32_t oh, uint32_t ow, uint32_t th,
                               uint32_t tw, uint32_t t0, uint32_t t1, float *scratch);

void losslab_batch_norm_moments(const float *u, const float *x, size_t rows, size_t C, const float *k, double *acc, int mode);
void losslab_batch_norm_affine(const float *u, const float *x, size_t rows, size_t C, const float *m, const float *p, const float *q,
                               const float *r, float *out, losslab_threads *pool, unsigned threads);
void losslab_relu_grad(const float *dy, const float *x, float *dx, size_t size, losslab_threads *pool, unsigned threads);

void losslab_patch_filter_grad(const float *x, const float *dy, float *dw, double *sum, float *chunk_out, float *work, uint32_t n,
                               uint32_t h, uint32_t w, uint32_t ci, uint32_t co, uint32_t oh, uint32_t ow, uint32_t kh, uint32_t kw,
                               uint32_t sh, uint32_t sw, int32_t pt, int32_t pl, uint32_t rows_per_chunk, uint32_t block_rows,
                               losslab_threads *pool, unsigned threads);
/* Floats of one tap's patches per block of losslab_patch_filter_grad (512 KiB: in L2 with its rows of dy). */
#define LOSSLAB_PATCH_BLOCK_FLOATS (128 * 1024)

void losslab_winograd_filter(const float *src, float *u, uint32_t ci, uint32_t co, int flipped);
void losslab_winograd_filter_grad_output(float *dw, const double *m, uint32_t ci, uint32_t co, double *scratch);

#endif
