//! Retype planning: where in an Untyped the objects of an `UntypedRetype`
//! go, and the checks that decide whether they can.
//!
//! An Untyped allocates like a stack that is only ever reset as a whole:
//! its watermark (`free_index`) counts the bytes used from the start.
//! Objects are placed from the watermark up, each aligned to its size.
//! Deleting objects does not lower the watermark; when the Untyped has no
//! children left, all its objects are gone and the next Retype starts
//! again from 0.
//!
//! New objects must be zero. The kernel zeroes their memory before it
//! makes them, a bounded amount per kernel entry: a Retype that needs more
//! records how far it got in the Untyped's `zeroed_to` mark (RAM from the
//! watermark up to the mark is zero) and is restarted, and the next entry
//! carries on from the mark ([`RetypePlan::dirty_range`],
//! [`RetypePlan::partly_zeroed`]).

use tessera_abi::{Error, ObjectType};

use crate::cap::{Cap, FrameSize, pow2};
use crate::error::SyscallError;

/// The most objects one Retype may make, so that the kernel's work per
/// call is bounded. (seL4's `CONFIG_RETYPE_FAN_OUT_LIMIT`; user code
/// should see it in the ABI crate.)
pub const RETYPE_FAN_OUT_LIMIT: u64 = 256;

/// Index of the object-type argument of `UntypedRetype` (MR0).
pub const ARG_TYPE: u64 = 0;

/// Where the objects of a Retype go, as [`plan_retype`] decided for one
/// Untyped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetypePlan {
    /// The objects' type.
    pub object_type: ObjectType,
    /// The caller's size argument (CNode slots or Untyped bytes, as bits).
    pub size_bits: u8,
    /// Address of the first object; object `i` is at
    /// `first_paddr + i << object_bits`.
    pub first_paddr: u64,
    /// log2 of each object's size.
    pub object_bits: u8,
    /// Number of objects, `1..=RETYPE_FAN_OUT_LIMIT`.
    pub count: u64,
    /// The Untyped's watermark after the Retype (bytes from its start).
    pub new_free_index: u64,
    /// The Untyped had no children: the kernel resets it (zeroes up to its
    /// old watermark) before making the objects.
    pub reset: bool,
    /// Whether the objects are in device memory.
    pub is_device: bool,
}

/// Why a Retype is refused: the error and its detail words, as the kernel
/// replies them.
pub type RetypeError = SyscallError;

/// The object type named by MR0 of `UntypedRetype`; `InvalidArgument` 0
/// when there is none.
pub fn parse_object_type(word: u64) -> Result<ObjectType, RetypeError> {
    ObjectType::from_u64(word).ok_or(SyscallError::invalid_argument(ARG_TYPE))
}

/// The allowed `size_bits` for a variable-size type, as read from the ABI
/// ([`ObjectType::object_bits`]); None for fixed-size types.
pub fn size_bits_range(t: ObjectType) -> Option<(u8, u8)> {
    if !t.has_variable_size() {
        return None;
    }
    let valid = |b: &u8| t.object_bits(*b).is_some();
    // The ABI's sizes are below 64: an object of 2^64 bytes cannot exist.
    let min = (0u8..64).find(valid)?;
    let max = (0u8..64).rev().find(valid)?;
    Some((min, max))
}

/// Plans `count` objects of `object_type` (with the caller's `size_bits`)
/// in `untyped`. `has_children` says whether the Untyped's capability has
/// children in the derivation tree ([`crate::mdb::has_children`]).
///
/// Checks, in order, with the error the kernel replies:
/// 1. `untyped` is an Untyped capability, else `InvalidCapability`;
/// 2. the size is valid for a variable-size type, else `RangeError` with
///    the type's size range (fixed-size types ignore it);
/// 3. `count` in `1..=RETYPE_FAN_OUT_LIMIT`, else `RangeError`;
/// 4. device memory only for types allowed in it, else `InvalidArgument` 0
///    (the type);
/// 5. all objects fit between the (aligned) start and the end of the
///    Untyped, else `NotEnoughMemory` with the bytes from the start (the
///    watermark, or 0 when it resets) to the end.
pub fn plan_retype(
    untyped: &Cap,
    has_children: bool,
    object_type: ObjectType,
    size_bits: u64,
    count: u64,
) -> Result<RetypePlan, RetypeError> {
    let Cap::Untyped {
        paddr,
        size_bits: ut_bits,
        free_index,
        is_device,
        ..
    } = *untyped
    else {
        return Err(SyscallError::plain(Error::InvalidCapability));
    };
    let (arg_bits, object_bits) = object_size(object_type, size_bits)?;
    if count == 0 || count > RETYPE_FAN_OUT_LIMIT {
        return Err(SyscallError::range(1, RETYPE_FAN_OUT_LIMIT));
    }
    if is_device && !object_type.allowed_in_device_memory() {
        return Err(SyscallError::invalid_argument(ARG_TYPE));
    }
    let start = if has_children { free_index } else { 0 };
    let (offset, end) = place(start, ut_bits, object_bits, count)?;
    Ok(RetypePlan {
        object_type,
        size_bits: arg_bits,
        first_paddr: paddr
            .checked_add(offset)
            .ok_or(SyscallError::not_enough_memory(0))?,
        object_bits,
        count,
        new_free_index: end,
        reset: !has_children,
        is_device,
    })
}

/// The size argument as a byte and the object's size in bits.
fn object_size(t: ObjectType, size_bits: u64) -> Result<(u8, u8), RetypeError> {
    let Some((min, max)) = size_bits_range(t) else {
        return t
            .object_bits(0)
            .map(|b| (0, b))
            .ok_or(SyscallError::invalid_argument(ARG_TYPE));
    };
    let out_of_range = SyscallError::range(u64::from(min), u64::from(max));
    let arg = u8::try_from(size_bits).map_err(|_| out_of_range)?;
    t.object_bits(arg).map(|b| (arg, b)).ok_or(out_of_range)
}

/// Places `count` objects of 2^object_bits bytes from byte `start` of a
/// 2^ut_bits region: the first object's offset and the end of the last.
fn place(start: u64, ut_bits: u8, object_bits: u8, count: u64) -> Result<(u64, u64), RetypeError> {
    let size = pow2(ut_bits).unwrap_or(0);
    let available = size.saturating_sub(u128::from(start));
    let no_room = SyscallError::not_enough_memory(u64::try_from(available).unwrap_or(u64::MAX));
    let object = pow2(object_bits).ok_or(no_room)?;
    // Round the start up to a multiple of the object's size.
    let offset = u128::from(start)
        .div_ceil(object)
        .checked_mul(object)
        .ok_or(no_room)?;
    let end = object
        .checked_mul(u128::from(count))
        .and_then(|n| n.checked_add(offset))
        .ok_or(no_room)?;
    if end > size {
        return Err(no_room);
    }
    let offset = u64::try_from(offset).map_err(|_| no_room)?;
    let end = u64::try_from(end).map_err(|_| no_room)?;
    Ok((offset, end))
}

impl RetypePlan {
    /// Address of object `index` (below `count`).
    pub fn object_paddr(&self, index: u64) -> Option<u64> {
        if index >= self.count {
            return None;
        }
        let offset = index.checked_shl(u32::from(self.object_bits))?;
        self.first_paddr.checked_add(offset)
    }

    /// The capability to object `index` that Retype puts in the
    /// destination slot: full rights (endpoints: all four; notifications:
    /// read and write; frames: read and write), no badge, no guard, not
    /// mapped; an Untyped with watermark 0 and the parent's device flag.
    pub fn cap_for(&self, index: u64) -> Option<Cap> {
        let paddr = self.object_paddr(index)?;
        new_object_cap(self.object_type, paddr, self.size_bits, self.is_device)
    }

    /// The part of the objects' memory, as offsets from the Untyped's
    /// start, that is not known to be zero and must be zeroed before the
    /// objects are made: None when there is none, and always for device
    /// memory (never zeroed) and for Untyped objects (which zero their own
    /// memory when they are used).
    pub fn dirty_range(&self, untyped: &Cap) -> Option<(u64, u64)> {
        let Cap::Untyped {
            paddr, is_device, ..
        } = *untyped
        else {
            return None;
        };
        if is_device || self.object_type == ObjectType::Untyped {
            return None;
        }
        let offset = self.first_paddr.checked_sub(paddr)?;
        let from = offset.max(self.clean_to(untyped));
        (from < self.new_free_index).then_some((from, self.new_free_index))
    }

    /// How far from the start the Untyped is known to be zero for this
    /// Retype: its mark, unless it resets over old objects (then nothing
    /// is known).
    fn clean_to(&self, untyped: &Cap) -> u64 {
        match *untyped {
            Cap::Untyped {
                free_index,
                zeroed_to,
                ..
            } if !(self.reset && free_index > 0) => zeroed_to,
            _ => 0,
        }
    }

    /// The Untyped's capability when a kernel entry has zeroed the dirty
    /// range up to `to` and stops there: the watermark at the objects'
    /// start (raised over alignment padding, or lowered to it on a reset,
    /// where nothing lives) and the zeroed mark at `to`, so that the next
    /// entry's [`dirty_range`](Self::dirty_range) starts at `to`.
    pub fn partly_zeroed(&self, untyped: &Cap, to: u64) -> Cap {
        let start = match *untyped {
            Cap::Untyped { paddr, .. } => self.first_paddr.saturating_sub(paddr),
            _ => 0,
        };
        with_marks(untyped, start, to)
    }

    /// The Untyped's capability after the Retype: its watermark moved to
    /// the end of the new objects, and its zeroed mark kept where it still
    /// describes zero memory above them (always 0 for device memory).
    pub fn updated_untyped(&self, untyped: &Cap) -> Cap {
        let zeroed_to = match *untyped {
            Cap::Untyped {
                is_device: false, ..
            } => self.clean_to(untyped).max(self.new_free_index),
            _ => 0,
        };
        with_marks(untyped, self.new_free_index, zeroed_to)
    }
}

/// `untyped` with its watermark and zeroed mark replaced (any other
/// capability unchanged).
fn with_marks(untyped: &Cap, free_index: u64, zeroed_to: u64) -> Cap {
    match *untyped {
        Cap::Untyped {
            paddr,
            size_bits,
            is_device,
            ..
        } => Cap::Untyped {
            paddr,
            size_bits,
            is_device,
            free_index,
            zeroed_to,
        },
        other => other,
    }
}

/// The original capability to a new object of `object_type` at `paddr`
/// (see [`RetypePlan::cap_for`]); None when `size_bits` is invalid for the
/// type. The kernel also uses it for the capabilities it makes at boot.
pub fn new_object_cap(
    object_type: ObjectType,
    paddr: u64,
    size_bits: u8,
    is_device: bool,
) -> Option<Cap> {
    use tessera_abi::Rights;
    Some(match object_type {
        ObjectType::Untyped => {
            ObjectType::Untyped.object_bits(size_bits)?;
            Cap::Untyped {
                paddr,
                size_bits,
                free_index: 0,
                zeroed_to: 0,
                is_device,
            }
        }
        ObjectType::Tcb => Cap::Tcb { paddr },
        ObjectType::Endpoint => Cap::Endpoint {
            paddr,
            badge: 0,
            rights: Rights::ALL,
        },
        ObjectType::Notification => Cap::Notification {
            paddr,
            badge: 0,
            rights: Rights::READ_WRITE,
        },
        ObjectType::CNode => {
            ObjectType::CNode.object_bits(size_bits)?;
            Cap::CNode {
                paddr,
                radix_bits: size_bits,
                guard_bits: 0,
                guard: 0,
            }
        }
        ObjectType::Frame4K | ObjectType::Frame2M | ObjectType::Frame1G => Cap::Frame {
            paddr,
            size: FrameSize::from_object_type(object_type)?,
            rights: Rights::READ_WRITE,
            is_device,
            mapping: None,
        },
        ObjectType::PageTable => Cap::PageTable {
            paddr,
            mapping: None,
        },
        ObjectType::VSpace => Cap::VSpace { paddr, asid: None },
    })
}

#[cfg(test)]
mod tests;
