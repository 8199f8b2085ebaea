/*
 * The gradient of ReLU in one pass: dx = dy * step(x), the product tfjs's Relu gradient
 * makes from two wasm kernels (Step, then Multiply), each of which reads and writes the
 * whole tensor. Same values: step(x) is 1 where x > 0, NaN where x is NaN, 0 elsewhere
 * (-0 included), and the product is one float32 multiplication, so dy = -3 at x <= 0
 * gives -0 as it does there.
 */
#include "kernels.h"

LOSSLAB_CLONES
void losslab_relu_grad(const float *dy, const float *x, float *dx, size_t size) {
  for (size_t i = 0; i < size; i++) {
    const float v = x[i];
    const float step = v > 0.0f ? 1.0f : (v != v ? v : 0.0f);
    dx[i] = dy[i] * step;
  }
}
