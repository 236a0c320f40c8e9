//! Tessera's system description.
//!
//! A TOML file under `systems/` describes the system the rootserver builds:
//! components, memory regions and their mappings, channels, interrupts and
//! device memory. `docs/system-description.md` is the format reference.
//!
//! The crate has two halves:
//!
//! - **Host** (feature `std`, on by default): [`load`] or [`parse`] read the
//!   file into a [`Description`], [`validate`] checks every rule and returns
//!   all broken rules at once, or the resolved [`System`], and [`encode`]
//!   packs that for the boot archive. [`build_image`] does all three.
//! - **Target** (`no_std`, no allocator): [`decode`] reads the packed bytes
//!   into a [`System`] that borrows its names from them. Decoding checks the
//!   magic, the version, the whole encoding and every index, and never
//!   panics, so the rootserver can index the tables without further checks.
//!
//! # Packed form
//!
//! [`MAGIC`], then [`VERSION`] as a little-endian `u16`, then the [`System`]
//! serialized with `postcard` (see [`packed`] for the layout).

#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(any(test, feature = "std"))]
extern crate std;

pub mod packed;

#[cfg(feature = "std")]
mod error;
#[cfg(feature = "std")]
mod source;
#[cfg(feature = "std")]
mod validate;

#[cfg(test)]
mod proptests;

pub use packed::{
    Channel, ChannelKind, Component, DecodeError, Device, End, Interrupt, MAGIC, Mapping, Region,
    Rights, Role, System, Trigger, VERSION, decode,
};
pub use tessera_component_info::{MAX_AREAS, MAX_LOCAL_IDS};

#[cfg(feature = "std")]
pub use error::{Entry, Error, Errors, LoadError, Rule};
#[cfg(feature = "std")]
pub use packed::encode;
#[cfg(feature = "std")]
pub use source::{Description, load, parse};
#[cfg(feature = "std")]
pub use validate::{DEFAULT_CORES, Options, build_image, validate};

/// The page size every size and address is a multiple of (4 KiB).
pub const PAGE_SIZE: u64 = 4096;

/// Physical and virtual addresses are below 2^48.
pub const ADDRESS_LIMIT: u64 = 1 << 48;

/// The rootserver's own priority; components run strictly below it.
pub const ROOTSERVER_PRIORITY: u8 = 255;

/// The longest name of a component, region, channel, device or program.
pub const MAX_NAME_LEN: usize = 32;

/// The largest stack a component may ask for (1 MiB).
pub const MAX_STACK_SIZE: u64 = 1 << 20;

/// The largest heap a component may ask for (256 MiB).
pub const MAX_HEAP_SIZE: u64 = 256 << 20;

/// The most components a description may hold.
pub const MAX_COMPONENTS: usize = 32;
/// The most memory regions a description may hold.
pub const MAX_REGIONS: usize = 64;
/// The most mappings of memory regions, over all regions.
pub const MAX_MAPPINGS: usize = 128;
/// The most channels a description may hold.
pub const MAX_CHANNELS: usize = 64;
/// The most interrupts a description may hold.
pub const MAX_INTERRUPTS: usize = 64;
/// The most device-memory entries a description may hold.
pub const MAX_DEVICES: usize = 32;
