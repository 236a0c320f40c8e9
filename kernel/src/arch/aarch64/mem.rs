//! `memcpy` for the kernel, in place of the generic one from
//! `compiler_builtins` (which copies 8 bytes per four instructions): the
//! kernel moves capability slots, decoded capabilities and messages around
//! by value, and on its slow IPC path more than half of the instructions
//! were in `memcpy`. This one copies 32 bytes per six instructions with
//! general-purpose register pairs (the kernel is soft-float: no SIMD
//! registers), when both addresses are 8-byte aligned, and byte by byte
//! otherwise, so it never makes an unaligned access (the kernel copies
//! before its MMU is on, when all memory is Device memory).

use core::arch::global_asm;

global_asm!(
    r#"
    .section .text.memcpy, "ax"
    .global memcpy
    .type memcpy, %function
    .balign 16
// memcpy(dst: x0, src: x1, n: x2) -> x0; the regions do not overlap.
memcpy:
    mov     x3, x0
    orr     x4, x0, x1
    tst     x4, #7
    b.ne    5f
    subs    x2, x2, #32
    b.lo    2f
1:  ldp     x6, x7, [x1, #16]
    ldp     x4, x5, [x1], #32
    stp     x6, x7, [x3, #16]
    stp     x4, x5, [x3], #32
    subs    x2, x2, #32
    b.hs    1b
2:  adds    x2, x2, #32
    b.eq    4f
    tbz     x2, #4, 3f
    ldp     x4, x5, [x1], #16
    stp     x4, x5, [x3], #16
3:  tbz     x2, #3, 6f
    ldr     x4, [x1], #8
    str     x4, [x3], #8
6:  tbz     x2, #2, 7f
    ldr     w4, [x1], #4
    str     w4, [x3], #4
7:  tbz     x2, #1, 8f
    ldrh    w4, [x1], #2
    strh    w4, [x3], #2
8:  tbz     x2, #0, 4f
    ldrb    w4, [x1]
    strb    w4, [x3]
4:  ret
    // Either address unaligned: byte by byte.
5:  cbz     x2, 4b
9:  ldrb    w4, [x1], #1
    strb    w4, [x3], #1
    subs    x2, x2, #1
    b.ne    9b
    ret
    .size memcpy, . - memcpy
"#
);
