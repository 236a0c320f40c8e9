//! Looking up capabilities in a thread's CSpace.

use tessera_abi::{Error, LookupFailure};
use tessera_caps::{
    Cap, Depth, LookupError, LookupMode, SlotAddr, SlotStore, SyscallError, lookup_cap, resolve,
};

use crate::object::cnode::{KernelSlots, slot_addr};
use crate::object::tcb::{self, Tcb};

/// The thread's CSpace root capability.
pub fn root(thread: u64) -> Cap {
    KernelSlots
        .read(tcb::slot_addr(thread, tcb::slot::CSPACE))
        .cap
}

/// The error a failed lookup gives: FailedLookup, MR0 = 1 (a source
/// lookup), MR1 = the failure kind.
pub fn lookup_error(e: LookupError) -> SyscallError {
    SyscallError {
        error: Error::FailedLookup,
        details: [1, e.kind as u64],
    }
}

/// Looks up the capability `cptr` names in `thread`'s CSpace (all 64 bits,
/// as system calls do); it must not be empty.
pub fn lookup(thread: u64, cptr: u64) -> Result<(SlotAddr, Cap), SyscallError> {
    lookup_cap(&root(thread), cptr, &KernelSlots, slot_addr).map_err(lookup_error)
}

/// Resolves `index` to exactly `depth` bits below the CNode cap `root` (an
/// invocation's slot argument); the slot may be empty.
pub fn resolve_slot(root: &Cap, index: u64, depth: u64) -> Result<SlotAddr, SyscallError> {
    let depth = Depth::parse(depth)?;
    resolve(
        root,
        index,
        depth,
        LookupMode::Slot,
        &KernelSlots,
        slot_addr,
    )
    .map(|r| r.slot)
    .map_err(lookup_error)
}

/// The capability in `slot`.
pub fn cap_at(slot: SlotAddr) -> Cap {
    KernelSlots.read(slot).cap
}

/// A lookup failure for a missing capability.
pub fn missing() -> SyscallError {
    SyscallError {
        error: Error::FailedLookup,
        details: [1, LookupFailure::MissingCapability as u64],
    }
}

/// Looks up extra cap `i` of `t`'s message (its CPtr in the IPC buffer),
/// with the same rules as `lookup`; TruncatedMessage if the message
/// carries fewer caps.
pub fn extra_cap(thread: u64, t: &Tcb, i: usize) -> Result<(SlotAddr, Cap), SyscallError> {
    if i >= usize::from(crate::msg::info(t).extra_caps) {
        return Err(SyscallError::plain(Error::TruncatedMessage));
    }
    let cptr = crate::msg::ipc_buffer(t)
        .and_then(|b| b.caps_or_badges.get(i).copied())
        .ok_or(SyscallError::plain(Error::TruncatedMessage))?;
    lookup(thread, cptr)
}

/// InvalidCapability for extra cap `i` (MR0 = i + 1).
pub fn wrong_extra_cap(i: usize) -> SyscallError {
    SyscallError {
        error: Error::InvalidCapability,
        details: [i as u64 + 1, 0],
    }
}
