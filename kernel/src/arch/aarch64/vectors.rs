//! The EL2 exception vector table. Every entry saves the full register frame
//! on the current stack, calls `handle_exception` with the entry's kind, and
//! restores the (possibly changed) frame before returning with ERET.

use core::arch::global_asm;
use core::mem::{offset_of, size_of};

/// The registers of the interrupted context, as saved by the vectors.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct TrapFrame {
    /// x0–x30.
    pub x: [u64; 31],
    pub sp_el0: u64,
    pub elr: u64,
    pub spsr: u64,
}

/// The frame's size on the stack (kept 16-byte aligned).
pub const FRAME_SIZE: usize = (size_of::<TrapFrame>() + 15) & !15;

/// Which vector was taken: the four sources times the four kinds, in
/// table order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum VectorKind {
    CurrentSp0Sync = 0,
    CurrentSp0Irq,
    CurrentSp0Fiq,
    CurrentSp0SError,
    CurrentSpxSync,
    CurrentSpxIrq,
    CurrentSpxFiq,
    CurrentSpxSError,
    Lower64Sync,
    Lower64Irq,
    Lower64Fiq,
    Lower64SError,
    Lower32Sync,
    Lower32Irq,
    Lower32Fiq,
    Lower32SError,
}

impl VectorKind {
    /// The kind for a vector-table slot number (0–15).
    pub fn from_slot(slot: u64) -> Option<VectorKind> {
        use VectorKind::*;
        const ALL: [VectorKind; 16] = [
            CurrentSp0Sync,
            CurrentSp0Irq,
            CurrentSp0Fiq,
            CurrentSp0SError,
            CurrentSpxSync,
            CurrentSpxIrq,
            CurrentSpxFiq,
            CurrentSpxSError,
            Lower64Sync,
            Lower64Irq,
            Lower64Fiq,
            Lower64SError,
            Lower32Sync,
            Lower32Irq,
            Lower32Fiq,
            Lower32SError,
        ];
        ALL.get(slot as usize).copied()
    }
}

global_asm!(
    r#"
    // From EL2 itself: the frame goes on the current stack.
    .macro VECTOR slot
    .balign 0x80
    sub     sp, sp, #{frame_size}
    stp     x0, x1, [sp, #0]
    mov     x0, #\slot
    b       exception_common
    .endm

    // From EL0: the registers go into the running thread's TCB (user_entry
    // in context.rs); SP_EL2 is this core's empty kernel stack.
    .macro USER_VECTOR slot
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\slot
    b       user_entry
    .endm

    // Synchronous exceptions from AArch64 EL0 (system calls among them)
    // have an entry of their own, which knows its slot.
    .macro USER_SYNC_VECTOR
    .balign 0x80
    stp     x0, x1, [sp, #-16]!
    b       user_entry_sync
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global exception_vectors
exception_vectors:
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    USER_SYNC_VECTOR
    USER_VECTOR 9
    USER_VECTOR 10
    USER_VECTOR 11
    USER_VECTOR 12
    USER_VECTOR 13
    USER_VECTOR 14
    USER_VECTOR 15

exception_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, sp_el0
    stp     x30, x2, [sp, #240]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [sp, #{elr_off}]
    mov     x1, sp
    bl      {handler}
    ldp     x2, x3, [sp, #{elr_off}]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldp     x30, x2, [sp, #240]
    msr     sp_el0, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #{frame_size}
    eret
"#,
    frame_size = const FRAME_SIZE,
    elr_off = const offset_of!(TrapFrame, elr),
    handler = sym super::exception::handle_exception,
);

const _: () = assert!(offset_of!(TrapFrame, sp_el0) == 248);
const _: () = assert!(offset_of!(TrapFrame, elr) == 256);
