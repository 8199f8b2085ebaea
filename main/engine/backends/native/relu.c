/*
 * The gradient of ReLU in one pass: dx = dy * step(x), the product tfjs's Relu gradient
 * makes from two wasm kernels (Step, then Multiply), each of which reads and writes the
 * whole tensor. Same values: step(x) is 1 where x > 0, NaN where x is NaN, 0 elsewhere
 * (-0 included), and the product is one float32 multiplication, so dy = -3 at x <= 0
 * gives -0 as it does there.
 */
#include "kernels.h"

#define RELU_TASK (1u << 16) /* elements per task for the helper threads */

typedef struct {
  const float *dy, *x;
  float *dx;
  size_t size;
} relu_job;

LOSSLAB_CLONES
static void relu_part(void *context, size_t task, unsigned thread) {
  (void)thread;
  const relu_job *k = context;
  const size_t end = k->size - task * RELU_TASK < RELU_TASK ? k->size : (task + 1) * RELU_TASK;
  const float *dy = k->dy, *x = k->x;
  float *dx = k->dx;
  for (size_t i = task * RELU_TASK; i < end; i++) {
    const float v = x[i];
    const float step = v > 0.0f ? 1.0f : (v != v ? v : 0.0f);
    dx[i] = dy[i] * step;
  }
}

void losslab_relu_grad(const float *dy, const float *x, float *dx, size_t size, losslab_threads *pool, unsigned threads) {
  relu_job job = {dy, x, dx, size};
  losslab_parallel(pool, threads, (size + RELU_TASK - 1) / RELU_TASK, relu_part, &job);
}
