//! Deleting capabilities and destroying objects.
//!
//! Deleting the last capability to an object destroys it: threads blocked
//! on an endpoint or notification resume with an error, a TCB stops and
//! drops its own capabilities, a mapped frame or table leaves its address
//! space, a CNode drops its contents.
//!
//! Every deletion is bounded per kernel entry. Most capabilities go in
//! constant time (a *leaf* deletion, [`delete_leaf`]). The last capability
//! to a CNode or a TCB that still holds capabilities becomes a zombie
//! (`Cap::Zombie`) in its slot instead, and the kernel empties the object's
//! slots a few at a time, without recursion, however deeply CNodes nest:
//! the algorithm is `tessera_caps::delete`, host-tested; this module
//! supplies what touches objects. The zombie keeps the object, and its
//! place as a child of its Untyped, until the object is empty; then the
//! object is destroyed and the slot emptied. Nothing is left behind in
//! freed memory.
//!
//! Who drives the steps: the system calls that delete (CNode Delete and
//! Revoke, and TCB Configure/SetSpace/SetIpcBuffer replacing a thread's
//! slots) take at most [`DELETE_BUDGET`] steps per entry and then restart
//! (the thread runs the same call again and carries on from the zombie).
//! The kernel's own deletions (reply caps, an interrupt line's notification
//! copy) never meet a CNode or TCB capability and take one step. A call
//! that does not come back (its thread was stopped, for instance by
//! deleting its own TCB) leaves its zombie in the slot: the slot reads as
//! occupied, and the next Delete or Revoke that reaches it, the
//! destruction of the CNode holding it, or revoking the object's Untyped
//! carries on.

use tessera_abi::Error;
use tessera_caps::delete::{self as steps, Teardown};
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, mdb};

use super::cnode::KernelSlots;
use super::tcb::{self, Tcb, ThreadState};
use super::{endpoint, notification, object_ptr, vspace};
use crate::arch::aarch64::fpu;
use crate::sched;

const _: () = assert!(tcb::slot::COUNT as u64 == tessera_caps::TCB_SLOT_COUNT);

/// Deletion steps one kernel entry performs for a system call (Delete,
/// Revoke, replacing a TCB's slots) before the call is preempted and
/// restarted. A step is a constant amount of work: one capability deleted
/// (a leaf: its object finalised if it was the last), one capability turned
/// into a zombie, one slot found empty, or a few slots exchanged.
pub const DELETE_BUDGET: usize = 64;

/// The budget ran out before the deletion finished: the caller restarts
/// the system call.
#[derive(Debug)]
pub struct Preempted;

/// The kernel's side of `tessera_caps::delete`.
struct Kernel;

impl Teardown<KernelSlots> for Kernel {
    fn tcb_slot(&self, tcb: u64, index: u64) -> SlotAddr {
        tcb::slot_addr(tcb, index as usize)
    }

    fn delete_leaf(&mut self, _: &mut KernelSlots, at: SlotAddr) {
        delete_leaf(at);
    }

    fn stop_thread(&mut self, _: &mut KernelSlots, tcb: u64) {
        destroy_thread(tcb);
    }
}

/// Deletes the capability in `slot` (nothing if it is empty), using at
/// most `*budget` steps; `Preempted` if a zombie remains (call again).
pub fn delete(slot: SlotAddr, budget: &mut usize) -> Result<(), Preempted> {
    if steps::delete(&mut KernelSlots, &mut Kernel, slot, budget) {
        Ok(())
    } else {
        Err(Preempted)
    }
}

/// Deletes a capability that is never the last one to a CNode or TCB (a
/// reply cap, a notification cap): one step.
pub fn delete_one(slot: SlotAddr) {
    let _ = steps::step(&mut KernelSlots, &mut Kernel, slot);
}

/// Deletes descendants of `slot` within `*budget` steps; `Preempted` if
/// some are left (the caller restarts the system call).
pub fn revoke(slot: SlotAddr, budget: &mut usize) -> Result<(), Preempted> {
    while *budget > 0 {
        match mdb::first_descendant(&KernelSlots, slot) {
            Some(child) => delete(child, budget)?,
            None => return Ok(()),
        }
    }
    match mdb::first_descendant(&KernelSlots, slot) {
        Some(_) => Err(Preempted),
        None => Ok(()),
    }
}

/// Deletes the capability in `slot` in constant time: it is not a zombie
/// and not the last capability to a CNode or TCB (those go through
/// zombies). Finalises its object if it was the last capability.
fn delete_leaf(slot: SlotAddr) {
    let content = KernelSlots.read(slot);
    if content.is_empty() {
        return;
    }
    if matches!(content.cap, Cap::Reply { master: true, .. }) {
        // The reply caps made from a master reply cap must not outlive it.
        revoke_replies(slot);
    }
    let is_final = mdb::is_final(&KernelSlots, slot);
    let last_of_badge = last_of_its_badge(&content);
    // Removal first: finalising may delete other slots, and this one must
    // be out of the tree by then.
    if mdb::remove(&mut KernelSlots, slot).is_err() {
        return;
    }
    if is_final {
        finalise(&content.cap);
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

/// Deletes the reply caps made from the master reply cap in `slot`: at
/// most one per call the thread is waiting in, so bounded by what the
/// kernel itself creates.
fn revoke_replies(slot: SlotAddr) {
    while let Some(child) = mdb::first_descendant(&KernelSlots, slot) {
        if !matches!(KernelSlots.read(child).cap, Cap::Reply { .. }) {
            return;
        }
        delete_leaf(child);
    }
}

/// Destroys the object `cap` was the last capability to. CNodes and TCBs
/// are emptied through their zombies before this point and need nothing
/// more.
fn finalise(cap: &Cap) {
    match *cap {
        Cap::Endpoint { paddr, .. } => endpoint::cancel_all(paddr),
        Cap::Notification { paddr, .. } => notification::destroy(paddr),
        Cap::Frame { .. } | Cap::PageTable { .. } | Cap::VSpace { .. } => vspace::finalise(cap),
        Cap::AsidPool { paddr, base } => super::asid::destroy_pool(paddr, base),
        Cap::IrqHandler { irq } => super::irq::release(irq),
        _ => {}
    }
}

/// The last capability to the thread is going: stop it for good. Its own
/// slots are emptied afterwards, through its zombie.
fn destroy_thread(paddr: u64) {
    stop(paddr);
    fpu::forget(paddr);
    // SAFETY: as in stop.
    let t = unsafe { &mut *object_ptr::<Tcb>(paddr) };
    if t.bound_notification != 0 {
        notification::get(t.bound_notification).bound = 0;
        t.bound_notification = 0;
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
            revoke_replies(tcb::slot_addr(thread, tcb::slot::REPLY));
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
