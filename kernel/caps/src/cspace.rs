//! CSpace addressing: finding the slot a capability pointer names.
//!
//! A CSpace is a tree of CNodes (seL4's guarded page table). A lookup
//! resolves the low `depth` bits of a capability pointer, most significant
//! first. At each CNode the next `guard_bits` bits must equal its guard and
//! the `radix_bits` after them index its slots. Each level consumes at
//! least one bit (a CNode's radix is at least 1), so a walk ends within 64
//! levels.
//!
//! Two modes differ in what happens when bits remain and the slot reached
//! does not hold a CNode:
//! - [`LookupMode::Capability`] (system calls, depth 64): the walk ends
//!   there and that slot is the result, with the bits left reported;
//! - [`LookupMode::Slot`] (CNode invocation arguments with an explicit
//!   depth): the walk must consume exactly `depth` bits, else
//!   `DepthMismatch`.

use tessera_abi::{LookupFailure, WORD_BITS};

use crate::cap::{Cap, guard_fits, low_mask};
use crate::error::SyscallError;
use crate::slot::{SlotAddr, SlotStore};

/// How many bits of a capability pointer to resolve: 1 to 64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Depth(u8);

impl Depth {
    /// The whole word: what system calls resolve.
    pub const WORD: Depth = Depth(WORD_BITS);

    /// A depth argument, if it is in `1..=64`.
    pub const fn new(bits: u64) -> Option<Depth> {
        if bits >= 1 && bits <= WORD_BITS as u64 {
            Some(Depth(bits as u8))
        } else {
            None
        }
    }

    /// A depth argument of an invocation; `RangeError` 1..=64 otherwise.
    pub fn parse(bits: u64) -> Result<Depth, SyscallError> {
        Depth::new(bits).ok_or(SyscallError::range(1, u64::from(WORD_BITS)))
    }

    /// The number of bits.
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// What a walk does when bits remain at a slot that holds no CNode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupMode {
    /// Stop there: that slot is the result (system-call lookups).
    Capability,
    /// Fail with `DepthMismatch`: the bits must be consumed exactly (CNode
    /// invocation arguments).
    Slot,
}

/// The slot a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The slot.
    pub slot: SlotAddr,
    /// Bits of the pointer not used (only in [`LookupMode::Capability`]).
    pub bits_left: u8,
}

/// A failed lookup, as the kernel reports it in a `FailedLookup` error or
/// a capability fault.
///
/// `details` by kind:
/// - `InvalidRoot`, `MissingCapability`: none;
/// - `GuardMismatch`: the bits found where the guard was expected (all the
///   remaining bits when fewer remain than the guard's size), and the
///   guard's size;
/// - `DepthMismatch`: the bits the CNode would resolve (its guard and
///   radix; 0 when the walk reached a slot without a CNode), and 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupError {
    /// What went wrong.
    pub kind: LookupFailure,
    /// Bits of the pointer not yet resolved when it went wrong.
    pub bits_left: u8,
    /// See the type's documentation.
    pub details: [u64; 2],
}

impl LookupError {
    const fn new(kind: LookupFailure, bits_left: u8, details: [u64; 2]) -> LookupError {
        LookupError {
            kind,
            bits_left,
            details,
        }
    }
}

/// A CNode capability's lookup fields, for CNodes a walk can use.
struct Level {
    paddr: u64,
    radix_bits: u8,
    guard_bits: u8,
    guard: u64,
}

impl Level {
    /// The CNode in `cap`, if it is one with a radix of at least 1 and a
    /// valid guard; anything else ends a walk like a non-CNode would.
    fn of(cap: &Cap) -> Option<Level> {
        match *cap {
            Cap::CNode {
                paddr,
                radix_bits,
                guard_bits,
                guard,
            } if radix_bits >= 1 && guard_fits(radix_bits, guard_bits, guard) => Some(Level {
                paddr,
                radix_bits,
                guard_bits,
                guard,
            }),
            _ => None,
        }
    }
}

/// `width` bits of `word` ending just below bit `top` (bits
/// `top - width .. top`); 0 when the range is empty or invalid.
fn bits_below(word: u64, top: u8, width: u8) -> u64 {
    let Some(shift) = top.checked_sub(width) else {
        return 0;
    };
    word.checked_shr(u32::from(shift)).unwrap_or(0) & low_mask(width)
}

/// Resolves the low `depth` bits of `cptr` starting at the CNode `root`.
/// `slot_of(cnode_paddr, index)` is the address of slot `index` of the
/// CNode at `cnode_paddr`; `store` gives the slots' capabilities.
///
/// Errors: `InvalidRoot` when `root` is no CNode; `GuardMismatch` when the
/// next bits differ from a guard (or fewer remain than its size);
/// `DepthMismatch` when fewer bits remain than a CNode's guard and radix,
/// or, in [`LookupMode::Slot`], when bits remain at a slot without a CNode.
pub fn resolve<S, F>(
    root: &Cap,
    cptr: u64,
    depth: Depth,
    mode: LookupMode,
    store: &S,
    slot_of: F,
) -> Result<Resolved, LookupError>
where
    S: SlotStore + ?Sized,
    F: Fn(u64, u64) -> SlotAddr,
{
    let mut left = depth.bits();
    let Some(mut level) = Level::of(root) else {
        return Err(LookupError::new(LookupFailure::InvalidRoot, left, [0, 0]));
    };
    // Each level consumes at least one bit: at most 64 iterations.
    for _ in 0..WORD_BITS {
        let slot = step(&level, cptr, &mut left, &slot_of)?;
        if left == 0 {
            return Ok(Resolved { slot, bits_left: 0 });
        }
        match (Level::of(&store.read(slot).cap), mode) {
            (Some(next), _) => level = next,
            (None, LookupMode::Capability) => {
                return Ok(Resolved {
                    slot,
                    bits_left: left,
                });
            }
            (None, LookupMode::Slot) => {
                return Err(LookupError::new(LookupFailure::DepthMismatch, left, [0, 0]));
            }
        }
    }
    // Unreachable with radix ≥ 1; an error rather than a panic all the same.
    Err(LookupError::new(LookupFailure::DepthMismatch, left, [0, 0]))
}

/// Resolves one level: checks the guard and the bits left, then consumes
/// guard and radix and returns the slot they name.
fn step<F: Fn(u64, u64) -> SlotAddr>(
    level: &Level,
    cptr: u64,
    left: &mut u8,
    slot_of: &F,
) -> Result<SlotAddr, LookupError> {
    let bits_left = *left;
    let found = bits_below(cptr, bits_left, level.guard_bits.min(bits_left));
    if level.guard_bits > bits_left || found != level.guard {
        let details = [found, u64::from(level.guard_bits)];
        return Err(LookupError::new(
            LookupFailure::GuardMismatch,
            bits_left,
            details,
        ));
    }
    let level_bits = level.guard_bits.saturating_add(level.radix_bits);
    let Some(rest) = bits_left.checked_sub(level_bits) else {
        let details = [u64::from(level_bits), 0];
        return Err(LookupError::new(
            LookupFailure::DepthMismatch,
            bits_left,
            details,
        ));
    };
    let index = bits_below(
        cptr,
        bits_left.saturating_sub(level.guard_bits),
        level.radix_bits,
    );
    *left = rest;
    Ok(slot_of(level.paddr, index))
}

/// [`resolve`] in [`LookupMode::Capability`] at depth 64, as system calls
/// look up the capability they invoke, also requiring the slot to hold a
/// capability: `MissingCapability` (with the bits left) when it is empty.
pub fn lookup_cap<S, F>(
    root: &Cap,
    cptr: u64,
    store: &S,
    slot_of: F,
) -> Result<(SlotAddr, Cap), LookupError>
where
    S: SlotStore + ?Sized,
    F: Fn(u64, u64) -> SlotAddr,
{
    let r = resolve(
        root,
        cptr,
        Depth::WORD,
        LookupMode::Capability,
        store,
        slot_of,
    )?;
    let cap = store.read(r.slot).cap;
    if cap.is_null() {
        return Err(LookupError::new(
            LookupFailure::MissingCapability,
            r.bits_left,
            [0, 0],
        ));
    }
    Ok((r.slot, cap))
}

#[cfg(test)]
mod tests;
