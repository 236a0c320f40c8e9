//! The Tessera boot archive: a cpio "newc" archive.
//!
//! QEMU hands the archive to the kernel with `-initrd`; the kernel lists its
//! entries and later loads them, and the host tool `xtask` writes it.
//!
//! Reading is `no_std` and allocation-free: [`Archive::parse`] checks every
//! header, name, data range and the trailer once, after which listing
//! ([`Archive::entries`]) and lookup ([`Archive::get`]) cannot fail. Writing
//! ([`write()`]) needs the `std` feature.
//!
//! # Format
//!
//! Each entry is a 110-byte header of ASCII text (the magic `070701` and
//! thirteen 8-digit hexadecimal fields), then the NUL-terminated name padded
//! to a multiple of 4 bytes, then the data padded to a multiple of 4 bytes.
//! Padding is measured from the start of the archive. The entry named
//! `TRAILER!!!` ends the archive; bytes after it are ignored.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod archive;
mod error;
mod header;
#[cfg(any(test, feature = "std"))]
mod write;

#[cfg(test)]
mod proptests;

pub use archive::{Archive, Entries, Entry};
pub use error::Error;
pub use header::{MAX_NAME_LEN, TRAILER_NAME};
#[cfg(any(test, feature = "std"))]
pub use write::{WriteError, write};
