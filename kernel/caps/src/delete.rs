//! Deleting a capability in bounded steps, with zombies (seL4's idea,
//! Tessera's algorithm).
//!
//! Deleting the last capability to a CNode or a TCB (whose own slots act as
//! a CNode of [`TCB_SLOT_COUNT`] slots) destroys the object, which first
//! means emptying every one of its slots, and those may hold the last
//! capabilities to further CNodes and TCBs, without limit. So the
//! capability becomes a [`Cap::Zombie`] in its slot, which keeps the object
//! alive and in the derivation tree, and [`step`] does a constant amount of
//! work at a time. The kernel runs steps up to a budget per entry and then
//! restarts the system call, which carries on where it stopped.
//!
//! The slot the deletion was asked for, the *top*, keeps its zombie until
//! the end, so a restarted call finds it again. The zombie's object is
//! emptied from its last slot down (`pending` counts the slots left); the
//! slot it is working on, the *work slot*, is `pending - 1`:
//!
//! - an empty slot: `pending` goes down;
//! - a capability that is not the last to a CNode or TCB: the kernel
//!   deletes it ([`Teardown::delete_leaf`], bounded work) and `pending` goes
//!   down;
//! - the last capability to a CNode or TCB: it becomes a zombie in place
//!   (a thread is stopped first, [`Teardown::stop_thread`]);
//! - a zombie: its object is emptied the same way, by steps at the work
//!   slot. When that zombie's own work slot holds a zombie too (a third
//!   level), the kernel does not recurse: it *rotates* three slots, so the
//!   deeper zombie moves into the work slot, the one it replaces moves into
//!   slot 0 of the deeper object (emptied last, so it is met again exactly
//!   when that object is otherwise empty), and what slot 0 held moves into
//!   the slot the deeper zombie left. Every capability keeps its place in
//!   the derivation tree (the slots exchange contents, [`mdb::exchange`]).
//!   When an object's last pending slot holds a zombie (typically the one
//!   parked there), that zombie moves back to the work slot and the object
//!   is destroyed. So the work slot holds a stack of zombies threaded
//!   through slot 0 of each object, all of it reachable and all of it
//!   content of the objects being destroyed.
//!
//! Invariants every step keeps (the host tests check them):
//!
//! 1. Slots of a zombie's object from `pending` on are empty.
//! 2. An object is destroyed only when its zombie is removed, which happens
//!    when `pending` is 0, or 1 with the zombie in the object's own slot 0:
//!    with (1), the object holds no capability any more.
//! 3. A capability only moves between slots of objects being destroyed,
//!    the top and the work slot, and always into a pending slot.
//!
//! So no capability is ever left in freed memory, whatever the graph of
//! CNodes looks like. For a structure without cycles the deletion of the
//! top destroys everything only it reached. A cycle (a CNode holding, at
//! some depth, the last capability to the CNode that holds the top itself)
//! is garbage no thread can reach; where the steps meet one, they leave
//! part of it as a zombie inside its own object, which stays a child of
//! its Untyped: revoking the Untyped finishes it.

use tessera_abi::CNODE_SLOT_BITS;

use crate::cap::{Cap, TCB_SLOT_COUNT, ZombieKind};
use crate::mdb;
use crate::slot::{SlotAddr, SlotStore};

/// What the kernel does for a deletion: everything that touches objects
/// rather than slots.
pub trait Teardown<S: SlotStore + ?Sized> {
    /// The address of the TCB at `tcb`'s own slot `index`
    /// (`< TCB_SLOT_COUNT`).
    fn tcb_slot(&self, tcb: u64, index: u64) -> SlotAddr;

    /// Deletes the capability in `at`, which is neither a zombie nor the
    /// last capability to a CNode or TCB, in bounded time: the object is
    /// finalised if it was the last capability, and the slot emptied.
    fn delete_leaf(&mut self, store: &mut S, at: SlotAddr);

    /// The last capability to the TCB at `tcb` is going: stop the thread
    /// for good (its slots are emptied afterwards, through its zombie).
    fn stop_thread(&mut self, store: &mut S, tcb: u64);

    /// The object of `zombie` has been destroyed (its zombie removed).
    fn destroyed(&mut self, _zombie: &Cap) {}
}

/// What a step left to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The slot is empty.
    Done,
    /// Steps remain.
    More,
}

/// Deletes the capability in `top` with at most `*budget` steps, taking
/// what it uses from the budget. True when `top` is empty at the end; false
/// when the budget ran out first (a zombie remains in `top`, and calling
/// again carries on).
pub fn delete<S, T>(store: &mut S, teardown: &mut T, top: SlotAddr, budget: &mut usize) -> bool
where
    S: SlotStore + ?Sized,
    T: Teardown<S> + ?Sized,
{
    while *budget > 0 {
        *budget = budget.saturating_sub(1);
        if step(store, teardown, top) == Progress::Done {
            return true;
        }
    }
    store.read(top).is_empty()
}

/// One step of deleting the capability in `top`: a constant amount of work
/// (a few slots read and written, and at most one call to the kernel).
pub fn step<S, T>(store: &mut S, teardown: &mut T, top: SlotAddr) -> Progress
where
    S: SlotStore + ?Sized,
    T: Teardown<S> + ?Sized,
{
    let cap = store.read(top).cap;
    if cap.is_null() {
        return Progress::Done;
    }
    let Some(root) = Zombie::of(&cap) else {
        if begin(store, teardown, top) {
            return Progress::More;
        }
        teardown.delete_leaf(store, top);
        return Progress::Done;
    };
    let Some(work) = root.last_pending(teardown) else {
        finish(store, teardown, top);
        return Progress::Done;
    };
    if work == top {
        // The zombie lies in its own object (a cycle): leave it in the
        // object's slot 0, where revoking its Untyped finishes it, and go
        // on with what that slot held.
        if root.pending <= 1 {
            finish(store, teardown, top);
            return Progress::Done;
        }
        let _ = mdb::exchange(store, top, root.slot(teardown, 0));
        return Progress::More;
    }
    let work_cap = store.read(work).cap;
    if work_cap.is_null() {
        root.set_pending(store, top, root.pending.saturating_sub(1));
    } else if let Some(inner) = Zombie::of(&work_cap) {
        reduce(store, teardown, top, work, inner);
    } else if !begin(store, teardown, work) {
        teardown.delete_leaf(store, work);
        if store.read(work).is_empty() {
            root.set_pending(store, top, root.pending.saturating_sub(1));
        }
    }
    Progress::More
}

/// One step on the zombie `z` in the work slot `work` (the top is `top`).
fn reduce<S, T>(store: &mut S, teardown: &mut T, top: SlotAddr, work: SlotAddr, z: Zombie)
where
    S: SlotStore + ?Sized,
    T: Teardown<S> + ?Sized,
{
    let Some(end) = z.last_pending(teardown) else {
        finish(store, teardown, work);
        return;
    };
    if end == work {
        // The work slot lies in the zombie's own object (a cycle). Alone
        // there, it is done; otherwise leave it in its slot 0 and work on
        // what that slot held (often the zombie parked there).
        if z.pending <= 1 {
            finish(store, teardown, work);
        } else {
            let _ = mdb::exchange(store, work, z.slot(teardown, 0));
        }
        return;
    }
    if end == top {
        // The top lies in this object (a cycle through the top). Hand the
        // top's zombie to this object's slot and finish this one alone.
        if z.pending <= 1 {
            let _ = mdb::exchange(store, top, work);
        } else {
            let _ = mdb::exchange(store, work, z.slot(teardown, 0));
        }
        return;
    }
    let end_cap = store.read(end).cap;
    if end_cap.is_null() {
        z.set_pending(store, work, z.pending.saturating_sub(1));
        return;
    }
    let Some(inner) = Zombie::of(&end_cap) else {
        if !begin(store, teardown, end) {
            teardown.delete_leaf(store, end);
            if store.read(end).is_empty() {
                z.set_pending(store, work, z.pending.saturating_sub(1));
            }
        }
        return;
    };
    if inner.pending == 0 {
        finish(store, teardown, end);
        z.set_pending(store, work, z.pending.saturating_sub(1));
    } else if z.pending == 1 {
        // Only the inner zombie is left here (usually the one parked in
        // slot 0): it takes the work slot, and this object is destroyed.
        let _ = mdb::exchange(store, work, end);
        finish(store, teardown, end);
    } else {
        let park = inner.slot(teardown, 0);
        if park == top {
            // A cycle through the top: the inner object is garbage that
            // holds the top; the top takes it over, this object goes on
            // being emptied as content of the work slot's zombie.
            let _ = mdb::exchange(store, top, end);
        } else {
            // Rotate: inner → work slot, this zombie → inner's slot 0,
            // what slot 0 held → the slot the inner zombie left.
            let _ = mdb::exchange(store, work, end);
            let _ = mdb::exchange(store, end, park);
        }
    }
}

/// If `at` holds the last capability to a CNode or TCB, turns it into a
/// zombie in place (stopping a thread first) and returns true.
fn begin<S, T>(store: &mut S, teardown: &mut T, at: SlotAddr) -> bool
where
    S: SlotStore + ?Sized,
    T: Teardown<S> + ?Sized,
{
    let kind = match store.read(at).cap {
        Cap::CNode { radix_bits, .. } => ZombieKind::CNode { radix_bits },
        Cap::Tcb { .. } => ZombieKind::Tcb,
        _ => return false,
    };
    if !mdb::is_final(store, at) {
        return false;
    }
    let Some(paddr) = store.read(at).cap.paddr() else {
        return false;
    };
    if kind == ZombieKind::Tcb {
        teardown.stop_thread(store, paddr);
    }
    // Stopping a thread may delete reply caps elsewhere and relink this
    // slot's neighbours: read the slot again.
    let mut slot = store.read(at);
    slot.cap = Cap::Zombie {
        paddr,
        kind,
        pending: kind.slot_count(),
    };
    store.write(at, slot);
    true
}

/// Removes the zombie in `at`: its object is empty and is destroyed.
fn finish<S, T>(store: &mut S, teardown: &mut T, at: SlotAddr)
where
    S: SlotStore + ?Sized,
    T: Teardown<S> + ?Sized,
{
    let cap = store.read(at).cap;
    let _ = mdb::remove(store, at);
    teardown.destroyed(&cap);
}

/// A zombie's fields.
#[derive(Clone, Copy)]
struct Zombie {
    paddr: u64,
    kind: ZombieKind,
    pending: u64,
}

impl Zombie {
    fn of(cap: &Cap) -> Option<Zombie> {
        match *cap {
            Cap::Zombie {
                paddr,
                kind,
                pending,
            } => Some(Zombie {
                paddr,
                kind,
                // The kernel only writes well-formed zombies; clamp anyway
                // so a step never reaches outside the object.
                pending: pending.min(kind.slot_count()),
            }),
            _ => None,
        }
    }

    /// The address of slot `index` of the object.
    fn slot<S, T>(&self, teardown: &T, index: u64) -> SlotAddr
    where
        S: SlotStore + ?Sized,
        T: Teardown<S> + ?Sized,
    {
        match self.kind {
            ZombieKind::CNode { .. } => self
                .paddr
                .wrapping_add(index.wrapping_shl(u32::from(CNODE_SLOT_BITS))),
            ZombieKind::Tcb => {
                teardown.tcb_slot(self.paddr, index.min(TCB_SLOT_COUNT.saturating_sub(1)))
            }
        }
    }

    /// The last slot that may still hold a capability, if any.
    fn last_pending<S, T>(&self, teardown: &T) -> Option<SlotAddr>
    where
        S: SlotStore + ?Sized,
        T: Teardown<S> + ?Sized,
    {
        let index = self.pending.checked_sub(1)?;
        Some(self.slot(teardown, index))
    }

    /// Writes the zombie back into `at` with `pending` slots left.
    fn set_pending<S: SlotStore + ?Sized>(&self, store: &mut S, at: SlotAddr, pending: u64) {
        let mut slot = store.read(at);
        slot.cap = Cap::Zombie {
            paddr: self.paddr,
            kind: self.kind,
            pending,
        };
        store.write(at, slot);
    }
}

#[cfg(test)]
mod tests;
