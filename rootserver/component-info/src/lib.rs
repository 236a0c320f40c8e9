//! What a native component is told about itself, and the conventions the
//! rootserver and the component runtime (`tessera-rt`'s `component`
//! module) share:
//!
//! - [`info`]: the read-only *component-info page* the rootserver maps at
//!   [`layout::INFO_VADDR`]: the component's name, its channels and
//!   interrupts (with their local ids and capability slots), its memory
//!   regions and devices (with their addresses), its heap and its console.
//!   [`encode`] writes it (no allocator needed); [`InfoPage`] checks it
//!   once and reads it in place.
//! - [`layout`]: where the image, the mappings the rootserver places, the
//!   heap, the stack, the IPC buffer and the info page go in a component's
//!   address space, and [`layout::AddressSpace`], which checks fixed
//!   addresses against them and picks free ones.
//! - [`slots`]: the fixed slots of a component's CSpace.
//! - [`badge`]: how a component tells its events apart: a notification
//!   on channel `id` sets bit `id` of the word it receives; a protected
//!   call on channel `id` arrives with badge `bit 63 | id`.
//!
//! `docs/components.md` explains the model for component writers.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod badge;
pub mod info;
pub mod layout;
pub mod slots;

#[cfg(test)]
mod proptests;

pub use info::{
    AreaInfo, AreaKind, ChannelInfo, ChannelKind, ComponentInfo, DecodeError, EncodeError,
    InfoPage, InterruptInfo, Rights, Role, encode,
};

/// Local ids are 0 to 62: a component has at most this many channels and
/// interrupts together. Bit 63 of a badge marks a protected call
/// ([`badge::PROTECTED_CALL`]), so it cannot name a notification channel.
pub const MAX_LOCAL_IDS: usize = 63;

/// The most memory regions and devices mapped into one component.
pub const MAX_AREAS: usize = 32;

/// The page size (4 KiB).
pub const PAGE_SIZE: u64 = 4096;

/// Virtual addresses are below 2^48.
pub const ADDRESS_LIMIT: u64 = 1 << 48;
