//! Derivation rules: what CNode Copy, Mint and Mutate make of a capability,
//! and the relations the derivation tree is built from.
//!
//! Everything here is a pure function of capability values; the tree
//! itself is in [`crate::mdb`].

use tessera_abi::Rights;

use crate::cap::{Cap, guard_fits, low_mask, pow2};
use crate::error::SyscallError;
use crate::slot::Slot;

/// The capability CNode Copy and Mint put in the new slot (before rights
/// and data are applied).
///
/// - Frame: the same frame, unmapped. A mapping belongs to one capability:
///   unmapping goes through the capability that mapped.
/// - PageTable and VSpace: only when mapped (a VSpace: when it has an
///   ASID), else `IllegalOperation`. A copy of an unmapped table would let
///   two owners map one table, each believing it is the only mapping.
/// - Reply and IrqControl: `IllegalOperation`. A reply capability is only
///   moved; IrqControl exists once.
/// - Zombie: `IllegalOperation`. It is the last reference to an object
///   being destroyed.
/// - Untyped: the same region with the same watermark. The copy becomes a
///   child of the source and the source is marked full when the copy is
///   inserted ([`crate::mdb::insert`]), so only the copy can retype until
///   it is deleted; the insert refuses an Untyped source that already has
///   children (`RevokeFirst`), whose objects would otherwise look like the
///   copy's.
/// - Null: `IllegalOperation`.
/// - Everything else: unchanged.
pub fn derive(cap: &Cap) -> Result<Cap, SyscallError> {
    match *cap {
        Cap::Null | Cap::Reply { .. } | Cap::IrqControl | Cap::Zombie { .. } => {
            Err(SyscallError::illegal_operation())
        }
        Cap::Frame {
            mapping: Some(_),
            paddr,
            size,
            rights,
            is_device,
        } => Ok(Cap::Frame {
            paddr,
            size,
            rights,
            is_device,
            mapping: None,
        }),
        Cap::PageTable { mapping: None, .. } | Cap::VSpace { asid: None, .. } => {
            Err(SyscallError::illegal_operation())
        }
        other => Ok(other),
    }
}

/// The capability with its rights intersected with `mask`: rights only
/// shrink. Capabilities without rights are returned unchanged; a reply
/// capability loses `can_grant` unless the mask has Grant.
pub fn mask_rights(cap: &Cap, mask: Rights) -> Cap {
    let mut out = *cap;
    match &mut out {
        Cap::Endpoint { rights, .. }
        | Cap::Notification { rights, .. }
        | Cap::Frame { rights, .. } => {
            *rights = rights.intersection(mask);
        }
        Cap::Reply { can_grant, .. } => *can_grant = *can_grant && mask.contains(Rights::GRANT),
        _ => {}
    }
    out
}

/// CNode Copy: [`derive()`], then [`mask_rights`].
pub fn copy(cap: &Cap, rights_mask: Rights) -> Result<Cap, SyscallError> {
    derive(cap).map(|c| mask_rights(&c, rights_mask))
}

/// CNode Mint: [`derive()`], apply `data`, then [`mask_rights`].
///
/// `data` means:
/// - Endpoint, Notification: the badge. An unbadged source takes `data` as
///   its badge (0 leaves it unbadged). A badged source cannot be re-badged:
///   `data` must equal its badge, else `IllegalOperation` (seL4 refuses
///   any mint of a badged capability; silently keeping the old badge
///   would hide a mistake, so only the harmless case is allowed).
/// - CNode: the guard, see [`cnode_guard_from_data`].
/// - Everything else: ignored.
pub fn mint(cap: &Cap, rights_mask: Rights, data: u64) -> Result<Cap, SyscallError> {
    let derived = derive(cap)?;
    let updated = update_data(&derived, data, true)?;
    Ok(mask_rights(&updated, rights_mask))
}

/// CNode Mutate (a move that applies `data`): the data rules of [`mint`]
/// without a rights change and without [`derive()`] (the capability moves,
/// it is not copied, so Reply and unmapped tables may be mutated).
///
/// An endpoint or notification keeps its badge: `data` must equal it, else
/// `IllegalOperation`. A moved capability keeps its place in the tree, and
/// a changed badge would break the badge rule that tree relies on (an
/// unbadged original's children would stop being its children). seL4
/// refuses this too.
///
/// Null and Zombie: `IllegalOperation` (a zombie never moves at user
/// level).
pub fn mutate(cap: &Cap, data: u64) -> Result<Cap, SyscallError> {
    if matches!(cap, Cap::Null | Cap::Zombie { .. }) {
        return Err(SyscallError::illegal_operation());
    }
    update_data(cap, data, false)
}

/// Applies Mint/Mutate data; `may_badge` says whether an unbadged
/// endpoint or notification may take a badge.
fn update_data(cap: &Cap, data: u64, may_badge: bool) -> Result<Cap, SyscallError> {
    let mut out = *cap;
    match &mut out {
        Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } => {
            if *badge == 0 && may_badge {
                *badge = data;
            } else if *badge != data {
                return Err(SyscallError::illegal_operation());
            }
        }
        Cap::CNode {
            radix_bits,
            guard_bits,
            guard,
            ..
        } => {
            (*guard_bits, *guard) = cnode_guard_from_data(*radix_bits, data)?;
        }
        _ => {}
    }
    Ok(out)
}

/// Bits 0–5 of Mint/Mutate data for a CNode: the guard size.
pub const GUARD_SIZE_BITS: u8 = 6;

/// The guard `(size, value)` that Mint/Mutate data sets on a CNode of
/// `radix_bits`: bits 0–5 are the guard size, bits 6 and up its value.
///
/// `RangeError` when the guard and radix together exceed 64 bits (details:
/// the allowed guard sizes `0..=64 - radix_bits`) or when the value does
/// not fit in the size (details: the allowed values `0..=2^size - 1`).
/// seL4 silently truncates the value; Tessera refuses, since a truncated
/// guard addresses different slots from the ones the caller meant.
pub fn cnode_guard_from_data(radix_bits: u8, data: u64) -> Result<(u8, u64), SyscallError> {
    let size = (data & low_mask(GUARD_SIZE_BITS)) as u8;
    let value = data.checked_shr(u32::from(GUARD_SIZE_BITS)).unwrap_or(0);
    let max_size = 64u8.saturating_sub(radix_bits);
    if size > max_size {
        return Err(SyscallError::range(0, u64::from(max_size)));
    }
    if !guard_fits(radix_bits, size, value) {
        return Err(SyscallError::range(0, low_mask(size)));
    }
    Ok((size, value))
}

/// Whether a capability copied (or minted) from `source` is an original
/// that can have children of its own:
///
/// - Endpoint, Notification: when the badge differs from the source's (a
///   mint gave it a badge; also an endpoint not derived from one);
/// - IrqHandler: when made from IrqControl;
/// - Untyped: always. A copy of an Untyped is a child of its source and
///   the parent of what is retyped from it; were it not revocable, its
///   objects could not be its children and it would forget them.
/// - Everything else: no (a plain copy).
///
/// Capabilities that Retype makes are originals whatever this says; the
/// kernel inserts them with [`crate::mdb::insert_new_object`].
pub fn is_revocable(new: &Cap, source: &Cap) -> bool {
    match new {
        Cap::Endpoint { badge, .. } => {
            !matches!(source, Cap::Endpoint { badge: b, .. } if b == badge)
        }
        Cap::Notification { badge, .. } => {
            !matches!(source, Cap::Notification { badge: b, .. } if b == badge)
        }
        Cap::IrqHandler { .. } => matches!(source, Cap::IrqControl),
        Cap::Untyped { .. } => true,
        _ => false,
    }
}

/// Whether two capabilities are of the same variant.
fn same_kind(a: &Cap, b: &Cap) -> bool {
    core::mem::discriminant(a) == core::mem::discriminant(b)
}

/// The bytes `[base, end)` of a capability's object, if it refers to
/// memory.
fn region(cap: &Cap) -> Option<(u128, u128)> {
    let base = u128::from(cap.paddr()?);
    let size = pow2(cap.object_size_bits()?)?;
    Some((base, base.checked_add(size)?))
}

/// Whether `b` lies inside what `a` covers:
///
/// - an Untyped covers every capability to memory inside its region
///   (objects, frames, tables, ASID pools, smaller or equal Untypeds);
/// - IrqControl covers itself and every IrqHandler;
/// - AsidControl covers itself and every ASID pool;
/// - reply capabilities cover those to the same TCB;
/// - a zombie covers nothing: it never has children;
/// - everything else covers the capabilities to its own object
///   ([`same_object_as`]); Null covers nothing.
pub fn same_region_as(a: &Cap, b: &Cap) -> bool {
    match (a, b) {
        (Cap::Untyped { .. }, _) => match (region(a), region(b)) {
            (Some((a0, a1)), Some((b0, b1))) => a0 <= b0 && b1 <= a1,
            _ => false,
        },
        (Cap::IrqControl, _) => matches!(b, Cap::IrqControl | Cap::IrqHandler { .. }),
        (Cap::AsidControl, _) => matches!(b, Cap::AsidControl | Cap::AsidPool { .. }),
        (Cap::Zombie { .. }, _) => false,
        _ => same_object_as(a, b),
    }
}

/// Whether `a` and `b` refer to the same object: the same variant at the
/// same address; CNodes also the same radix, frames the same size,
/// Untypeds the same size. Reply capabilities: the same TCB; IRQ handlers:
/// the same line; the control capabilities: each only itself; zombies:
/// the same object (there is only ever one zombie to an object, and no
/// other capability beside it). Null is no object.
pub fn same_object_as(a: &Cap, b: &Cap) -> bool {
    match (*a, *b) {
        (
            Cap::Untyped {
                paddr: p,
                size_bits: s,
                ..
            },
            Cap::Untyped {
                paddr: q,
                size_bits: t,
                ..
            },
        ) => p == q && s == t,
        (
            Cap::CNode {
                paddr: p,
                radix_bits: r,
                ..
            },
            Cap::CNode {
                paddr: q,
                radix_bits: s,
                ..
            },
        ) => p == q && r == s,
        (
            Cap::Frame {
                paddr: p, size: s, ..
            },
            Cap::Frame {
                paddr: q, size: t, ..
            },
        ) => p == q && s == t,
        (Cap::Reply { tcb: p, .. }, Cap::Reply { tcb: q, .. }) => p == q,
        (Cap::IrqHandler { irq: p }, Cap::IrqHandler { irq: q }) => p == q,
        (Cap::IrqControl, Cap::IrqControl) | (Cap::AsidControl, Cap::AsidControl) => true,
        (
            Cap::Zombie {
                paddr: p, kind: k, ..
            },
            Cap::Zombie {
                paddr: q, kind: l, ..
            },
        ) => p == q && k == l,
        (Cap::Null, _)
        | (Cap::Untyped { .. }, _)
        | (Cap::CNode { .. }, _)
        | (Cap::Frame { .. }, _)
        | (Cap::Zombie { .. }, _) => false,
        _ => same_kind(a, b) && a.paddr().is_some() && a.paddr() == b.paddr(),
    }
}

/// Whether `child` (the slot after `parent` in the tree's list) is a
/// descendant of `parent`: the parent is revocable, covers the child
/// ([`same_region_as`]), and for a badged endpoint or notification the
/// child has the same badge and was not badged itself (`first_badged`).
/// An unbadged parent has every capability to its object below it.
pub fn is_mdb_parent_of(parent: &Slot, child: &Slot) -> bool {
    if !parent.mdb.revocable || !same_region_as(&parent.cap, &child.cap) {
        return false;
    }
    match parent.cap {
        Cap::Endpoint { badge, .. } | Cap::Notification { badge, .. } if badge != 0 => {
            child.cap.badge() == Some(badge) && !child.mdb.first_badged
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests;
