//! Deleting capabilities and destroying objects.
//!
//! Deleting the last capability to an object destroys it: threads blocked
//! on an endpoint or notification resume with an error, a TCB stops and
//! drops its own capabilities, a mapped frame or table leaves its address
//! space, a CNode drops its contents.

use tessera_abi::Error;
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, mdb};

use super::cnode::{KernelSlots, slot_addr};
use super::tcb::{self, Tcb, ThreadState};
use super::{endpoint, notification, object_ptr, vspace};
use crate::arch::aarch64::fpu;
use crate::sched;

/// How deep destroying one CNode may destroy CNodes held in it. Deeper
/// contents stay in place (unreachable, and reclaimed when their Untyped
/// is revoked), so a chain of CNodes cannot exhaust the kernel stack.
const MAX_NESTING: u32 = 4;

/// Deletions one Revoke performs before it lets the thread be preempted
/// and restarts (the system call runs again and carries on).
pub const REVOKE_BUDGET: usize = 64;

/// Deletes the capability in `slot` (nothing if it is empty).
pub fn delete_slot(slot: SlotAddr) {
    delete_nested(slot, 0);
}

fn delete_nested(slot: SlotAddr, nesting: u32) {
    let content = KernelSlots.read(slot);
    if content.is_empty() {
        return;
    }
    if matches!(content.cap, Cap::Reply { master: true, .. }) {
        // The reply caps made from a master reply cap must not outlive it.
        revoke_all(slot, nesting);
    }
    let is_final = mdb::is_final(&KernelSlots, slot);
    let last_of_badge = last_of_its_badge(&content);
    // Removal first: finalising may delete other slots, and this one must
    // be out of the tree by then.
    if mdb::remove(&mut KernelSlots, slot).is_err() {
        return;
    }
    if is_final {
        finalise(&content.cap, nesting);
    } else if let (Some(badge), Cap::Endpoint { paddr, .. }) = (last_of_badge, content.cap) {
        // Nobody can send with this badge any more: senders blocked with
        // it fail rather than wait for ever.
        endpoint::cancel_badged(paddr, badge);
    }
}

/// The badge of a badged endpoint capability that is the last one with
/// its badge (copies of one badge are neighbours in the derivation tree).
fn last_of_its_badge(content: &tessera_caps::Slot) -> Option<u64> {
    let Cap::Endpoint { paddr, badge, .. } = content.cap else {
        return None;
    };
    if badge == 0 {
        return None;
    }
    let same = |at: SlotAddr| {
        at != tessera_caps::NO_SLOT
            && matches!(KernelSlots.read(at).cap, Cap::Endpoint { paddr: p, badge: b, .. } if p == paddr && b == badge)
    };
    (!same(content.mdb.prev) && !same(content.mdb.next)).then_some(badge)
}

/// Deletes every descendant of `slot`, without a budget (bounded by what
/// the kernel itself creates: reply caps).
fn revoke_all(slot: SlotAddr, nesting: u32) {
    while let Some(child) = mdb::first_descendant(&KernelSlots, slot) {
        delete_nested(child, nesting);
    }
}

/// Deletes up to REVOKE_BUDGET descendants of `slot`; Err(()) if some are
/// left (the caller restarts the system call).
pub fn revoke(slot: SlotAddr) -> Result<(), ()> {
    for _ in 0..REVOKE_BUDGET {
        match mdb::first_descendant(&KernelSlots, slot) {
            Some(child) => delete_nested(child, 0),
            None => return Ok(()),
        }
    }
    match mdb::first_descendant(&KernelSlots, slot) {
        Some(_) => Err(()),
        None => Ok(()),
    }
}

/// Destroys the object `cap` was the last capability to.
fn finalise(cap: &Cap, nesting: u32) {
    match *cap {
        Cap::Endpoint { paddr, .. } => endpoint::cancel_all(paddr),
        Cap::Notification { paddr, .. } => notification::destroy(paddr),
        Cap::Tcb { paddr } => destroy_tcb(paddr, nesting),
        Cap::CNode {
            paddr, radix_bits, ..
        } => destroy_cnode(paddr, radix_bits, nesting),
        Cap::Frame { .. } | Cap::PageTable { .. } | Cap::VSpace { .. } => vspace::finalise(cap),
        Cap::AsidPool { paddr, base } => super::asid::destroy_pool(paddr, base),
        Cap::IrqHandler { irq } => super::irq::release(irq),
        _ => {}
    }
}

fn destroy_cnode(paddr: u64, radix_bits: u8, nesting: u32) {
    if nesting >= MAX_NESTING {
        return;
    }
    for index in 0..(1u64 << radix_bits) {
        delete_nested(slot_addr(paddr, index), nesting + 1);
    }
}

/// Stops a thread for good and drops its own capabilities.
fn destroy_tcb(paddr: u64, nesting: u32) {
    stop(paddr);
    fpu::forget(paddr);
    // SAFETY: as in stop.
    let t = unsafe { &mut *object_ptr::<Tcb>(paddr) };
    if t.bound_notification != 0 {
        notification::get(t.bound_notification).bound = 0;
        t.bound_notification = 0;
    }
    for index in 0..tcb::slot::COUNT {
        delete_nested(tcb::slot_addr(paddr, index), nesting + 1);
    }
}

/// Takes a thread out of whatever it waits in and off the cores.
pub fn stop(thread: u64) {
    // SAFETY: `thread` is a live TCB (a capability to it was just removed
    // or is held); under the kernel lock.
    let t = unsafe { &mut *object_ptr::<Tcb>(thread) };
    cancel_ipc(t, thread);
    t.state = ThreadState::Inactive;
    sched::remove(thread);
}

/// Takes `thread` out of an endpoint or notification queue, if in one.
pub fn cancel_ipc(t: &mut Tcb, thread: u64) {
    match t.state {
        ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
            endpoint::dequeue(t.blocked_on, thread)
        }
        ThreadState::BlockedOnNotification => notification::dequeue(t.blocked_on, thread),
        ThreadState::BlockedOnReply => {
            // Drop the reply cap that would answer it (in the callee's
            // caller slot or wherever it was saved).
            revoke_all(tcb::slot_addr(thread, tcb::slot::REPLY), 0);
        }
        _ => {}
    }
    t.blocked_on = 0;
    t.pending_fault = tcb::PendingFault::None;
}

/// The error a thread sees when the object it waited on is destroyed.
pub fn object_gone() -> SyscallError {
    SyscallError::plain(Error::InvalidCapability)
}
