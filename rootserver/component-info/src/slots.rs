//! The fixed slots of a component's CSpace: one CNode of 2^[`CNODE_BITS`]
//! slots whose guard makes a plain slot number a capability pointer.

/// log2 of the slots of a component's CNode (128: the fixed slots and one
/// per local id).
pub const CNODE_BITS: u8 = 7;

/// The fault endpoint: the rootserver's, badged with the component's
/// index + 1. The kernel sends the component's faults there.
pub const FAULT_ENDPOINT: u64 = 1;

/// The component's own endpoint (Read): it waits here for protected calls
/// and, through the bound notification, for notifications.
pub const ENDPOINT: u64 = 2;

/// The component's own notification (Read), bound to its thread.
pub const NOTIFICATION: u64 = 3;

/// The slot of local id 0; local id `id` is at `FIRST_LOCAL + id`.
pub const FIRST_LOCAL: u64 = 8;

/// The slot holding the capability of local id `id`: a badged notification
/// or endpoint capability for the sending end of a channel, the IRQHandler
/// for an interrupt (the receiving end of a channel needs none).
pub const fn local(id: u8) -> u64 {
    FIRST_LOCAL + id as u64
}

const _: () = assert!(FIRST_LOCAL + crate::MAX_LOCAL_IDS as u64 <= 1 << CNODE_BITS);
