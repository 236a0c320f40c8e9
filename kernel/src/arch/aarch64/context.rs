//! User threads' register state, and the two halves of a kernel entry from
//! EL0: the vectors save the registers straight into the running thread's
//! TCB (through `PerCore::user_regs`), and [`restore_user`] loads a thread's
//! registers and returns to EL0, after the kernel lock is released.

use core::arch::global_asm;
use core::mem::offset_of;

use super::percore::USER_REGS_OFFSET;

/// A user thread's integer registers and the state `ERET` needs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct UserRegs {
    /// x0–x30.
    pub x: [u64; 31],
    /// The user stack pointer.
    pub sp_el0: u64,
    /// Where the thread resumes.
    pub elr: u64,
    /// The PSTATE it resumes with.
    pub spsr: u64,
    /// The thread pointer.
    pub tpidr_el0: u64,
    /// Keeps the size a multiple of 16.
    pub padding: u64,
}

/// SPSR for a thread at EL0 (AArch64, SP_EL0), all exceptions unmasked.
pub const SPSR_EL0T: u64 = 0;

const _: () = assert!(offset_of!(UserRegs, sp_el0) == 248);
const _: () = assert!(offset_of!(UserRegs, elr) == 256);
const _: () = assert!(offset_of!(UserRegs, tpidr_el0) == 272);

unsafe extern "C" {
    /// Loads `regs` into the CPU, sets SP_EL2 to `stack_top` (this core's
    /// empty kernel stack, for the next entry) and returns to EL0.
    ///
    /// # Safety
    /// `regs` is the register area of the thread this core runs next and
    /// holds a sanitised SPSR (EL0t); this core has published it as
    /// `PerCore::user_regs` and then released the kernel lock. Until this
    /// core enters the kernel again, no other core writes that area: every
    /// path that reads or writes a running thread's registers first waits
    /// for the thread's core to leave user level (`sched::stall`,
    /// `sched::remove`), which it does only after its next entry.
    pub fn restore_user(regs: *const UserRegs, stack_top: u64) -> !;
}

global_asm!(
    r#"
    // The register save of every entry from EL0: the vector stub pushed
    // x0/x1 on the kernel stack (SP_EL2, the core's empty stack); this
    // stores all of the thread's registers into its TCB, through
    // PerCore::user_regs, and leaves x0 = that register area. x1 and x4-x30
    // keep their values (x7 the thread's own: the system call number).
    .macro SAVE_USER_REGS
    mrs     x0, tpidr_el2
    ldr     x0, [x0, #{user_regs}]
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    mrs     x2, sp_el0
    stp     x30, x2, [x0, #240]
    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x0, #256]
    mrs     x2, tpidr_el0
    str     x2, [x0, #272]
    ldp     x2, x3, [sp], #16       // the thread's x0, x1
    stp     x2, x3, [x0, #0]
    .endm

    .section .text.vectors, "ax"
    // A synchronous exception from AArch64 EL0 (vector slot 8). The IPC
    // fastpath's cases go straight to their handlers: an SVC (EC 0x15)
    // with Call or ReplyRecv in x7; they get x0, the register area.
    .global user_entry_sync
user_entry_sync:
    SAVE_USER_REGS
    mrs     x2, esr_el2
    lsr     x2, x2, #26
    cmp     x2, #0x15
    b.ne    1f
    cmp     x7, #{call}
    b.eq    fastpath_call
    cmp     x7, #{reply_recv}
    b.eq    {fast_reply_recv}
1:  mov     x0, #8
    bl      {handler}               // never returns: it ends in restore_user
    b       .

    // Every other entry from EL0; the vector stub put its slot in x1.
    .global user_entry
user_entry:
    SAVE_USER_REGS
    mov     x0, x1
    bl      {handler}               // never returns: it ends in restore_user
    b       .

    .section .text, "ax"
    .global restore_user
restore_user:
    mov     sp, x1
    ldp     x2, x3, [x0, #256]
    msr     elr_el2, x2
    msr     spsr_el2, x3
    ldr     x2, [x0, #272]
    msr     tpidr_el0, x2
    ldp     x30, x2, [x0, #240]
    msr     sp_el0, x2
    ldp     x2, x3, [x0, #16]
    ldp     x4, x5, [x0, #32]
    ldp     x6, x7, [x0, #48]
    ldp     x8, x9, [x0, #64]
    ldp     x10, x11, [x0, #80]
    ldp     x12, x13, [x0, #96]
    ldp     x14, x15, [x0, #112]
    ldp     x16, x17, [x0, #128]
    ldp     x18, x19, [x0, #144]
    ldp     x20, x21, [x0, #160]
    ldp     x22, x23, [x0, #176]
    ldp     x24, x25, [x0, #192]
    ldp     x26, x27, [x0, #208]
    ldp     x28, x29, [x0, #224]
    ldp     x0, x1, [x0, #0]
    eret
"#,
    user_regs = const USER_REGS_OFFSET,
    handler = sym crate::kernel_entry::handle_user_entry,
    fast_reply_recv = sym crate::kernel_entry::handle_reply_recv,
    call = const tessera_abi::Syscall::Call as u64,
    reply_recv = const tessera_abi::Syscall::ReplyRecv as u64,
);
