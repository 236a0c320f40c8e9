//! The Call fastpath, in assembly: `fastpath_call`, which the vectors jump
//! to for an SVC with Call in x7 (`user_entry_sync` in
//! arch/aarch64/context.rs) once the caller's registers are saved.
//!
//! It is the same algorithm as `reply_recv` in `mod.rs`, for the other
//! direction, with the same conditions (see the module documentation) and
//! the same effects as the slow path, written out by hand because it is
//! the most frequent system call of all: compiled Rust kept rebuilding
//! constants and addresses that here stay in registers. Every offset and
//! bit number comes from the Rust definitions (`offset_of!`,
//! `tessera_caps::raw::word0`), so a layout change cannot silently break
//! it, and the kernel suite runs with the fastpath on and off and compares
//! the two.
//!
//! Registers, once the lock is held: x0 the caller's TCB (virtual; its
//! registers come first), x3 the caller's TCB (physical), x8 this core's
//! PerCore, x9 the lock's `serving` word, x13 the linear-map offset. On
//! any failed condition it jumps to `declined` with nothing changed, which
//! hands the call to `kernel_entry::dispatch` with the lock held, as a
//! normal entry would.

use core::arch::global_asm;
use core::mem::offset_of;

use tessera_abi::Rights;
use tessera_caps::raw::{self, word0};

use crate::arch::aarch64::boot_mmu::LINEAR_BASE;
use crate::arch::aarch64::fpu::{CPTR_NO_TRAP, CPTR_TRAP_EL0};
use crate::arch::aarch64::percore::PerCore;
use crate::arch::aarch64::vectors::VectorKind;
use crate::object::endpoint::{Endpoint, QueueState};
use crate::object::tcb::{self, Tcb, ThreadState};

/// Offset of TCB slot `index` from the TCB.
const fn slot(index: usize) -> usize {
    offset_of!(Tcb, slots) + index * 64
}

global_asm!(
    r#"
    .section .text, "ax"
    .global fastpath_call
    .balign 16
fastpath_call:
    // Leave user level, then take the kernel lock (as klock::acquire).
    mrs     x8, tpidr_el2
    stlr    xzr, [x8]
    adrp    x9, {lock}
    add     x9, x9, :lo12:{lock}
1:  ldxr    w10, [x9]
    add     w11, w10, #1
    stxr    w12, w11, [x9]
    cbnz    w12, 1b
    add     x9, x9, #{serving}
2:  ldar    w11, [x9]
    cmp     w11, w10
    b.eq    3f
    isb
    b       2b
3:  mov     x13, #{linear}
    sub     x3, x0, x13
    ldrb    w10, [x8, #{pc_fastpath}]
    cbz     w10, declined

    // The message: no capabilities, at most four registers (x2 length).
    ldr     x1, [x0, #8]
    tst     x1, #{info_caps}
    b.ne    declined
    and     x2, x1, #{info_length}
    cmp     x2, #{max_length}
    b.hi    declined

    // The CSpace root: a CNode that decodes the pointer in one level.
    add     x7, x0, #{cspace}
    ldr     x4, [x7]
    and     x5, x4, #{tag_mask}
    cmp     x5, #{tag_cnode}
    b.ne    declined
    tbz     x4, #{one_level}, declined
    ubfx    x5, x4, #{radix_shift}, #8
    ldr     x6, [x0]
    ldp     x10, x11, [x7, #8]
    lsr     x12, x6, x5
    cmp     x12, x11
    b.ne    declined
    lsl     x12, x12, x5
    eor     x12, x6, x12
    add     x10, x10, x12, lsl #6
    add     x10, x10, x13

    // An endpoint capability with Write, and Grant or GrantReply.
    ldp     x14, x15, [x10]
    and     x16, x14, #{tag_mask}
    cmp     x16, #{tag_endpoint}
    b.ne    declined
    tbz     x14, #{right_write}, declined
    tst     x14, #{rights_grant_any}
    b.eq    declined
    ldr     x16, [x10, #16]
    add     x15, x15, x13

    // A receiver waiting: the endpoint's head (x18 physical, x19 virtual).
    ldr     x17, [x15, #{ep_state}]
    cmp     x17, #{receiving}
    b.ne    declined
    ldr     x18, [x15, #{ep_head}]
    add     x19, x18, x13

    // It is on this core, has an address space (x20 its TTBR0), and
    // nothing ready here at its priority or above would run first.
    ldrb    w20, [x19, #{tcb_core}]
    ldr     w21, [x8, #{pc_index}]
    cmp     w20, w21
    b.ne    declined
    ldr     x20, [x19, #{tcb_ttbr0}]
    cbz     x20, declined
    // ... and its VSpace slot still holds that address space (the slot's
    // object word, as tcb::space_is_current).
    ldr     x21, [x19, #{vspace_slot} + 8]
    ldr     x24, [x19, #{tcb_vspace_root}]
    cmp     x21, x24
    b.ne    declined
    // (Bitmap words from the receiver's up empty: nothing to look at.)
    ldrb    w21, [x19, #{tcb_priority}]
    ldr     x22, [x8, #{pc_sched}]
    lsr     x23, x21, #6
    ldr     x24, [x22, #{q_words}]
    lsr     x24, x24, x23
    cbnz    x24, 10f
11:

    // Its caller slot is empty (x4: the slot, virtual); the caller's master
    // reply cap is in place (x7: its slot, virtual).
    add     x4, x19, #{caller_slot}
    ldr     x24, [x4]
    tst     x24, #{tag_mask}
    b.ne    declined
    add     x7, x0, #{reply_slot}
    ldp     x25, x26, [x7]
    and     x27, x25, #{tag_mask}
    cmp     x27, #{tag_reply}
    b.ne    declined
    tbz     x25, #{master}, declined
    cmp     x26, x3
    b.ne    declined

    // Committed. Take the receiver off the endpoint (it is the head).
    ldr     x24, [x19, #{tcb_ep_next}]
    str     x24, [x15, #{ep_head}]
    cbnz    x24, 4f
    stp     xzr, xzr, [x15, #{ep_tail}]     // tail 0, state Idle
5:  str     xzr, [x19, #{tcb_ep_next}]
    str     xzr, [x19, #{tcb_ep_prev}]
    str     xzr, [x19, #{tcb_blocked_on}]

    // The one-shot reply cap in its caller slot, linked after the
    // caller's master reply cap in the derivation tree.
    add     x24, x18, #{caller_slot}
    add     x25, x3, #{reply_slot}
    ldr     x26, [x7, #{next}]
    // Word 0: the reply tag, and the grant flag if the endpoint cap has
    // the Grant right (moved from its rights bit to the flag's).
    lsr     x27, x14, #{grant_to_flag}
    and     x27, x27, #{reply_grant}
    orr     x27, x27, #{tag_reply}
    stp     x27, x3, [x4]
    stp     xzr, xzr, [x4, #16]
    stp     x25, x26, [x4, #{prev}]
    stp     xzr, xzr, [x4, #{prev} + 16]
    str     x24, [x7, #{next}]
    cbz     x26, 6f
    add     x26, x26, x13
    str     x24, [x26, #{prev}]
6:  mov     w27, #{blocked_on_reply}
    strb    w27, [x0, #{tcb_state}]

    // The message: badge, label and length, then the registers.
    bic     x1, x1, #{info_caps_unwrapped}
    stp     x16, x1, [x19]
    cbz     x2, 7f
    ldr     x27, [x0, #16]
    str     x27, [x19, #16]
    cmp     x2, #1
    b.eq    7f
    ldr     x27, [x0, #24]
    str     x27, [x19, #24]
    cmp     x2, #2
    b.eq    7f
    ldr     x27, [x0, #32]
    str     x27, [x19, #32]
    cmp     x2, #3
    b.eq    7f
    ldr     x27, [x0, #40]
    str     x27, [x19, #40]
7:  mov     w27, #{running}
    strb    w27, [x19, #{tcb_state}]
    .if {stats}
    adrp    x27, {taken}
    add     x27, x27, :lo12:{taken}
    ldr     x28, [x27]
    add     x28, x28, #1
    str     x28, [x27]
    .endif
    str     x18, [x22, #{q_current}]

    // Its address space (no ISB: the ERET synchronises), and FP trapped
    // unless the FP registers are its own (as fpu::prepare).
    ldr     x27, [x8, #{pc_ttbr0}]
    cmp     x27, x20
    b.eq    8f
    msr     ttbr0_el2, x20
    str     x20, [x8, #{pc_ttbr0}]
8:  ldp     x27, x28, [x8, #{pc_cptr}]     // cptr, fpu_owner
    mov     x29, #{cptr_trap}
    mov     x30, #{cptr_no_trap}
    cmp     x28, x18
    csel    x29, x30, x29, eq
    cmp     x27, x29
    b.eq    9f
    msr     cptr_el2, x29
    str     x29, [x8, #{pc_cptr}]

    // Publish its registers, release the lock, return into it (as
    // kernel_entry::run_in_space).
9:  stlr    x19, [x8]
    ldr     w27, [x9]
    add     w27, w27, #1
    stlr    w27, [x9]
    mov     x0, x19
    ldr     x1, [x8, #{pc_stack_top}]
    b       {restore_user}

    // Out of line: a receiver's next in the endpoint queue loses its
    // predecessor.
4:  add     x24, x24, x13
    str     xzr, [x24, #{tcb_ep_prev}]
    b       5b

    // Out of line: something is ready in the receiver's bitmap word or
    // above; declined unless it is below the receiver's priority.
10: cmp     x24, #1
    b.hi    declined
    add     x24, x22, x23, lsl #3
    ldr     x24, [x24, #{q_bitmap}]
    lsr     x24, x24, x21
    cbnz    x24, declined
    b       11b

    // The slow path takes it, the lock held: dispatch(slot, core, thread).
declined:
    mov     x2, x3
    ldr     w1, [x8, #{pc_index}]
    mov     x0, #{slot_sync}
    b       {dispatch}
"#,
    lock = sym crate::klock::KERNEL_LOCK,
    serving = const crate::klock::SERVING_OFFSET,
    linear = const LINEAR_BASE,
    taken = sym super::TAKEN,
    stats = const cfg!(feature = "stats") as u8,
    restore_user = sym crate::arch::aarch64::context::restore_user,
    dispatch = sym crate::kernel_entry::dispatch,
    slot_sync = const VectorKind::Lower64Sync as u64,
    pc_fastpath = const offset_of!(PerCore, fastpath),
    pc_index = const offset_of!(PerCore, index),
    pc_sched = const offset_of!(PerCore, sched_queues),
    pc_ttbr0 = const offset_of!(PerCore, ttbr0),
    pc_cptr = const offset_of!(PerCore, cptr),
    pc_stack_top = const offset_of!(PerCore, stack_top),
    q_words = const crate::sched::offsets::WORDS,
    q_bitmap = const crate::sched::offsets::BITMAP,
    q_current = const crate::sched::offsets::CURRENT,
    info_caps = const 0x3 << 7,
    info_caps_unwrapped = const 0x1f << 7,
    info_length = const 0x7f,
    max_length = const tessera_abi::MSG_REGISTERS_IN_CPU,
    cspace = const slot(tcb::slot::CSPACE),
    vspace_slot = const slot(tcb::slot::VSPACE),
    tcb_vspace_root = const offset_of!(Tcb, vspace_root),
    reply_slot = const slot(tcb::slot::REPLY),
    caller_slot = const slot(tcb::slot::CALLER),
    prev = const raw::PREV * 8,
    next = const raw::NEXT * 8,
    tag_mask = const word0::TAG_MASK,
    tag_cnode = const word0::TAG_CNODE,
    tag_endpoint = const word0::TAG_ENDPOINT,
    tag_reply = const word0::TAG_REPLY,
    one_level = const word0::CNODE_ONE_LEVEL_BIT,
    radix_shift = const word0::RADIX_SHIFT,
    master = const word0::REPLY_MASTER_BIT,
    reply_grant = const word0::REPLY_GRANT,
    right_write = const word0::RIGHTS_SHIFT + Rights::WRITE.bits().trailing_zeros(),
    grant_to_flag = const word0::RIGHTS_SHIFT + Rights::GRANT.bits().trailing_zeros()
        - word0::REPLY_GRANT.trailing_zeros(),
    rights_grant_any = const (Rights::GRANT.bits() | Rights::GRANT_REPLY.bits()) << word0::RIGHTS_SHIFT,
    ep_head = const offset_of!(Endpoint, head),
    ep_tail = const offset_of!(Endpoint, tail),
    ep_state = const offset_of!(Endpoint, state),
    receiving = const QueueState::Receiving as u64,
    tcb_state = const offset_of!(Tcb, state),
    tcb_core = const offset_of!(Tcb, core),
    tcb_priority = const offset_of!(Tcb, priority),
    tcb_ttbr0 = const offset_of!(Tcb, ttbr0),
    tcb_ep_next = const offset_of!(Tcb, ep_next),
    tcb_ep_prev = const offset_of!(Tcb, ep_prev),
    tcb_blocked_on = const offset_of!(Tcb, blocked_on),
    blocked_on_reply = const ThreadState::BlockedOnReply as u8,
    running = const ThreadState::Running as u8,
    cptr_trap = const CPTR_TRAP_EL0,
    cptr_no_trap = const CPTR_NO_TRAP,
);

// The layout facts the assembly relies on beyond its named offsets.
const _: () = {
    // The registers come first, so a TCB's address is its register area's.
    assert!(offset_of!(Tcb, regs) == 0);
    // Endpoint tail and state are adjacent (one store pair clears both).
    assert!(offset_of!(Endpoint, state) == offset_of!(Endpoint, tail) + 8);
    assert!(QueueState::Idle as u64 == 0);
    // The receiver's CPU registers x0 and x1 are its first two words.
    assert!(offset_of!(crate::arch::aarch64::context::UserRegs, x) == 0);
    // user_regs is the first field of PerCore (a store-release needs a
    // bare base register).
    assert!(offset_of!(PerCore, user_regs) == 0);
    assert!(tessera_abi::MSG_REGISTERS_IN_CPU == 4);
    // cptr and fpu_owner are adjacent (one load pair).
    assert!(offset_of!(PerCore, fpu_owner) == offset_of!(PerCore, cptr) + 8);
    // The grant right's bit is above the grant flag's (moved by a right
    // shift).
    assert!(
        word0::RIGHTS_SHIFT + Rights::GRANT.bits().trailing_zeros()
            > word0::REPLY_GRANT.trailing_zeros()
    );
    // The slot's prev and next links are adjacent, prev first.
    assert!(raw::NEXT == raw::PREV + 1);
};
