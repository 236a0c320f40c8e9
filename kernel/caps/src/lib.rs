//! Tessera's capabilities, as far as they need no hardware.
//!
//! The kernel keeps capabilities in CNode slots and lends them to this crate
//! through [`SlotStore`]; everything here is plain logic, tested on the host:
//!
//! - [`cap`]: the [`Cap`] value and its 32-byte encoding;
//! - [`slot`]: a slot (capability + derivation-tree node), its 64-byte
//!   encoding and the [`SlotStore`] trait;
//! - [`mod@derive`]: what Copy, Mint and Mutate make of a capability, and the
//!   relations ([`same_region_as`], [`is_mdb_parent_of`], …) the
//!   derivation tree is built from;
//! - [`mdb`]: the capability derivation tree: insert, move, swap, remove,
//!   and the per-step queries Revoke and Delete use;
//! - [`delete`]: deleting a capability in bounded steps, with zombies for
//!   CNodes and TCBs that still hold capabilities;
//! - [`untyped`]: where Retype puts new objects;
//! - [`cspace`]: resolving a capability pointer to a slot.
//!
//! The model is seL4's (non-MCS); where Tessera differs, the item's
//! documentation says so and why. Nothing here panics on any input: every
//! operation on data uses checked arithmetic, every loop is bounded by a
//! constant, and errors are values the kernel turns into replies.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![cfg_attr(
    not(test),
    deny(
        clippy::arithmetic_side_effects,
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod cap;
pub mod cspace;
pub mod delete;
pub mod derive;
pub mod error;
pub mod mdb;
pub mod raw;
pub mod slot;
pub mod untyped;

pub use cap::{Cap, DecodeError, FrameSize, Mapping, PtMapping, TCB_SLOT_COUNT, ZombieKind};
pub use cspace::{Depth, LookupError, LookupMode, Resolved, lookup_cap, resolve};
pub use derive::{
    copy, derive, is_mdb_parent_of, is_revocable, mask_rights, mint, mutate, same_object_as,
    same_region_as,
};
pub use error::SyscallError;
pub use mdb::{MdbError, Removed};
pub use slot::{MdbNode, NO_SLOT, Slot, SlotAddr, SlotStore};
pub use untyped::{RETYPE_FAN_OUT_LIMIT, RetypeError, RetypePlan, new_object_cap, plan_retype};
