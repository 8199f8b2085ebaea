;; Direct 3x3 stride-1 convolution for few input channels (the RGB / grayscale first layer),
;; forward and filter gradient, with 128-bit SIMD over the tfjs wasm backend's own heap
;; (imported memory; tensors used in place). XNNPACK reaches ~8 GFLOP/s there: with K = 9·ci
;; = 27 its GEMM micro-kernels are mostly packing and edges. Here the whole reduction runs
;; with the accumulators in locals.
;;
;; Layouts (NHWC float32, pointers are byte offsets into the heap):
;;   xp: [n, hp, wp, ci], already zero-padded, so that output pixel (r, q) reads
;;       xp[r .. r+2, q .. q+2, :] with no edge cases (hp = oh + 2, wp = ow + 2);
;;   forward weights: [9·ci, co16] (the [3,3,ci,co] filter with co padded to co16, a
;;       multiple of 16, by zeros); bias: [co16];
;;   out / dy: [n, oh, ow, co], co a multiple of 4.
;;
;; Assembled by scripts/assemble-wat.mjs into simd/small-conv-wasm.ts (checked by a test).
(module
  (import "env" "memory" (memory 0))

  ;; xp = x [n, h, w, ci] placed at (pt, pl) inside zeros [n, hp, wp, ci].
  (func (export "pad")
    (param $x i32) (param $xp i32) (param $n i32) (param $h i32) (param $w i32) (param $ci i32)
    (param $hp i32) (param $wp i32) (param $pt i32) (param $pl i32)
    (local $rowIn i32) (local $rowOut i32) (local $rows i32) (local $g i32) (local $b i32) (local $r i32)
    (local.set $rowIn (i32.shl (i32.mul (local.get $w) (local.get $ci)) (i32.const 2)))
    (local.set $rowOut (i32.shl (i32.mul (local.get $wp) (local.get $ci)) (i32.const 2)))
    (memory.fill (local.get $xp) (i32.const 0)
      (i32.mul (i32.mul (local.get $n) (local.get $hp)) (local.get $rowOut)))
    (local.set $rows (i32.mul (local.get $n) (local.get $h)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $g (i32.const 0))
    (loop $rowLoop
      (local.set $b (i32.div_u (local.get $g) (local.get $h)))
      (local.set $r (i32.sub (local.get $g) (i32.mul (local.get $b) (local.get $h))))
      (memory.copy
        (i32.add (local.get $xp)
          (i32.add
            (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (i32.add (local.get $r) (local.get $pt))) (local.get $rowOut))
            (i32.shl (i32.mul (local.get $pl) (local.get $ci)) (i32.const 2))))
        (i32.add (local.get $x) (i32.mul (local.get $g) (local.get $rowIn)))
        (local.get $rowIn))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br_if $rowLoop (i32.lt_u (local.get $g) (local.get $rows)))))

  ;; out[b, r, q, :] = (relu)(bias + Σ_{i,j,c} xp[b, r+i, q+j, c] · wt[(i·3 + j)·ci + c, :]).
  ;; Two neighbouring pixels × 16 channels per pass: 8 independent accumulators (enough to
  ;; hide the add latency) sharing each weight load; an odd last pixel is computed twice.
  (func (export "forward")
    (param $xp i32) (param $wt i32) (param $bias i32) (param $out i32)
    (param $n i32) (param $hp i32) (param $wp i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $co i32) (param $co16 i32) (param $relu i32)
    (local $ciB i32) (local $rowB i32) (local $coB i32) (local $co16B i32) (local $k3 i32)
    (local $b i32) (local $r i32) (local $q i32) (local $pin i32) (local $pout i32)
    (local $p0 i32) (local $dx i32) (local $o0 i32) (local $o1 i32) (local $cb i32)
    (local $xa i32) (local $xk i32) (local $wptr i32) (local $i i32) (local $kEnd i32) (local $left i32)
    (local $s0 v128) (local $s1 v128) (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (if (i32.or (i32.eqz (local.get $n)) (i32.or (i32.eqz (local.get $oh)) (i32.eqz (local.get $ow)))) (then (return)))
    (local.set $ciB (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $wp) (local.get $ciB)))
    (local.set $coB (i32.shl (local.get $co) (i32.const 2)))
    (local.set $co16B (i32.shl (local.get $co16) (i32.const 2)))
    (local.set $k3 (i32.mul (local.get $ci) (i32.const 12))) ;; bytes of one kernel row's 3·ci inputs
    (local.set $b (i32.const 0))
    (loop $images
      (local.set $r (i32.const 0))
      (loop $rows
        (local.set $pin (i32.add (local.get $xp)
          (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (local.get $r)) (local.get $rowB))))
        (local.set $pout (i32.add (local.get $out)
          (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $r)) (local.get $ow)) (local.get $coB))))
        (local.set $q (i32.const 0))
        (loop $pixels
          (local.set $p0 (i32.add (local.get $pin) (i32.mul (local.get $q) (local.get $ciB))))
          (local.set $o0 (i32.add (local.get $pout) (i32.mul (local.get $q) (local.get $coB))))
          ;; second pixel: the next one, or the same one again at an odd end of row
          (local.set $dx (select (local.get $ciB) (i32.const 0) (i32.lt_u (i32.add (local.get $q) (i32.const 1)) (local.get $ow))))
          (local.set $o1 (i32.add (local.get $o0) (select (local.get $coB) (i32.const 0) (local.get $dx))))
          (local.set $cb (i32.const 0))
          (loop $blocks
            (local.set $a0 (v128.load offset=0 (i32.add (local.get $bias) (local.get $cb))))
            (local.set $a1 (v128.load offset=16 (i32.add (local.get $bias) (local.get $cb))))
            (local.set $a2 (v128.load offset=32 (i32.add (local.get $bias) (local.get $cb))))
            (local.set $a3 (v128.load offset=48 (i32.add (local.get $bias) (local.get $cb))))
            (local.set $a4 (local.get $a0))
            (local.set $a5 (local.get $a1))
            (local.set $a6 (local.get $a2))
            (local.set $a7 (local.get $a3))
            ;; weights are [9·ci, co16]: one row per tap, taps in the order they are read
            (local.set $wptr (i32.add (local.get $wt) (local.get $cb)))
            (local.set $xa (local.get $p0))
            (local.set $i (i32.const 0))
            (loop $kernelRows
              (local.set $xk (local.get $xa))
              (local.set $kEnd (i32.add (local.get $xa) (local.get $k3)))
              ;; the 3·ci inputs of kernel row i are contiguous in xp
              (loop $taps
                (local.set $s0 (v128.load32_splat (local.get $xk)))
                (local.set $s1 (v128.load32_splat (i32.add (local.get $xk) (local.get $dx))))
                (local.set $w0 (v128.load offset=0 (local.get $wptr)))
                (local.set $w1 (v128.load offset=16 (local.get $wptr)))
                (local.set $w2 (v128.load offset=32 (local.get $wptr)))
                (local.set $w3 (v128.load offset=48 (local.get $wptr)))
                (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s0) (local.get $w0))))
                (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s0) (local.get $w1))))
                (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s0) (local.get $w2))))
                (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s0) (local.get $w3))))
                (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $s1) (local.get $w0))))
                (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $s1) (local.get $w1))))
                (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $s1) (local.get $w2))))
                (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $s1) (local.get $w3))))
                (local.set $wptr (i32.add (local.get $wptr) (local.get $co16B)))
                (local.set $xk (i32.add (local.get $xk) (i32.const 4)))
                (br_if $taps (i32.lt_u (local.get $xk) (local.get $kEnd))))
              (local.set $xa (i32.add (local.get $xa) (local.get $rowB)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $kernelRows (i32.lt_u (local.get $i) (i32.const 3))))
            (if (local.get $relu)
              (then
                (local.set $a0 (f32x4.max (local.get $a0) (v128.const f32x4 0 0 0 0)))
                (local.set $a1 (f32x4.max (local.get $a1) (v128.const f32x4 0 0 0 0)))
                (local.set $a2 (f32x4.max (local.get $a2) (v128.const f32x4 0 0 0 0)))
                (local.set $a3 (f32x4.max (local.get $a3) (v128.const f32x4 0 0 0 0)))
                (local.set $a4 (f32x4.max (local.get $a4) (v128.const f32x4 0 0 0 0)))
                (local.set $a5 (f32x4.max (local.get $a5) (v128.const f32x4 0 0 0 0)))
                (local.set $a6 (f32x4.max (local.get $a6) (v128.const f32x4 0 0 0 0)))
                (local.set $a7 (f32x4.max (local.get $a7) (v128.const f32x4 0 0 0 0)))))
            ;; Second pixel first: when it is the first one again, both hold the same values.
            ;; Only the real channels are stored (co is a multiple of 4, co16 of 16).
            (local.set $left (i32.sub (local.get $coB) (local.get $cb)))
            (v128.store offset=0 (i32.add (local.get $o1) (local.get $cb)) (local.get $a4))
            (v128.store offset=0 (i32.add (local.get $o0) (local.get $cb)) (local.get $a0))
            (if (i32.ge_u (local.get $left) (i32.const 32))
              (then
                (v128.store offset=16 (i32.add (local.get $o1) (local.get $cb)) (local.get $a5))
                (v128.store offset=16 (i32.add (local.get $o0) (local.get $cb)) (local.get $a1))))
            (if (i32.ge_u (local.get $left) (i32.const 48))
              (then
                (v128.store offset=32 (i32.add (local.get $o1) (local.get $cb)) (local.get $a6))
                (v128.store offset=32 (i32.add (local.get $o0) (local.get $cb)) (local.get $a2))))
            (if (i32.ge_u (local.get $left) (i32.const 64))
              (then
                (v128.store offset=48 (i32.add (local.get $o1) (local.get $cb)) (local.get $a7))
                (v128.store offset=48 (i32.add (local.get $o0) (local.get $cb)) (local.get $a3))))
            (local.set $cb (i32.add (local.get $cb) (i32.const 64)))
            (br_if $blocks (i32.lt_u (local.get $cb) (local.get $coB))))
          (local.set $q (i32.add (local.get $q) (i32.const 2)))
          (br_if $pixels (i32.lt_u (local.get $q) (local.get $ow))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $r) (local.get $oh))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $n)))))

  ;; acc[s, :] += Σ_{b,r,q} xp[pixel (b, r, q) + offs[s]] · dy[b, r, q, :] for the tap slots
  ;; s < slots (a multiple of 4; offs: int32 byte offsets from a pixel's window corner).
  ;; acc: [slots, co] float32, accumulated into (the caller zeroes it).
  ;; Per image, blocks of `blockRows` output rows: for each group of 4 slots and 8 channels,
  ;; 8 accumulators sweep the block's pixels (its dy stays in cache across the sweeps), then
  ;; are added to acc: float32 sums of at most blockRows·ow products each.
  (func (export "filterGrad")
    (param $xp i32) (param $dy i32) (param $acc i32) (param $offs i32) (param $slots i32)
    (param $n i32) (param $hp i32) (param $wp i32) (param $ci i32)
    (param $oh i32) (param $ow i32) (param $co i32) (param $blockRows i32)
    (local $ciB i32) (local $rowB i32) (local $coB i32)
    (local $b i32) (local $r0 i32) (local $r1 i32) (local $r i32) (local $g i32) (local $cb i32)
    (local $f0 i32) (local $f1 i32) (local $f2 i32) (local $f3 i32)
    (local $px i32) (local $pd i32) (local $pEnd i32) (local $dst i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $d0 v128) (local $d1 v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (if (i32.or (i32.eqz (local.get $n)) (i32.or (i32.eqz (local.get $oh)) (i32.eqz (local.get $ow)))) (then (return)))
    (local.set $ciB (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $rowB (i32.mul (local.get $wp) (local.get $ciB)))
    (local.set $coB (i32.shl (local.get $co) (i32.const 2)))
    (local.set $b (i32.const 0))
    (loop $images
      (local.set $r0 (i32.const 0))
      (loop $rowBlocks
        (local.set $r1 (i32.add (local.get $r0) (local.get $blockRows)))
        (if (i32.gt_u (local.get $r1) (local.get $oh)) (then (local.set $r1 (local.get $oh))))
        (local.set $g (i32.const 0))
        (loop $slotGroups
          (local.set $f0 (i32.load offset=0 (i32.add (local.get $offs) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $f1 (i32.load offset=4 (i32.add (local.get $offs) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $f2 (i32.load offset=8 (i32.add (local.get $offs) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $f3 (i32.load offset=12 (i32.add (local.get $offs) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $cb (i32.const 0))
          ;; 8 channels at a time
          (block $done8
            (loop $blocks8
              (br_if $done8 (i32.gt_u (i32.add (local.get $cb) (i32.const 32)) (local.get $coB)))
              (local.set $a0 (v128.const i32x4 0 0 0 0))
              (local.set $a1 (local.get $a0)) (local.set $a2 (local.get $a0)) (local.set $a3 (local.get $a0))
              (local.set $a4 (local.get $a0)) (local.set $a5 (local.get $a0)) (local.set $a6 (local.get $a0)) (local.set $a7 (local.get $a0))
              (local.set $r (local.get $r0))
              (loop $rows8
                (local.set $px (i32.add (local.get $xp)
                  (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (local.get $r)) (local.get $rowB))))
                (local.set $pd (i32.add (i32.add (local.get $dy) (local.get $cb))
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $r)) (local.get $ow)) (local.get $coB))))
                (local.set $pEnd (i32.add (local.get $pd) (i32.mul (local.get $ow) (local.get $coB))))
                (loop $pixels8
                  (local.set $d0 (v128.load offset=0 (local.get $pd)))
                  (local.set $d1 (v128.load offset=16 (local.get $pd)))
                  (local.set $s0 (v128.load32_splat (i32.add (local.get $px) (local.get $f0))))
                  (local.set $s1 (v128.load32_splat (i32.add (local.get $px) (local.get $f1))))
                  (local.set $s2 (v128.load32_splat (i32.add (local.get $px) (local.get $f2))))
                  (local.set $s3 (v128.load32_splat (i32.add (local.get $px) (local.get $f3))))
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s0) (local.get $d0))))
                  (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s0) (local.get $d1))))
                  (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s1) (local.get $d0))))
                  (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s1) (local.get $d1))))
                  (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $s2) (local.get $d0))))
                  (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $s2) (local.get $d1))))
                  (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $s3) (local.get $d0))))
                  (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $s3) (local.get $d1))))
                  (local.set $px (i32.add (local.get $px) (local.get $ciB)))
                  (local.set $pd (i32.add (local.get $pd) (local.get $coB)))
                  (br_if $pixels8 (i32.lt_u (local.get $pd) (local.get $pEnd))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $rows8 (i32.lt_u (local.get $r) (local.get $r1))))
              (local.set $dst (i32.add (i32.add (local.get $acc) (local.get $cb)) (i32.mul (local.get $g) (local.get $coB))))
              (v128.store offset=0 (local.get $dst) (f32x4.add (v128.load offset=0 (local.get $dst)) (local.get $a0)))
              (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $a1)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store offset=0 (local.get $dst) (f32x4.add (v128.load offset=0 (local.get $dst)) (local.get $a2)))
              (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $a3)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store offset=0 (local.get $dst) (f32x4.add (v128.load offset=0 (local.get $dst)) (local.get $a4)))
              (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $a5)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store offset=0 (local.get $dst) (f32x4.add (v128.load offset=0 (local.get $dst)) (local.get $a6)))
              (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst)) (local.get $a7)))
              (local.set $cb (i32.add (local.get $cb) (i32.const 32)))
              (br $blocks8)))
          ;; a last 4 channels (co = 8k + 4): the same with one vector per slot
          (if (i32.lt_u (local.get $cb) (local.get $coB))
            (then
              (local.set $a0 (v128.const i32x4 0 0 0 0))
              (local.set $a2 (local.get $a0)) (local.set $a4 (local.get $a0)) (local.set $a6 (local.get $a0))
              (local.set $r (local.get $r0))
              (loop $rows4
                (local.set $px (i32.add (local.get $xp)
                  (i32.mul (i32.add (i32.mul (local.get $b) (local.get $hp)) (local.get $r)) (local.get $rowB))))
                (local.set $pd (i32.add (i32.add (local.get $dy) (local.get $cb))
                  (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $oh)) (local.get $r)) (local.get $ow)) (local.get $coB))))
                (local.set $pEnd (i32.add (local.get $pd) (i32.mul (local.get $ow) (local.get $coB))))
                (loop $pixels4
                  (local.set $d0 (v128.load offset=0 (local.get $pd)))
                  (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load32_splat (i32.add (local.get $px) (local.get $f0))) (local.get $d0))))
                  (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load32_splat (i32.add (local.get $px) (local.get $f1))) (local.get $d0))))
                  (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (v128.load32_splat (i32.add (local.get $px) (local.get $f2))) (local.get $d0))))
                  (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (v128.load32_splat (i32.add (local.get $px) (local.get $f3))) (local.get $d0))))
                  (local.set $px (i32.add (local.get $px) (local.get $ciB)))
                  (local.set $pd (i32.add (local.get $pd) (local.get $coB)))
                  (br_if $pixels4 (i32.lt_u (local.get $pd) (local.get $pEnd))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br_if $rows4 (i32.lt_u (local.get $r) (local.get $r1))))
              (local.set $dst (i32.add (i32.add (local.get $acc) (local.get $cb)) (i32.mul (local.get $g) (local.get $coB))))
              (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a0)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a2)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a4)))
              (local.set $dst (i32.add (local.get $dst) (local.get $coB)))
              (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst)) (local.get $a6)))))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $slotGroups (i32.lt_u (local.get $g) (local.get $slots))))
        (local.set $r0 (local.get $r1))
        (br_if $rowBlocks (i32.lt_u (local.get $r0) (local.get $oh))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $n)))))
)
