;; The input and output transforms of Winograd F(4x4, 3x3) (../winograd-conv.ts) with 128-bit
;; SIMD, four channels per instruction, over the tfjs wasm backend's own heap (imported
;; memory; tensors are used in place). Same layouts and arithmetic as the JavaScript loops
;; there (transformInput, transformOutput), in float32 rather than float64 intermediates.
;;
;; Pointers are byte offsets into the heap. Channel counts must be multiples of 4. Tile t
;; (t0 <= t < t1) is column t % tw, row (t / tw) % th of image t / (tw * th).
;;
;; Assembled by scripts/assemble-wat.mjs into simd/winograd-wasm.ts (checked by a test).
(module
  (import "env" "memory" (memory 0))

  ;; V[f][t - t0][c] = (Bᵀ d B)[f] for the 6x6 window d of tile t in channel c.
  ;; x: [n, h, w, ci] NHWC; zeros: ci zero floats (what padding reads); vt: 36 i32 byte
  ;; offsets of the planes V[f] ([chunk, ci] each); strip: 6 * (4 tw + 2) * ci floats of scratch.
  ;; Bᵀ first runs down the columns of a whole row of tiles into the strip (once per tile
  ;; row, so the columns neighbouring tiles share are transformed once), then B along each
  ;; tile's six strip rows into the V planes.
  (func (export "inputTransform")
    (param $x i32) (param $zeros i32) (param $vt i32) (param $strip i32)
    (param $h i32) (param $w i32) (param $ci i32) (param $th i32) (param $tw i32)
    (param $padTop i32) (param $padLeft i32) (param $t0 i32) (param $t1 i32)
    (local $cB i32) (local $line i32) (local $cols i32)
    (local $t i32) (local $tc i32) (local $tr i32) (local $b i32) (local $vb i32)
    (local $i i32) (local $k i32) (local $c i32) (local $a i32) (local $o i32) (local $col i32)
    (local $inside i32) (local $shift i32)
    (local $rp0 i32) (local $rp1 i32) (local $rp2 i32) (local $rp3 i32) (local $rp4 i32) (local $rp5 i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $q4 i32) (local $q5 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128)
    (local $p v128) (local $q v128) (local $d v128) (local $e v128)
    (if (i32.ge_u (local.get $t0) (local.get $t1)) (then (return)))
    (local.set $cB (i32.shl (local.get $ci) (i32.const 2)))
    (local.set $cols (i32.add (i32.shl (local.get $tw) (i32.const 2)) (i32.const 2)))
    (local.set $line (i32.mul (local.get $cols) (local.get $cB)))
    (local.set $tc (i32.rem_u (local.get $t0) (local.get $tw)))
    (local.set $tr (i32.rem_u (i32.div_u (local.get $t0) (local.get $tw)) (local.get $th)))
    (local.set $b (i32.div_u (local.get $t0) (i32.mul (local.get $tw) (local.get $th))))
    (local.set $t (local.get $t0))
    (local.set $vb (i32.const 0))
    (loop $tiles
      (if (i32.or (i32.eqz (local.get $tc)) (i32.eq (local.get $t) (local.get $t0)))
        (then
          ;; the strip of tile row tr: six input rows (-1 where outside the image)
          (local.set $rp0 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.shl (local.get $tr) (i32.const 2)) (local.get $padTop))))
          (local.set $rp1 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.add (i32.shl (local.get $tr) (i32.const 2)) (i32.const 1)) (local.get $padTop))))
          (local.set $rp2 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.add (i32.shl (local.get $tr) (i32.const 2)) (i32.const 2)) (local.get $padTop))))
          (local.set $rp3 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.add (i32.shl (local.get $tr) (i32.const 2)) (i32.const 3)) (local.get $padTop))))
          (local.set $rp4 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.add (i32.shl (local.get $tr) (i32.const 2)) (i32.const 4)) (local.get $padTop))))
          (local.set $rp5 (call $rowAt (local.get $x) (local.get $b) (local.get $h) (local.get $w) (local.get $cB) (i32.sub (i32.add (i32.shl (local.get $tr) (i32.const 2)) (i32.const 5)) (local.get $padTop))))
          (local.set $k (i32.const 0))
          (loop $columns
            ;; unsigned compare: a negative column is outside too
            (local.set $col (i32.sub (local.get $k) (local.get $padLeft)))
            (local.set $inside (i32.lt_u (local.get $col) (local.get $w)))
            (local.set $shift (i32.mul (local.get $col) (local.get $cB)))
            (local.set $q0 (call $pick (local.get $rp0) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $q1 (call $pick (local.get $rp1) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $q2 (call $pick (local.get $rp2) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $q3 (call $pick (local.get $rp3) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $q4 (call $pick (local.get $rp4) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $q5 (call $pick (local.get $rp5) (local.get $inside) (local.get $shift) (local.get $zeros)))
            (local.set $o (i32.add (local.get $strip) (i32.mul (local.get $k) (local.get $cB))))
            (local.set $c (i32.const 0))
            (loop $channels
              (local.set $x0 (v128.load (i32.add (local.get $q0) (local.get $c))))
              (local.set $x1 (v128.load (i32.add (local.get $q1) (local.get $c))))
              (local.set $x2 (v128.load (i32.add (local.get $q2) (local.get $c))))
              (local.set $x3 (v128.load (i32.add (local.get $q3) (local.get $c))))
              (local.set $x4 (v128.load (i32.add (local.get $q4) (local.get $c))))
              (local.set $x5 (v128.load (i32.add (local.get $q5) (local.get $c))))
              (local.set $p (f32x4.sub (local.get $x4) (f32x4.mul (local.get $x2) (v128.const f32x4 4 4 4 4))))
              (local.set $q (f32x4.sub (local.get $x3) (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))))
              (local.set $d (f32x4.sub (local.get $x4) (local.get $x2)))
              (local.set $e (f32x4.sub (local.get $x3) (local.get $x1)))
              (local.set $e (f32x4.add (local.get $e) (local.get $e)))
              (local.set $a (i32.add (local.get $o) (local.get $c)))
              (v128.store (local.get $a)
                (f32x4.add (f32x4.sub (f32x4.mul (local.get $x0) (v128.const f32x4 4 4 4 4)) (f32x4.mul (local.get $x2) (v128.const f32x4 5 5 5 5))) (local.get $x4)))
              (local.set $a (i32.add (local.get $a) (local.get $line)))
              (v128.store (local.get $a) (f32x4.add (local.get $p) (local.get $q)))
              (local.set $a (i32.add (local.get $a) (local.get $line)))
              (v128.store (local.get $a) (f32x4.sub (local.get $p) (local.get $q)))
              (local.set $a (i32.add (local.get $a) (local.get $line)))
              (v128.store (local.get $a) (f32x4.add (local.get $d) (local.get $e)))
              (local.set $a (i32.add (local.get $a) (local.get $line)))
              (v128.store (local.get $a) (f32x4.sub (local.get $d) (local.get $e)))
              (local.set $a (i32.add (local.get $a) (local.get $line)))
              (v128.store (local.get $a)
                (f32x4.add (f32x4.sub (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4)) (f32x4.mul (local.get $x3) (v128.const f32x4 5 5 5 5))) (local.get $x5)))
              (local.set $c (i32.add (local.get $c) (i32.const 16)))
              (br_if $channels (i32.lt_u (local.get $c) (local.get $cB))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $columns (i32.lt_u (local.get $k) (local.get $cols))))))
      ;; B along the tile's six strip rows: strip row i gives the frequencies 6i .. 6i + 5
      (local.set $i (i32.const 0))
      (loop $rows
        (local.set $o (i32.add (i32.add (local.get $strip) (i32.mul (local.get $i) (local.get $line)))
                               (i32.mul (i32.shl (local.get $tc) (i32.const 2)) (local.get $cB))))
        (local.set $a (i32.add (local.get $vt) (i32.mul (local.get $i) (i32.const 24))))
        (local.set $q0 (i32.add (i32.load offset=0 (local.get $a)) (local.get $vb)))
        (local.set $q1 (i32.add (i32.load offset=4 (local.get $a)) (local.get $vb)))
        (local.set $q2 (i32.add (i32.load offset=8 (local.get $a)) (local.get $vb)))
        (local.set $q3 (i32.add (i32.load offset=12 (local.get $a)) (local.get $vb)))
        (local.set $q4 (i32.add (i32.load offset=16 (local.get $a)) (local.get $vb)))
        (local.set $q5 (i32.add (i32.load offset=20 (local.get $a)) (local.get $vb)))
        (local.set $c (i32.const 0))
        (loop $channels
          (local.set $a (i32.add (local.get $o) (local.get $c)))
          (local.set $x0 (v128.load (local.get $a)))
          (local.set $x1 (v128.load (i32.add (local.get $a) (local.get $cB))))
          (local.set $x2 (v128.load (i32.add (local.get $a) (i32.shl (local.get $cB) (i32.const 1)))))
          (local.set $x3 (v128.load (i32.add (local.get $a) (i32.mul (local.get $cB) (i32.const 3)))))
          (local.set $x4 (v128.load (i32.add (local.get $a) (i32.shl (local.get $cB) (i32.const 2)))))
          (local.set $x5 (v128.load (i32.add (local.get $a) (i32.mul (local.get $cB) (i32.const 5)))))
          (local.set $p (f32x4.sub (local.get $x4) (f32x4.mul (local.get $x2) (v128.const f32x4 4 4 4 4))))
          (local.set $q (f32x4.sub (local.get $x3) (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4))))
          (local.set $d (f32x4.sub (local.get $x4) (local.get $x2)))
          (local.set $e (f32x4.sub (local.get $x3) (local.get $x1)))
          (local.set $e (f32x4.add (local.get $e) (local.get $e)))
          (v128.store (i32.add (local.get $q0) (local.get $c))
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x0) (v128.const f32x4 4 4 4 4)) (f32x4.mul (local.get $x2) (v128.const f32x4 5 5 5 5))) (local.get $x4)))
          (v128.store (i32.add (local.get $q1) (local.get $c)) (f32x4.add (local.get $p) (local.get $q)))
          (v128.store (i32.add (local.get $q2) (local.get $c)) (f32x4.sub (local.get $p) (local.get $q)))
          (v128.store (i32.add (local.get $q3) (local.get $c)) (f32x4.add (local.get $d) (local.get $e)))
          (v128.store (i32.add (local.get $q4) (local.get $c)) (f32x4.sub (local.get $d) (local.get $e)))
          (v128.store (i32.add (local.get $q5) (local.get $c))
            (f32x4.add (f32x4.sub (f32x4.mul (local.get $x1) (v128.const f32x4 4 4 4 4)) (f32x4.mul (local.get $x3) (v128.const f32x4 5 5 5 5))) (local.get $x5)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $channels (i32.lt_u (local.get $c) (local.get $cB))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $rows (i32.lt_u (local.get $i) (i32.const 6))))
      (local.set $tc (i32.add (local.get $tc) (i32.const 1)))
      (if (i32.eq (local.get $tc) (local.get $tw))
        (then
          (local.set $tc (i32.const 0))
          (local.set $tr (i32.add (local.get $tr) (i32.const 1)))
          (if (i32.eq (local.get $tr) (local.get $th))
            (then
              (local.set $tr (i32.const 0))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))))))
      (local.set $vb (i32.add (local.get $vb) (local.get $cB)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $tiles (i32.lt_u (local.get $t) (local.get $t1)))))

  ;; Byte offset of input row r of image b, or -1 where r is outside the image.
  (func $rowAt (param $x i32) (param $b i32) (param $h i32) (param $w i32) (param $cB i32) (param $r i32) (result i32)
    (select
      (i32.add (local.get $x) (i32.mul (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (local.get $r)) (local.get $w)) (local.get $cB)))
      (i32.const -1)
      (i32.lt_u (local.get $r) (local.get $h))))

  ;; The pixel at `shift` bytes into row `rp`, or the zeros where row or column is outside.
  (func $pick (param $rp i32) (param $inside i32) (param $shift i32) (param $zeros i32) (result i32)
    (select
      (i32.add (local.get $rp) (local.get $shift))
      (local.get $zeros)
      (i32.and (local.get $inside) (i32.ne (local.get $rp) (i32.const -1)))))

  ;; y[tile t] = Aᵀ M A (+ bias, then max(·, 0) with relu) from the GEMM products
  ;; M[f][t - t0][o]. mt: 36 i32 byte offsets of the planes M[f] ([chunk, co] each);
  ;; y: [n, oh, ow, co]; s: 24 * co floats of scratch; bias: co floats. Output pixels of tiles
  ;; that overhang the image's bottom or right edge are not written.
  (func (export "outputTransform")
    (param $mt i32) (param $y i32) (param $s i32) (param $bias i32)
    (param $co i32) (param $oh i32) (param $ow i32) (param $th i32) (param $tw i32)
    (param $t0 i32) (param $t1 i32) (param $relu i32)
    (local $cB i32) (local $row i32)
    (local $t i32) (local $tc i32) (local $tr i32) (local $b i32) (local $mb i32)
    (local $j i32) (local $i i32) (local $c i32) (local $a i32) (local $o i32)
    (local $rows i32) (local $cols i32) (local $dst i32)
    (local $q0 i32) (local $q1 i32) (local $q2 i32) (local $q3 i32) (local $q4 i32) (local $q5 i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128)
    (local $p v128) (local $q v128) (local $d v128) (local $e v128) (local $bv v128) (local $floor v128)
    (if (i32.ge_u (local.get $t0) (local.get $t1)) (then (return)))
    (local.set $cB (i32.shl (local.get $co) (i32.const 2)))
    (local.set $row (i32.mul (local.get $cB) (i32.const 6)))
    ;; pmax(v, floor) is `v < floor ? floor : v`: ReLU as the JS writes it (NaN and -0 kept)
    ;; with floor 0, the identity with floor -Infinity.
    (local.set $floor
      (select (result v128) (v128.const f32x4 0 0 0 0) (v128.const f32x4 -inf -inf -inf -inf) (local.get $relu)))
    (local.set $tc (i32.rem_u (local.get $t0) (local.get $tw)))
    (local.set $tr (i32.rem_u (i32.div_u (local.get $t0) (local.get $tw)) (local.get $th)))
    (local.set $b (i32.div_u (local.get $t0) (i32.mul (local.get $tw) (local.get $th))))
    (local.set $t (local.get $t0))
    (local.set $mb (i32.const 0))
    (loop $tiles
      ;; Aᵀ down each of the six columns j: s[k][j] for the four output rows k
      (local.set $j (i32.const 0))
      (loop $columns
        (local.set $a (i32.add (local.get $mt) (i32.shl (local.get $j) (i32.const 2))))
        (local.set $q0 (i32.add (i32.load offset=0 (local.get $a)) (local.get $mb)))
        (local.set $q1 (i32.add (i32.load offset=24 (local.get $a)) (local.get $mb)))
        (local.set $q2 (i32.add (i32.load offset=48 (local.get $a)) (local.get $mb)))
        (local.set $q3 (i32.add (i32.load offset=72 (local.get $a)) (local.get $mb)))
        (local.set $q4 (i32.add (i32.load offset=96 (local.get $a)) (local.get $mb)))
        (local.set $q5 (i32.add (i32.load offset=120 (local.get $a)) (local.get $mb)))
        (local.set $o (i32.add (local.get $s) (i32.mul (local.get $j) (local.get $cB))))
        (local.set $c (i32.const 0))
        (loop $channels
          (local.set $x0 (v128.load (i32.add (local.get $q0) (local.get $c))))
          (local.set $x1 (v128.load (i32.add (local.get $q1) (local.get $c))))
          (local.set $x2 (v128.load (i32.add (local.get $q2) (local.get $c))))
          (local.set $x3 (v128.load (i32.add (local.get $q3) (local.get $c))))
          (local.set $x4 (v128.load (i32.add (local.get $q4) (local.get $c))))
          (local.set $x5 (v128.load (i32.add (local.get $q5) (local.get $c))))
          (local.set $p (f32x4.add (local.get $x1) (local.get $x2)))
          (local.set $q (f32x4.sub (local.get $x1) (local.get $x2)))
          (local.set $d (f32x4.add (local.get $x3) (local.get $x4)))
          (local.set $e (f32x4.sub (local.get $x3) (local.get $x4)))
          (local.set $a (i32.add (local.get $o) (local.get $c)))
          (v128.store (local.get $a) (f32x4.add (f32x4.add (local.get $x0) (local.get $p)) (local.get $d)))
          (local.set $a (i32.add (local.get $a) (local.get $row)))
          (v128.store (local.get $a) (f32x4.add (local.get $q) (f32x4.add (local.get $e) (local.get $e))))
          (local.set $a (i32.add (local.get $a) (local.get $row)))
          (v128.store (local.get $a) (f32x4.add (local.get $p) (f32x4.mul (local.get $d) (v128.const f32x4 4 4 4 4))))
          (local.set $a (i32.add (local.get $a) (local.get $row)))
          (v128.store (local.get $a)
            (f32x4.add (f32x4.add (local.get $q) (f32x4.mul (local.get $e) (v128.const f32x4 8 8 8 8))) (local.get $x5)))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $channels (i32.lt_u (local.get $c) (local.get $cB))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $columns (i32.lt_u (local.get $j) (i32.const 6))))
      ;; A along each of the four rows of s into the output, clipped at the image's edges
      (local.set $rows (i32.sub (local.get $oh) (i32.shl (local.get $tr) (i32.const 2))))
      (if (i32.gt_u (local.get $rows) (i32.const 4)) (then (local.set $rows (i32.const 4))))
      (local.set $cols (i32.sub (local.get $ow) (i32.shl (local.get $tc) (i32.const 2))))
      (if (i32.gt_u (local.get $cols) (i32.const 4)) (then (local.set $cols (i32.const 4))))
      (local.set $i (i32.const 0))
      (loop $outRows
        (local.set $o (i32.add (local.get $s) (i32.mul (local.get $i) (local.get $row))))
        (local.set $dst
          (i32.add (local.get $y)
            (i32.mul
              (i32.add
                (i32.mul
                  (i32.add (i32.mul (local.get $b) (local.get $oh)) (i32.add (i32.shl (local.get $tr) (i32.const 2)) (local.get $i)))
                  (local.get $ow))
                (i32.shl (local.get $tc) (i32.const 2)))
              (local.get $cB))))
        (local.set $c (i32.const 0))
        (loop $channels
          (local.set $a (i32.add (local.get $o) (local.get $c)))
          (local.set $x0 (v128.load (local.get $a)))
          (local.set $x1 (v128.load (i32.add (local.get $a) (local.get $cB))))
          (local.set $x2 (v128.load (i32.add (local.get $a) (i32.shl (local.get $cB) (i32.const 1)))))
          (local.set $x3 (v128.load (i32.add (local.get $a) (i32.mul (local.get $cB) (i32.const 3)))))
          (local.set $x4 (v128.load (i32.add (local.get $a) (i32.shl (local.get $cB) (i32.const 2)))))
          (local.set $x5 (v128.load (i32.add (local.get $a) (i32.mul (local.get $cB) (i32.const 5)))))
          (local.set $bv (v128.load (i32.add (local.get $bias) (local.get $c))))
          (local.set $p (f32x4.add (local.get $x1) (local.get $x2)))
          (local.set $q (f32x4.sub (local.get $x1) (local.get $x2)))
          (local.set $d (f32x4.add (local.get $x3) (local.get $x4)))
          (local.set $e (f32x4.sub (local.get $x3) (local.get $x4)))
          (local.set $a (i32.add (local.get $dst) (local.get $c)))
          (v128.store (local.get $a)
            (f32x4.pmax (f32x4.add (f32x4.add (f32x4.add (local.get $x0) (local.get $p)) (local.get $d)) (local.get $bv)) (local.get $floor)))
          (if (i32.gt_u (local.get $cols) (i32.const 1))
            (then
              (v128.store (i32.add (local.get $a) (local.get $cB))
                (f32x4.pmax (f32x4.add (f32x4.add (local.get $q) (f32x4.add (local.get $e) (local.get $e))) (local.get $bv)) (local.get $floor)))))
          (if (i32.gt_u (local.get $cols) (i32.const 2))
            (then
              (v128.store (i32.add (local.get $a) (i32.shl (local.get $cB) (i32.const 1)))
                (f32x4.pmax (f32x4.add (f32x4.add (local.get $p) (f32x4.mul (local.get $d) (v128.const f32x4 4 4 4 4))) (local.get $bv)) (local.get $floor)))))
          (if (i32.gt_u (local.get $cols) (i32.const 3))
            (then
              (v128.store (i32.add (local.get $a) (i32.mul (local.get $cB) (i32.const 3)))
                (f32x4.pmax
                  (f32x4.add (f32x4.add (f32x4.add (local.get $q) (f32x4.mul (local.get $e) (v128.const f32x4 8 8 8 8))) (local.get $x5)) (local.get $bv))
                  (local.get $floor)))))
          (local.set $c (i32.add (local.get $c) (i32.const 16)))
          (br_if $channels (i32.lt_u (local.get $c) (local.get $cB))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $outRows (i32.lt_u (local.get $i) (local.get $rows))))
      (local.set $tc (i32.add (local.get $tc) (i32.const 1)))
      (if (i32.eq (local.get $tc) (local.get $tw))
        (then
          (local.set $tc (i32.const 0))
          (local.set $tr (i32.add (local.get $tr) (i32.const 1)))
          (if (i32.eq (local.get $tr) (local.get $th))
            (then
              (local.set $tr (i32.const 0))
              (local.set $b (i32.add (local.get $b) (i32.const 1)))))))
      (local.set $mb (i32.add (local.get $mb) (local.get $cB)))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $tiles (i32.lt_u (local.get $t) (local.get $t1)))))
)
