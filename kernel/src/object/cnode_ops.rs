//! CNode invocations: copy, mint, move, mutate, delete, revoke, rotate,
//! save caller. The invoked CNode cap is the root that destination (and
//! single-slot) arguments are resolved in.

use tessera_abi::{Error, Label, Rights};
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, derive, mdb};

use super::cnode::KernelSlots;
use super::delete;
use super::tcb;
use crate::cspace;
use crate::invocation::{Invoker, Outcome};

/// A checked CNode operation.
enum Op {
    Insert {
        src: SlotAddr,
        dest: SlotAddr,
        cap: Cap,
    },
    Move {
        src: SlotAddr,
        dest: SlotAddr,
        cap: Cap,
    },
    Delete {
        slot: SlotAddr,
    },
    Revoke {
        slot: SlotAddr,
    },
    Rotate {
        dest: SlotAddr,
        pivot: SlotAddr,
        src: SlotAddr,
        pivot_cap: Cap,
        src_cap: Cap,
    },
    SaveCaller {
        dest: SlotAddr,
    },
}

pub fn invoke(invoker: &Invoker, root: &Cap) -> Result<Outcome, SyscallError> {
    let op = decode(invoker, root)?;
    Ok(perform(invoker, op))
}

fn decode(inv: &Invoker, root: &Cap) -> Result<Op, SyscallError> {
    let label = inv.label.ok_or(SyscallError::illegal_operation())?;
    match label {
        Label::CNodeDelete | Label::CNodeRevoke => {
            let slot = cspace::resolve_slot(root, inv.mr(0)?, inv.mr(1)?)?;
            Ok(if label == Label::CNodeDelete {
                Op::Delete { slot }
            } else {
                Op::Revoke { slot }
            })
        }
        Label::CNodeCopy | Label::CNodeMint | Label::CNodeMove | Label::CNodeMutate => {
            let dest = empty_slot(root, inv.mr(0)?, inv.mr(1)?)?;
            let (src, src_cap) = source(inv, 0, inv.mr(2)?, inv.mr(3)?)?;
            if src == dest {
                return Err(SyscallError::plain(Error::DeleteFirst));
            }
            let cap = match label {
                Label::CNodeCopy => derive::copy(&src_cap, Rights::from_word(inv.mr(4)?))?,
                Label::CNodeMint => {
                    derive::mint(&src_cap, Rights::from_word(inv.mr(4)?), inv.mr(5)?)?
                }
                Label::CNodeMutate => mutate_or_keep(&src_cap, inv.mr(4)?)?,
                _ => src_cap,
            };
            if matches!(label, Label::CNodeCopy | Label::CNodeMint) {
                mdb::check_insert(&KernelSlots, src, dest, &cap)
                    .map_err(|e| SyscallError::plain(e.error()))?;
                Ok(Op::Insert { src, dest, cap })
            } else {
                mdb::check_move(&KernelSlots, src, dest, &cap)
                    .map_err(|e| SyscallError::plain(e.error()))?;
                Ok(Op::Move { src, dest, cap })
            }
        }
        Label::CNodeRotate => {
            let (pivot, pivot_cap) = source(inv, 0, inv.mr(2)?, inv.mr(3)?)?;
            let (src, src_cap) = source(inv, 1, inv.mr(5)?, inv.mr(6)?)?;
            let dest = cspace::resolve_slot(root, inv.mr(0)?, inv.mr(1)?)?;
            if pivot == src || pivot == dest {
                return Err(SyscallError::illegal_operation());
            }
            if dest != src && !KernelSlots.read(dest).is_empty() {
                return Err(SyscallError::plain(Error::DeleteFirst));
            }
            let pivot_cap = mutate_or_keep(&pivot_cap, inv.mr(4)?)?;
            let src_cap = mutate_or_keep(&src_cap, inv.mr(7)?)?;
            Ok(Op::Rotate {
                dest,
                pivot,
                src,
                pivot_cap,
                src_cap,
            })
        }
        Label::CNodeSaveCaller => Ok(Op::SaveCaller {
            dest: empty_slot(root, inv.mr(0)?, inv.mr(1)?)?,
        }),
        _ => Err(SyscallError::illegal_operation()),
    }
}

/// Mutate's data: a CNode's new guard; for any other capability 0 (it is
/// moved unchanged), as a badge cannot be changed in place.
fn mutate_or_keep(cap: &Cap, data: u64) -> Result<Cap, SyscallError> {
    if data == 0 && !matches!(cap, Cap::CNode { .. }) {
        return Ok(*cap);
    }
    derive::mutate(cap, data)
}

/// A destination slot: resolved and empty.
fn empty_slot(root: &Cap, index: u64, depth: u64) -> Result<SlotAddr, SyscallError> {
    let slot = cspace::resolve_slot(root, index, depth)?;
    if KernelSlots.read(slot).is_empty() {
        Ok(slot)
    } else {
        Err(SyscallError::plain(Error::DeleteFirst))
    }
}

/// A source slot in the CNode given as extra cap `cap_index`: resolved and
/// holding a capability.
fn source(
    inv: &Invoker,
    cap_index: usize,
    index: u64,
    depth: u64,
) -> Result<(SlotAddr, Cap), SyscallError> {
    let (_, root) = inv.cap(cap_index)?;
    if !matches!(root, Cap::CNode { .. }) {
        return Err(cspace::wrong_extra_cap(cap_index));
    }
    let slot = cspace::resolve_slot(&root, index, depth)?;
    let cap = KernelSlots.read(slot).cap;
    if cap.is_null() {
        return Err(cspace::missing());
    }
    if matches!(cap, Cap::Zombie { .. }) {
        // An object being destroyed: its last cap moves only in the
        // kernel's hands.
        return Err(SyscallError::illegal_operation());
    }
    Ok((slot, cap))
}

fn perform(inv: &Invoker, op: Op) -> Outcome {
    match op {
        Op::Insert { src, dest, cap } => {
            let _ = mdb::insert(&mut KernelSlots, src, dest, cap);
        }
        Op::Move { src, dest, cap } => {
            let _ = mdb::move_cap(&mut KernelSlots, src, dest, cap);
        }
        // Preempted after DELETE_BUDGET steps: the call runs again and
        // carries on from the zombie (Delete) or the descendants left
        // (Revoke).
        Op::Delete { slot } => {
            let mut budget = delete::DELETE_BUDGET;
            if delete::delete(slot, &mut budget).is_err() {
                return inv.restart();
            }
        }
        Op::Revoke { slot } => {
            let mut budget = delete::DELETE_BUDGET;
            if delete::revoke(slot, &mut budget).is_err() {
                return inv.restart();
            }
        }
        Op::Rotate {
            dest,
            pivot,
            src,
            pivot_cap,
            src_cap,
        } => {
            if dest == src {
                let _ = mdb::swap_mutated(&mut KernelSlots, pivot, pivot_cap, src, src_cap);
            } else {
                let _ = mdb::move_cap(&mut KernelSlots, pivot, dest, pivot_cap);
                let _ = mdb::move_cap(&mut KernelSlots, src, pivot, src_cap);
            }
        }
        Op::SaveCaller { dest } => {
            let caller = tcb::slot_addr(inv.thread, tcb::slot::CALLER);
            let cap = KernelSlots.read(caller).cap;
            if !cap.is_null() {
                let _ = mdb::move_cap(&mut KernelSlots, caller, dest, cap);
            }
        }
    }
    Outcome::ok()
}
