//! The capability derivation tree (seL4's mapping database).
//!
//! The tree is stored as one doubly linked list through the slots, in
//! pre-order: each capability is followed directly by its descendants.
//! Whether the slot after `x` is a descendant of `x` is decided locally by
//! [`is_mdb_parent_of`] from the two capabilities and the `revocable` and
//! `first_badged` flags, so the tree needs no parent pointers and every
//! operation here touches a constant number of slots (no loops): the
//! kernel's Revoke calls [`first_descendant`] and [`remove`] once per
//! step and can be preempted between steps.
//!
//! Invariants the operations keep (and the model test checks):
//!
//! 1. Links are consistent: `read(x.next).prev == x` and back; no cycles.
//! 2. Pre-order: the descendants of every capability directly follow it.
//! 3. Capabilities to the same object ([`same_object_as`]) are adjacent, so
//!    whether a capability is the last one to its object is decided by its
//!    two neighbours. This holds because a copy is always inserted next to
//!    its source, Retype inserts capabilities to fresh objects only, and
//!    moves and swaps keep every capability's place in the list.
//!
//! Each operation checks everything first (and has a `check_*` twin the
//! kernel can call from its decode step) and only then writes; once the
//! checks pass it cannot fail.

use tessera_abi::Error;

use crate::cap::{Cap, pow2};
use crate::derive::{is_mdb_parent_of, is_revocable, same_object_as, same_region_as};
use crate::slot::{MdbNode, NO_SLOT, Slot, SlotAddr, SlotStore};

/// Why a tree operation was refused. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MdbError {
    /// A slot address is [`NO_SLOT`].
    NoSlot,
    /// Two arguments name the same slot.
    SameSlot,
    /// A slot that must hold a capability is empty.
    SourceEmpty,
    /// The destination slot is not empty.
    DestinationOccupied,
    /// The capability to store is Null (use [`remove`] to empty a slot).
    NullCap,
    /// The replacement capability is not the same object with the same
    /// badge as the one it replaces, which would break the tree's order.
    NotSameObject,
    /// An Untyped with children cannot be copied: its objects would look
    /// like the copy's.
    UntypedHasChildren,
    /// The new capability would not be a child of its source, and the
    /// source has children: put after the source it would look like their
    /// parent.
    NotDerived,
    /// The parent given for a new object is not an Untyped covering it.
    NotCovered,
}

impl MdbError {
    /// The invocation error the kernel replies with.
    pub const fn error(self) -> Error {
        match self {
            MdbError::SourceEmpty => Error::FailedLookup,
            MdbError::DestinationOccupied => Error::DeleteFirst,
            MdbError::UntypedHasChildren => Error::RevokeFirst,
            _ => Error::IllegalOperation,
        }
    }
}

/// What [`remove`] took out of a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Removed {
    /// The capability that was in the slot.
    pub cap: Cap,
    /// No other capability to its object remains: the kernel destroys the
    /// object.
    pub is_final: bool,
}

fn real(at: SlotAddr) -> Result<(), MdbError> {
    if at == NO_SLOT {
        Err(MdbError::NoSlot)
    } else {
        Ok(())
    }
}

fn distinct(a: SlotAddr, b: SlotAddr) -> Result<(), MdbError> {
    real(a)?;
    real(b)?;
    if a == b {
        Err(MdbError::SameSlot)
    } else {
        Ok(())
    }
}

fn occupied<S: SlotStore + ?Sized>(store: &S, at: SlotAddr) -> Result<Slot, MdbError> {
    real(at)?;
    let slot = store.read(at);
    if slot.is_empty() {
        Err(MdbError::SourceEmpty)
    } else {
        Ok(slot)
    }
}

fn vacant<S: SlotStore + ?Sized>(store: &S, at: SlotAddr) -> Result<(), MdbError> {
    real(at)?;
    if store.read(at).is_empty() {
        Ok(())
    } else {
        Err(MdbError::DestinationOccupied)
    }
}

fn not_null(cap: &Cap) -> Result<(), MdbError> {
    if cap.is_null() {
        Err(MdbError::NullCap)
    } else {
        Ok(())
    }
}

/// Whether `new` may take `old`'s place in the tree: the same object and,
/// for endpoints and notifications, the same badge.
fn keeps_identity(old: &Cap, new: &Cap) -> Result<(), MdbError> {
    if same_object_as(old, new) && old.badge() == new.badge() {
        Ok(())
    } else {
        Err(MdbError::NotSameObject)
    }
}

fn set_next<S: SlotStore + ?Sized>(store: &mut S, at: SlotAddr, next: SlotAddr) {
    if at != NO_SLOT {
        let mut s = store.read(at);
        s.mdb.next = next;
        store.write(at, s);
    }
}

fn set_prev<S: SlotStore + ?Sized>(store: &mut S, at: SlotAddr, prev: SlotAddr) {
    if at != NO_SLOT {
        let mut s = store.read(at);
        s.mdb.prev = prev;
        store.write(at, s);
    }
}

/// Checks [`insert_root`].
pub fn check_insert_root<S: SlotStore + ?Sized>(
    store: &S,
    dest: SlotAddr,
    cap: &Cap,
) -> Result<(), MdbError> {
    not_null(cap)?;
    vacant(store, dest)
}

/// Puts `cap` in the empty slot `dest` as a root of the tree: revocable,
/// first badged, linked to nothing. For what the kernel makes itself: the
/// boot capabilities and a TCB's master reply capability.
pub fn insert_root<S: SlotStore + ?Sized>(
    store: &mut S,
    dest: SlotAddr,
    cap: Cap,
) -> Result<(), MdbError> {
    check_insert_root(store, dest, &cap)?;
    let mdb = MdbNode {
        prev: NO_SLOT,
        next: NO_SLOT,
        revocable: true,
        first_badged: true,
    };
    store.write(dest, Slot { cap, mdb });
    Ok(())
}

/// The node a copy gets, after checking [`insert`]'s preconditions.
fn plan_insert<S: SlotStore + ?Sized>(
    store: &S,
    source: SlotAddr,
    dest: SlotAddr,
    new_cap: &Cap,
) -> Result<(Slot, Slot), MdbError> {
    distinct(source, dest)?;
    let src = occupied(store, source)?;
    vacant(store, dest)?;
    not_null(new_cap)?;
    let revocable = is_revocable(new_cap, &src.cap);
    let mdb = MdbNode {
        prev: source,
        next: src.mdb.next,
        revocable,
        first_badged: revocable,
    };
    let new = Slot { cap: *new_cap, mdb };
    let source_has_children = has_children(store, source);
    if matches!(new_cap, Cap::Untyped { .. }) && source_has_children {
        return Err(MdbError::UntypedHasChildren);
    }
    if source_has_children && !is_mdb_parent_of(&src, &new) {
        return Err(MdbError::NotDerived);
    }
    Ok((src, new))
}

/// Checks [`insert`].
pub fn check_insert<S: SlotStore + ?Sized>(
    store: &S,
    source: SlotAddr,
    dest: SlotAddr,
    new_cap: &Cap,
) -> Result<(), MdbError> {
    plan_insert(store, source, dest, new_cap).map(|_| ())
}

/// Puts `new_cap`, made from the capability at `source` by
/// [`crate::derive()`], [`crate::copy`] or [`crate::mint`] (or an IrqHandler
/// made from IrqControl), in the empty slot `dest`, directly after
/// `source` in the list. It is revocable (and first badged) when
/// [`is_revocable`] says so, and a child of the source when
/// [`is_mdb_parent_of`] says so, else the source's sibling.
///
/// A copy of an Untyped needs a source without children
/// ([`MdbError::UntypedHasChildren`]); when it covers the source's whole
/// region, the source's watermark is set to full, so that only the copy
/// (the newest capability) allocates from the region while it exists.
pub fn insert<S: SlotStore + ?Sized>(
    store: &mut S,
    source: SlotAddr,
    dest: SlotAddr,
    new_cap: Cap,
) -> Result<(), MdbError> {
    let (mut src, new) = plan_insert(store, source, dest, &new_cap)?;
    store.write(dest, new);
    set_prev(store, new.mdb.next, dest);
    src.mdb.next = dest;
    src.cap = mark_full_if_copied(src.cap, &new_cap);
    store.write(source, src);
    Ok(())
}

/// The source Untyped with its watermark at the end when `copy` is an
/// Untyped of the same region.
fn mark_full_if_copied(source: Cap, copy: &Cap) -> Cap {
    match source {
        Cap::Untyped {
            paddr,
            size_bits,
            is_device,
            free_index,
            ..
        } if same_object_as(&source, copy) => {
            let full = pow2(size_bits)
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(free_index);
            Cap::Untyped {
                paddr,
                size_bits,
                is_device,
                free_index: full,
                zeroed_to: 0,
            }
        }
        other => other,
    }
}

/// Checks [`insert_new_object`].
pub fn check_insert_new_object<S: SlotStore + ?Sized>(
    store: &S,
    untyped: SlotAddr,
    dest: SlotAddr,
    cap: &Cap,
) -> Result<(), MdbError> {
    distinct(untyped, dest)?;
    let parent = occupied(store, untyped)?;
    vacant(store, dest)?;
    not_null(cap)?;
    if matches!(parent.cap, Cap::Untyped { .. }) && same_region_as(&parent.cap, cap) {
        Ok(())
    } else {
        Err(MdbError::NotCovered)
    }
}

/// Puts the capability to an object Retype (or ASID MakePool) just made
/// from the Untyped at `untyped` in the empty slot `dest`, as an original
/// (revocable, first badged) and the Untyped's first child.
///
/// Precondition beyond the checks: the object is fresh, no capability to
/// it exists (the kernel places objects with [`crate::plan_retype`]).
pub fn insert_new_object<S: SlotStore + ?Sized>(
    store: &mut S,
    untyped: SlotAddr,
    dest: SlotAddr,
    cap: Cap,
) -> Result<(), MdbError> {
    check_insert_new_object(store, untyped, dest, &cap)?;
    let mut parent = store.read(untyped);
    let mdb = MdbNode {
        prev: untyped,
        next: parent.mdb.next,
        revocable: true,
        first_badged: true,
    };
    store.write(dest, Slot { cap, mdb });
    set_prev(store, mdb.next, dest);
    parent.mdb.next = dest;
    store.write(untyped, parent);
    Ok(())
}

/// Checks [`move_cap`].
pub fn check_move<S: SlotStore + ?Sized>(
    store: &S,
    source: SlotAddr,
    dest: SlotAddr,
    new_cap: &Cap,
) -> Result<(), MdbError> {
    distinct(source, dest)?;
    let src = occupied(store, source)?;
    vacant(store, dest)?;
    not_null(new_cap)?;
    keeps_identity(&src.cap, new_cap)
}

/// Moves the capability at `source` to the empty slot `dest` as `new_cap`
/// (the same capability, or what [`crate::mutate`] made of it): `dest`
/// takes the source's place in the list and its flags; `source` becomes
/// empty. CNode Move, Mutate and SaveCaller.
pub fn move_cap<S: SlotStore + ?Sized>(
    store: &mut S,
    source: SlotAddr,
    dest: SlotAddr,
    new_cap: Cap,
) -> Result<(), MdbError> {
    check_move(store, source, dest, &new_cap)?;
    let src = store.read(source);
    store.write(
        dest,
        Slot {
            cap: new_cap,
            mdb: src.mdb,
        },
    );
    set_next(store, src.mdb.prev, dest);
    set_prev(store, src.mdb.next, dest);
    store.write(source, Slot::EMPTY);
    Ok(())
}

/// Checks [`update_cap`].
pub fn check_update<S: SlotStore + ?Sized>(
    store: &S,
    at: SlotAddr,
    new_cap: &Cap,
) -> Result<(), MdbError> {
    let slot = occupied(store, at)?;
    keeps_identity(&slot.cap, new_cap)
}

/// Replaces the capability at `at` in place, keeping its tree node: for
/// state kept in the capability (an Untyped's watermark after Retype, a
/// frame's or table's mapping, a VSpace's ASID).
pub fn update_cap<S: SlotStore + ?Sized>(
    store: &mut S,
    at: SlotAddr,
    new_cap: Cap,
) -> Result<(), MdbError> {
    check_update(store, at, &new_cap)?;
    let mut slot = store.read(at);
    slot.cap = new_cap;
    store.write(at, slot);
    Ok(())
}

/// Checks [`swap`] and [`swap_mutated`].
pub fn check_swap<S: SlotStore + ?Sized>(
    store: &S,
    a: SlotAddr,
    cap_from_a: &Cap,
    b: SlotAddr,
    cap_from_b: &Cap,
) -> Result<(), MdbError> {
    distinct(a, b)?;
    let sa = occupied(store, a)?;
    let sb = occupied(store, b)?;
    keeps_identity(&sa.cap, cap_from_a)?;
    keeps_identity(&sb.cap, cap_from_b)
}

/// Exchanges the capabilities in the non-empty slots `a` and `b`. Each
/// capability keeps its place in the list (and its flags) and only changes
/// slot, so the tree is unchanged.
pub fn swap<S: SlotStore + ?Sized>(
    store: &mut S,
    a: SlotAddr,
    b: SlotAddr,
) -> Result<(), MdbError> {
    let cap_a = store.read(a).cap;
    let cap_b = store.read(b).cap;
    swap_mutated(store, a, cap_a, b, cap_b)
}

/// [`swap`], with the capabilities changed on the way (CNode Rotate with
/// badges, as [`crate::mutate`] allows): slot `b` receives `cap_from_a`,
/// slot `a` receives `cap_from_b`.
pub fn swap_mutated<S: SlotStore + ?Sized>(
    store: &mut S,
    a: SlotAddr,
    cap_from_a: Cap,
    b: SlotAddr,
    cap_from_b: Cap,
) -> Result<(), MdbError> {
    check_swap(store, a, &cap_from_a, b, &cap_from_b)?;
    let sa = store.read(a);
    let sb = store.read(b);
    // Links between a and b themselves point to the other slot afterwards.
    let rename = |x: SlotAddr| {
        if x == a {
            b
        } else if x == b {
            a
        } else {
            x
        }
    };
    let relink = |n: MdbNode| MdbNode {
        prev: rename(n.prev),
        next: rename(n.next),
        ..n
    };
    store.write(
        b,
        Slot {
            cap: cap_from_a,
            mdb: relink(sa.mdb),
        },
    );
    store.write(
        a,
        Slot {
            cap: cap_from_b,
            mdb: relink(sb.mdb),
        },
    );
    repoint_neighbours(store, sa.mdb, b, [a, b]);
    repoint_neighbours(store, sb.mdb, a, [a, b]);
    Ok(())
}

/// Exchanges the contents of slots `a` and `b`, either or both of which may
/// be empty: each capability keeps its place in the list and its flags
/// and only changes slot, so the tree is unchanged. For the kernel's
/// deletion ([`crate::delete`]), which moves zombies between slots no
/// invocation can name.
pub fn exchange<S: SlotStore + ?Sized>(
    store: &mut S,
    a: SlotAddr,
    b: SlotAddr,
) -> Result<(), MdbError> {
    distinct(a, b)?;
    let cap_a = store.read(a).cap;
    let cap_b = store.read(b).cap;
    match (cap_a.is_null(), cap_b.is_null()) {
        (true, true) => Ok(()),
        (false, true) => move_cap(store, a, b, cap_a),
        (true, false) => move_cap(store, b, a, cap_b),
        (false, false) => swap_mutated(store, a, cap_a, b, cap_b),
    }
}

/// Makes the outside neighbours of `node` point to `to`; links to the
/// slots in `skip` were fixed by renaming.
fn repoint_neighbours<S: SlotStore + ?Sized>(
    store: &mut S,
    node: MdbNode,
    to: SlotAddr,
    skip: [SlotAddr; 2],
) {
    if !skip.contains(&node.prev) {
        set_next(store, node.prev, to);
    }
    if !skip.contains(&node.next) {
        set_prev(store, node.next, to);
    }
}

/// Whether the capability at `at` is the last one to its object: neither
/// neighbour in the list refers to the same object (invariant 3). False
/// for an empty slot.
pub fn is_final<S: SlotStore + ?Sized>(store: &S, at: SlotAddr) -> bool {
    if at == NO_SLOT {
        return false;
    }
    let slot = store.read(at);
    if slot.is_empty() {
        return false;
    }
    let shares = |n: SlotAddr| n != NO_SLOT && same_object_as(&slot.cap, &store.read(n).cap);
    !shares(slot.mdb.prev) && !shares(slot.mdb.next)
}

/// Empties the non-empty slot `at` and unlinks it; its descendants become
/// its parent's. Reports whether it was the last capability to its object
/// (the kernel has finalised the object before calling this when it is).
///
/// The next slot inherits `first_badged`: when a badged capability goes,
/// its same-badge children must not become the children of a later mint
/// of that badge.
pub fn remove<S: SlotStore + ?Sized>(store: &mut S, at: SlotAddr) -> Result<Removed, MdbError> {
    let slot = occupied(store, at)?;
    let is_final = is_final(store, at);
    let MdbNode {
        prev,
        next,
        first_badged,
        ..
    } = slot.mdb;
    set_next(store, prev, next);
    if next != NO_SLOT {
        let mut n = store.read(next);
        n.mdb.prev = prev;
        n.mdb.first_badged |= first_badged;
        store.write(next, n);
    }
    store.write(at, Slot::EMPTY);
    Ok(Removed {
        cap: slot.cap,
        is_final,
    })
}

/// The first descendant of the capability at `at`: the next slot, if it
/// is a child. Revoke removes it, one per step, until this is None.
pub fn first_descendant<S: SlotStore + ?Sized>(store: &S, at: SlotAddr) -> Option<SlotAddr> {
    if at == NO_SLOT {
        return None;
    }
    let slot = store.read(at);
    let next = slot.mdb.next;
    if slot.is_empty() || next == NO_SLOT {
        return None;
    }
    is_mdb_parent_of(&slot, &store.read(next)).then_some(next)
}

/// Whether the capability at `at` has descendants.
pub fn has_children<S: SlotStore + ?Sized>(store: &S, at: SlotAddr) -> bool {
    first_descendant(store, at).is_some()
}

#[cfg(test)]
mod tests;
