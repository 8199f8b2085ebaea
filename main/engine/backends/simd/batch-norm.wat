;; Training-mode batch norm loops with 128-bit SIMD, over the tfjs wasm backend's own heap
;; (the memory is imported from it, so tensors are used in place, never copied).
;;
;; Layout: a channels-last tensor is [rows, C] float32 with C a multiple of 4; per-channel
;; arrays hold C values. Pointers are byte offsets into the heap. The math is that of
;; ../batch-norm-math.ts; sums are taken in float32 over blocks of BLOCK rows and added to
;; float64 accumulators between blocks, which keeps them as accurate as the float64 loops
;; there for any practical batch.
;;
;; Assembled by scripts/assemble-wat.mjs into simd/batch-norm-wasm.ts (checked by a test).
(module
  (import "env" "memory" (memory 0))

  ;; acc[0..C) += Σ_r (x − k), acc[C..2C) += Σ_r (x − k)²   (acc: 2C float64)
  (func (export "shiftedMoments")
    (param $x i32) (param $rows i32) (param $C i32) (param $k i32) (param $acc i32)
    (call $moments (local.get $x) (local.get $x) (local.get $rows) (local.get $C) (local.get $k) (local.get $acc) (i32.const 0)))

  ;; acc[0..C) += Σ_r u, acc[C..2C) += Σ_r u·(x − k)   (acc: 2C float64)
  (func (export "dotMoments")
    (param $u i32) (param $x i32) (param $rows i32) (param $C i32) (param $k i32) (param $acc i32)
    (call $moments (local.get $u) (local.get $x) (local.get $rows) (local.get $C) (local.get $k) (local.get $acc) (i32.const 1)))

  ;; mode 0: a = b = x − k;  mode 1: a = u, b = x − k  (k per channel).
  ;; acc[c] += Σ a,  acc[C + c] += Σ a·b
  (func $moments
    (param $u i32) (param $x i32) (param $rows i32) (param $C i32) (param $k i32) (param $acc i32) (param $mode i32)
    (local $rowBytes i32) (local $r0 i32) (local $r1 i32) (local $g i32)
    (local $pu i32) (local $px i32) (local $end i32) (local $a i32)
    (local $kv v128) (local $s v128) (local $q v128) (local $va v128)
    (local.set $rowBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $r0 (i32.const 0))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $r0) (local.get $rows)))
        ;; r1 = min(rows, r0 + 64)
        (local.set $r1 (i32.add (local.get $r0) (i32.const 64)))
        (if (i32.gt_u (local.get $r1) (local.get $rows)) (then (local.set $r1 (local.get $rows))))
        (local.set $g (i32.const 0))
        (loop $groups
          (local.set $s (v128.const f32x4 0 0 0 0))
          (local.set $q (v128.const f32x4 0 0 0 0))
          (local.set $kv (v128.load (i32.add (local.get $k) (i32.shl (local.get $g) (i32.const 2)))))
          ;; pointers to element (r0, g) and one past (r1, g)
          (local.set $pu (i32.add (local.get $u) (i32.add (i32.mul (local.get $r0) (local.get $rowBytes)) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $px (i32.add (local.get $x) (i32.add (i32.mul (local.get $r0) (local.get $rowBytes)) (i32.shl (local.get $g) (i32.const 2)))))
          (local.set $end (i32.add (local.get $u) (i32.add (i32.mul (local.get $r1) (local.get $rowBytes)) (i32.shl (local.get $g) (i32.const 2)))))
          (if (i32.eqz (local.get $mode))
            (then
              (loop $rowsA
                (local.set $va (f32x4.sub (v128.load (local.get $pu)) (local.get $kv)))
                (local.set $s (f32x4.add (local.get $s) (local.get $va)))
                (local.set $q (f32x4.add (local.get $q) (f32x4.mul (local.get $va) (local.get $va))))
                (local.set $pu (i32.add (local.get $pu) (local.get $rowBytes)))
                (br_if $rowsA (i32.lt_u (local.get $pu) (local.get $end)))))
            (else
              (loop $rowsB
                (local.set $va (v128.load (local.get $pu)))
                (local.set $s (f32x4.add (local.get $s) (local.get $va)))
                (local.set $q (f32x4.add (local.get $q)
                  (f32x4.mul (local.get $va) (f32x4.sub (v128.load (local.get $px)) (local.get $kv)))))
                (local.set $pu (i32.add (local.get $pu) (local.get $rowBytes)))
                (local.set $px (i32.add (local.get $px) (local.get $rowBytes)))
                (br_if $rowsB (i32.lt_u (local.get $pu) (local.get $end))))))
          ;; acc[g..g+4) += s, acc[C+g..C+g+4) += q, in float64
          (local.set $a (i32.add (local.get $acc) (i32.shl (local.get $g) (i32.const 3))))
          (call $addWidened (local.get $a) (local.get $s))
          (call $addWidened (i32.add (local.get $a) (i32.shl (local.get $C) (i32.const 3))) (local.get $q))
          (local.set $g (i32.add (local.get $g) (i32.const 4)))
          (br_if $groups (i32.lt_u (local.get $g) (local.get $C))))
        (local.set $r0 (local.get $r1))
        (br $blocks))))

  ;; four float64 at $p += the four float32 lanes of $v
  (func $addWidened (param $p i32) (param $v v128)
    (v128.store (local.get $p)
      (f64x2.add (v128.load (local.get $p)) (f64x2.promote_low_f32x4 (local.get $v))))
    (v128.store offset=16 (local.get $p)
      (f64x2.add (v128.load offset=16 (local.get $p))
        (f64x2.promote_low_f32x4
          (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))

  ;; out = (x − m)·q + r, per channel
  (func (export "affine")
    (param $x i32) (param $rows i32) (param $C i32) (param $m i32) (param $q i32) (param $r i32) (param $out i32)
    (local $i i32) (local $n i32) (local $c i32) (local $cb i32)
    (local.set $n (i32.shl (i32.mul (local.get $rows) (local.get $C)) (i32.const 2)))
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $i (i32.const 0))
    (local.set $c (i32.const 0))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.add
            (f32x4.mul
              (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $m) (local.get $c))))
              (v128.load (i32.add (local.get $q) (local.get $c))))
            (v128.load (i32.add (local.get $r) (local.get $c)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (if (i32.ge_u (local.get $c) (local.get $cb)) (then (local.set $c (i32.const 0))))
        (br $each))))

  ;; out = p·u + (x − m)·q + r, per channel
  (func (export "affine2")
    (param $u i32) (param $x i32) (param $rows i32) (param $C i32) (param $m i32) (param $p i32) (param $q i32) (param $r i32) (param $out i32)
    (local $i i32) (local $n i32) (local $c i32) (local $cb i32)
    (local.set $n (i32.shl (i32.mul (local.get $rows) (local.get $C)) (i32.const 2)))
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $i (i32.const 0))
    (local.set $c (i32.const 0))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (v128.store (i32.add (local.get $out) (local.get $i))
          (f32x4.add
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $u) (local.get $i))) (v128.load (i32.add (local.get $p) (local.get $c))))
              (f32x4.mul
                (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $i))) (v128.load (i32.add (local.get $m) (local.get $c))))
                (v128.load (i32.add (local.get $q) (local.get $c)))))
            (v128.load (i32.add (local.get $r) (local.get $c)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (if (i32.ge_u (local.get $c) (local.get $cb)) (then (local.set $c (i32.const 0))))
        (br $each))))
)
