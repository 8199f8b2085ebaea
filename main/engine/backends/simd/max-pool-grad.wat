;; MaxPoolGrad for 2x2 windows with stride 2 and no padding, with 128-bit SIMD, four channels
;; per instruction, over the tfjs wasm backend's own heap (imported memory; tensors are used
;; in place). Same semantics as ../max-pool-grad.ts and tfjs-backend-cpu: each window sends
;; dy to the first element (row-major) holding its maximum; NaN and -Infinity never win, so
;; a window of only those gets nothing; a -0 gradient is stored as +0 (cpu adds dy to 0).
;;
;; x, dx: [n, h, w, C]; dy: [n, floor(h/2), floor(w/2), C]; C a multiple of 4. Only the
;; elements inside a window are written: the caller zeroes an odd last row or column.
;;
;; Assembled by scripts/assemble-wat.mjs into simd/max-pool-grad-wasm.ts (checked by a test).
(module
  (import "env" "memory" (memory 0))

  (func (export "maxPoolGrad2x2")
    (param $x i32) (param $dy i32) (param $dx i32) (param $n i32) (param $h i32) (param $w i32) (param $C i32)
    (local $cBytes i32) (local $rowBytes i32) (local $oh i32) (local $ow i32)
    (local $b i32) (local $r i32) (local $q i32) (local $off i32)
    (local $px i32) (local $pd i32) (local $pg i32) (local $a i32) (local $o i32)
    (local $x00 v128) (local $x01 v128) (local $x10 v128) (local $x11 v128)
    (local $top v128) (local $bot v128) (local $mTop v128) (local $mBot v128) (local $mDown v128) (local $g v128)
    (local.set $cBytes (i32.shl (local.get $C) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $w) (local.get $cBytes)))
    (local.set $oh (i32.shr_u (local.get $h) (i32.const 1)))
    (local.set $ow (i32.shr_u (local.get $w) (i32.const 1)))
    (if (i32.or (i32.eqz (local.get $n)) (i32.or (i32.eqz (local.get $oh)) (i32.eqz (local.get $ow)))) (then (return)))
    (local.set $pg (local.get $dy))
    (local.set $b (i32.const 0))
    (loop $images
      (local.set $r (i32.const 0))
      (loop $windowRows
        ;; first element of window row r of image b
        (local.set $o (i32.mul (i32.add (i32.mul (local.get $b) (local.get $h)) (i32.shl (local.get $r) (i32.const 1))) (local.get $rowBytes)))
        (local.set $px (i32.add (local.get $x) (local.get $o)))
        (local.set $pd (i32.add (local.get $dx) (local.get $o)))
        (local.set $q (i32.const 0))
        (loop $windows
          (local.set $off (i32.const 0))
          (loop $channels
            (local.set $a (i32.add (local.get $px) (local.get $off)))
            ;; NaN and -Infinity become -Infinity, which loses every strict comparison.
            (local.set $x00 (call $sanitize (v128.load (local.get $a))))
            (local.set $x01 (call $sanitize (v128.load (i32.add (local.get $a) (local.get $cBytes)))))
            (local.set $x10 (call $sanitize (v128.load (i32.add (local.get $a) (local.get $rowBytes)))))
            (local.set $x11 (call $sanitize (v128.load (i32.add (i32.add (local.get $a) (local.get $rowBytes)) (local.get $cBytes)))))
            ;; Strict > keeps ties with the earlier element, as the cpu scan does.
            (local.set $mTop (f32x4.gt (local.get $x01) (local.get $x00)))
            (local.set $top (v128.bitselect (local.get $x01) (local.get $x00) (local.get $mTop)))
            (local.set $mBot (f32x4.gt (local.get $x11) (local.get $x10)))
            (local.set $bot (v128.bitselect (local.get $x11) (local.get $x10) (local.get $mBot)))
            (local.set $mDown (f32x4.gt (local.get $bot) (local.get $top)))
            ;; dy + 0 (−0 → +0), kept only where the window has a winner above −Infinity.
            (local.set $g
              (v128.and
                (f32x4.add (v128.load (i32.add (local.get $pg) (local.get $off))) (v128.const f32x4 0 0 0 0))
                (f32x4.gt
                  (v128.bitselect (local.get $bot) (local.get $top) (local.get $mDown))
                  (v128.const f32x4 -inf -inf -inf -inf))))
            (local.set $a (i32.add (local.get $pd) (local.get $off)))
            (v128.store (local.get $a)
              (v128.andnot (local.get $g) (v128.or (local.get $mTop) (local.get $mDown))))
            (v128.store (i32.add (local.get $a) (local.get $cBytes))
              (v128.and (local.get $g) (v128.andnot (local.get $mTop) (local.get $mDown))))
            (v128.store (i32.add (local.get $a) (local.get $rowBytes))
              (v128.and (local.get $g) (v128.andnot (local.get $mDown) (local.get $mBot))))
            (v128.store (i32.add (i32.add (local.get $a) (local.get $rowBytes)) (local.get $cBytes))
              (v128.and (local.get $g) (v128.and (local.get $mDown) (local.get $mBot))))
            (local.set $off (i32.add (local.get $off) (i32.const 16)))
            (br_if $channels (i32.lt_u (local.get $off) (local.get $cBytes))))
          (local.set $px (i32.add (local.get $px) (i32.shl (local.get $cBytes) (i32.const 1))))
          (local.set $pd (i32.add (local.get $pd) (i32.shl (local.get $cBytes) (i32.const 1))))
          (local.set $pg (i32.add (local.get $pg) (local.get $cBytes)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br_if $windows (i32.lt_u (local.get $q) (local.get $ow))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $windowRows (i32.lt_u (local.get $r) (local.get $oh))))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $b) (local.get $n)))))

  ;; v where v > −Infinity, else −Infinity (NaN compares false)
  (func $sanitize (param $v v128) (result v128)
    (v128.bitselect
      (local.get $v)
      (v128.const f32x4 -inf -inf -inf -inf)
      (f32x4.gt (local.get $v) (v128.const f32x4 -inf -inf -inf -inf))))
)
