//! AArch64 translation tables for Tessera.
//!
//! The crate covers stage 1 of the EL2&0 regime (HCR_EL2.E2H = 1,
//! TGE = 1) and stage 2 of the EL1&0 regime (guests' IPA spaces), both
//! with a 4 KiB granule, 48-bit input addresses and four levels of table
//! (0 to 3). It is split in layers:
//!
//! - [`PhysAddr`], [`VirtAddr`]: address newtypes.
//! - [`Descriptor`], [`Level`], [`PageTable`]: the regime-independent
//!   descriptor layer. Pure functions that encode and decode one entry; the
//!   kernel uses them directly for user VSpaces built one level at a time.
//! - [`Attributes`], [`MemoryType`], [`MAIR_EL2`]: what a stage-1 leaf means.
//! - [`Regime`]: how a regime turns its attributes into leaf bits:
//!   [`El20`] (stage 1) and [`Stage2`], with [`Stage2Attributes`] and the
//!   VTCR_EL2/VTTBR_EL2 values ([`vtcr_el2`], [`vttbr_el2`]).
//! - [`Mapper`]: a walker that maps, unmaps and translates ranges in a tree
//!   of tables reached through a [`TableAllocator`].
//!
//! # Barriers and TLB maintenance
//!
//! The crate contains no assembly and performs no barriers or TLB
//! maintenance. It only writes descriptors with ordinary stores, and never
//! replaces a valid descriptor with another valid one, so no
//! break-before-make sequence is needed inside it. The caller must:
//!
//! - after [`Mapper::map`]: `DSB ISHST` before the new mappings are used
//!   (and `ISB` if they are used by the same CPU's instruction fetch);
//! - after [`Mapper::unmap`]: `DSB ISHST`, `TLBI` for each unmapped page or
//!   block (or the whole ASID/VMID), `DSB ISH`, `ISB`;
//! - before a freshly built tree is installed in `TTBRn_EL2`: `DSB ISHST`,
//!   then `ISB` after writing the register.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]

mod addr;
mod attributes;
mod descriptor;
mod mapper;
mod regime;
mod stage2;
mod table;

pub use addr::{ADDRESS_BITS, PAGE_SIZE, PhysAddr, VirtAddr};
pub use attributes::{Access, AttributeError, Attributes, MAIR_EL2, MemoryType};
pub use descriptor::{Descriptor, DescriptorKind, LEAF_ATTRIBUTE_MASK, Level};
pub use mapper::{MapError, Mapper, Translation, VaRange};
pub use regime::{El20, Regime};
pub use stage2::{Stage2, Stage2Attributes, vtcr_el2, vttbr_el2};
pub use table::{ENTRIES_PER_TABLE, PageTable, TableAllocator};
