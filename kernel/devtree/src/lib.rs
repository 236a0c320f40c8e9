//! Hardware facts for Tessera from the flattened device tree (FDT).
//!
//! QEMU `virt` (and firmware on real boards) passes the physical address of
//! a device tree blob in `x0`. The kernel reads the blob's size with
//! [`header_total_size`], makes a slice of it, and calls [`parse`], which
//! returns a [`Platform`]: memory, reserved ranges, CPUs, the PL011 UART,
//! the GICv3, the architected timer, PSCI, virtio-mmio devices, the initrd
//! and the command line.
//!
//! Everything here runs with no allocator and never panics, whatever the
//! bytes: [`parse`] first checks the header and every token of the
//! structure block (so that the `fdt` crate, which panics on malformed
//! trees, is only ever handed a well-formed one), then walks the tree once.
//! Facts that are missing or malformed come out as `None` or are skipped;
//! lists longer than their capacity keep their first entries.
//!
//! Two valid but rare features are refused with [`Error::Unsupported`]:
//! `FDT_NOP` tokens and nesting deeper than [`MAX_DEPTH`] levels.

#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

mod bootargs;
mod cells;
mod chosen;
mod collect;
mod error;
mod header;
mod irq;
mod platform;
mod structure;
#[cfg(test)]
mod testutil;
mod tree;

pub use bootargs::bootarg;
pub use error::Error;
pub use header::header_total_size;
pub use platform::{Conduit, Cpu, Device, GicV3, Platform, Psci, PsciVersion, Region, Timer, Uart};
pub use structure::MAX_DEPTH;

/// Parses the device tree blob `dtb` into the facts the kernel needs.
///
/// `dtb` may be longer than the blob (the header's `totalsize` is used), but
/// not shorter.
pub fn parse(dtb: &[u8]) -> Result<Platform<'_>, Error> {
    let blocks = header::Blocks::read(dtb)?;
    structure::check(blocks.structure, blocks.strings)?;
    let fdt = fdt::Fdt::new(blocks.dtb).map_err(|_| Error::BadHeader)?;
    let root = fdt.all_nodes().next().ok_or(Error::Malformed)?;
    Ok(collect::platform(root, blocks.reservations()))
}
