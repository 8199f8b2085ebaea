import { instantiateOn } from './instantiate';
import { MAX_POOL_GRAD_WASM } from './max-pool-grad-wasm';

/** The SIMD loop of max-pool-grad.wat; pointers are byte offsets into the backend heap. */
export interface MaxPoolGradSimd {
  /** 2x2 windows, stride 2, no padding; C a multiple of 4; writes only elements inside a window. */
  maxPoolGrad2x2(x: number, dy: number, dx: number, n: number, h: number, w: number, C: number): void;
}

export function maxPoolGradSimdFor(memory: object): MaxPoolGradSimd | null {
  return instantiateOn<MaxPoolGradSimd>(MAX_POOL_GRAD_WASM, memory);
}
