import { instantiateOn } from './instantiate';
import { SMALL_CONV_WASM } from './small-conv-wasm';

/** The SIMD loops of small-conv.wat; pointers are byte offsets into the backend heap. */
export interface SmallConvSimd {
  /** xp[n, hp, wp, ci] = zeros with x[n, h, w, ci] placed at row pt, column pl. */
  pad(x: number, xp: number, n: number, h: number, w: number, ci: number, hp: number, wp: number, pt: number, pl: number): void;
  /**
   * out[n, oh, ow, co] = 3x3 stride-1 conv of the padded xp [n, oh + 2, ow + 2, ci] with
   * wt [9 ci, co16] (co16: co rounded up to 16, zero columns), plus bias [co16], ReLU when relu is 1.
   */
  forward(
    xp: number, wt: number, bias: number, out: number, n: number, hp: number, wp: number, ci: number,
    oh: number, ow: number, co: number, co16: number, relu: number,
  ): void;
  /**
   * acc[s, co] += Σ over output pixels of xp[pixel corner + offs[s] bytes] · dy[pixel, :],
   * for s < slots (a multiple of 4); blocks of blockRows output rows.
   */
  filterGrad(
    xp: number, dy: number, acc: number, offs: number, slots: number, n: number, hp: number, wp: number, ci: number,
    oh: number, ow: number, co: number, blockRows: number,
  ): void;
}

export function smallConvSimdFor(memory: object): SmallConvSimd | null {
  return instantiateOn<SmallConvSimd>(SMALL_CONV_WASM, memory);
}
