//! The IPC fastpath: Call and ReplyRecv between two threads of one core in
//! the common case, done in a few dozen instructions, as seL4's fastpath.
//!
//! It handles a call only when the result is certain to be what the slow
//! path (`syscall.rs`) would produce, and otherwise declines without having
//! changed anything. The conditions: a message of at most four registers
//! and no capabilities; a CSpace that is one CNode level; an endpoint
//! capability with the needed rights; the partner on this core, with an
//! address space, and no other ready thread that the slow path would run
//! first (nothing ready at the partner's priority or above); for Call, the
//! receiver's caller slot empty; for ReplyRecv, no sender waiting and no
//! bound notification. `tessera.fastpath=off` on the kernel command line
//! turns it off, so the kernel suite can check both paths give the same
//! results.

#[cfg(feature = "stats")]
use core::sync::atomic::Ordering;

use tessera_abi::{MSG_REGISTERS_IN_CPU, Rights};
use tessera_caps::raw;

use crate::arch::aarch64::boot_mmu::phys_to_virt;
use crate::arch::aarch64::percore;
use crate::kernel_entry;
use crate::object::endpoint::{self, QueueState};
use crate::object::object_ptr;
use crate::object::tcb::{self, PendingFault, Tcb, ThreadState};
use crate::sched;

mod call;

/// Calls the fastpath handled (counted by kernels built with `stats`).
static TAKEN: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// How many calls the fastpath handled (0 without `stats`).
#[cfg(feature = "test-hooks")]
pub fn taken() -> u64 {
    #[cfg(feature = "stats")]
    return TAKEN.load(Ordering::Relaxed);
    #[cfg(not(feature = "stats"))]
    0
}

#[inline(always)]
fn count_taken() {
    #[cfg(feature = "stats")]
    TAKEN.fetch_add(1, Ordering::Relaxed);
}

/// Turns the fastpath on or off (boot only).
pub fn set_enabled(on: bool) {
    percore::set_fastpath(on);
}

/// Whether the fastpath is on.
#[inline(always)]
pub fn enabled() -> bool {
    percore::fastpath_on()
}

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: callers pass the current thread or threads reached through
    // an endpoint queue or a reply capability, which hold live TCBs only;
    // under the kernel lock, and no two references to one TCB at a time.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

fn slot_words(slot: u64) -> *mut [u64; 8] {
    phys_to_virt(slot) as *mut [u64; 8]
}

/// The capability half of a slot.
fn cap_words(slot: u64) -> [u64; 4] {
    // SAFETY: `slot` is a slot in a live CNode or TCB (found through a
    // CSpace root or a TCB's own slots) in RAM; under the kernel lock.
    let w = unsafe { &*slot_words(slot) };
    [w[0], w[1], w[2], w[3]]
}

/// The length of a message of registers only, if it is one.
fn simple_message(info: u64) -> Option<usize> {
    let length = (info & 0x7f) as usize;
    let extra_caps = (info >> 7) & 0x3;
    (extra_caps == 0 && length <= MSG_REGISTERS_IN_CPU).then_some(length)
}

/// The message info the receiver gets: the label and length, no caps.
fn delivered_info(info: u64) -> u64 {
    info & !(0x1f << 7)
}

/// Message registers 0–3 (x2–x5) of a message of `length` registers,
/// copied without a call to memcpy (the fastpath's budget is a few dozen
/// instructions); registers past `length` are left as they were, as the
/// slow path leaves them.
#[inline(always)]
fn copy_message(to: &mut [u64; 31], from: [u64; MSG_REGISTERS_IN_CPU], length: usize) {
    if length > 0 {
        to[2] = from[0];
    }
    if length > 1 {
        to[3] = from[1];
    }
    if length > 2 {
        to[4] = from[2];
    }
    if length > 3 {
        to[5] = from[3];
    }
}

/// The endpoint capability at `cptr` in `thread`'s CSpace, if that CSpace
/// is one CNode level that decodes all 64 bits.
fn endpoint_cap(thread: u64, cptr: u64) -> Option<(u64, u64, Rights)> {
    let root = cap_words(tcb::slot_addr(thread, tcb::slot::CSPACE));
    let (cnode, radix, guard) = raw::one_level_cnode(&root)?;
    if cptr >> radix != guard {
        return None;
    }
    let index = cptr & ((1u64 << radix) - 1);
    raw::endpoint(&cap_words(cnode + (index << tessera_abi::CNODE_SLOT_BITS)))
}

/// No ready thread on this core would run before one at `priority`.
#[inline(always)]
fn partner_runs_next(priority: u8) -> bool {
    !sched::any_ready_here_at_or_above(priority)
}

/// Handles `server`'s ReplyRecv on the fastpath, never returning, or
/// returns having changed nothing.
#[inline(always)]
pub fn reply_recv(core: usize, server: u64) {
    let s = tcb(server);
    let Some(length) = simple_message(s.regs.x[1]) else {
        return;
    };
    let caller_slot = tcb::slot_addr(server, tcb::slot::CALLER);
    let Some((caller, false, _)) = raw::reply(&cap_words(caller_slot)) else {
        return;
    };
    let Some((ep, _, rights)) = endpoint_cap(server, s.regs.x[0]) else {
        return;
    };
    let c = tcb(caller);
    let ready = rights.contains(Rights::READ)
        && s.bound_notification == 0
        && c.state == ThreadState::BlockedOnReply
        && c.pending_fault == PendingFault::None
        && usize::from(c.core) == core
        && c.ttbr0 != 0
        && tcb::space_is_current(caller)
        && endpoint::get(ep).state != QueueState::Sending as u64
        && partner_runs_next(c.priority);
    if !ready {
        return;
    }

    // Use up the reply cap: unlink it from the derivation tree.
    // SAFETY: the caller slot holds a reply cap whose links are live slots
    // (its prev is the caller's master reply cap).
    unsafe {
        let w = &mut *slot_words(caller_slot);
        let (prev, next) = (w[raw::PREV], w[raw::NEXT]);
        if prev != 0 {
            (*slot_words(prev))[raw::NEXT] = next;
        }
        if next != 0 {
            (*slot_words(next))[raw::PREV] = prev;
        }
        *w = [0; 8];
    }

    let s = tcb(server);
    let info = s.regs.x[1];
    let mrs = [s.regs.x[2], s.regs.x[3], s.regs.x[4], s.regs.x[5]];
    let c = tcb(caller);
    copy_message(&mut c.regs.x, mrs, length);
    c.regs.x[0] = 0;
    c.regs.x[1] = delivered_info(info);
    c.state = ThreadState::Running;

    // The server waits on the endpoint (at its tail).
    let e = endpoint::get(ep);
    let tail = e.tail;
    let s = tcb(server);
    s.ep_prev = tail;
    s.ep_next = 0;
    s.blocked_on = ep;
    s.state = ThreadState::BlockedOnReceive;
    if tail == 0 {
        e.head = server;
    } else {
        tcb(tail).ep_next = server;
    }
    e.tail = server;
    e.state = QueueState::Receiving as u64;
    count_taken();
    let ttbr0 = tcb(caller).ttbr0;
    sched::set_current_here(caller);
    kernel_entry::run_in_space(caller, ttbr0)
}
