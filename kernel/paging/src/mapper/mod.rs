//! The walker: maps, unmaps and translates ranges in a tree of tables.
//!
//! Every operation first checks its arguments and the tree without writing
//! anything, then performs the change (the decode/perform split of the
//! kernel's invocations). Only [`Mapper::map`] can fail after it started
//! writing, when a table allocation fails; it then removes what it wrote.

mod walk;

use core::fmt;
use core::marker::PhantomData;

use crate::addr::{ADDRESS_LIMIT, PAGE_SIZE, PhysAddr, VirtAddr};
use crate::attributes::Attributes;
use crate::descriptor::{LEAF_ATTRIBUTE_MASK, Level};
use crate::regime::{El20, Regime};
use crate::table::TableAllocator;

/// Which half of the virtual address space a tree translates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VaRange {
    /// Bits 63:48 all zero; translated through TTBR0_EL2.
    Lower,
    /// Bits 63:48 all one; translated through TTBR1_EL2.
    Upper,
}

impl VaRange {
    /// The lowest virtual address in this half.
    pub const fn base(self) -> VirtAddr {
        match self {
            VaRange::Lower => VirtAddr::new(0),
            VaRange::Upper => VirtAddr::new(0xffff_0000_0000_0000),
        }
    }

    /// Whether `va` lies in this half.
    pub const fn contains(self, va: VirtAddr) -> bool {
        self.offset(va).is_some()
    }

    /// The offset of `va` from [`VaRange::base`], if `va` is in this half.
    const fn offset(self, va: VirtAddr) -> Option<u64> {
        let offset = va.as_u64().wrapping_sub(self.base().as_u64());
        if offset < ADDRESS_LIMIT {
            Some(offset)
        } else {
            None
        }
    }

    /// The virtual address at `offset` (below 2^48) from the base.
    const fn address(self, offset: u64) -> VirtAddr {
        VirtAddr::new(self.base().as_u64() | offset)
    }
}

/// Why a [`Mapper`] operation failed. Nothing was changed when it returns
/// an error, except for empty tables that `map` allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// The size was zero.
    ZeroSize,
    /// The virtual address, physical address or size was not a multiple of
    /// 4 KiB.
    Misaligned,
    /// The virtual address is not in the mapper's half, the range runs past
    /// the end of that half, or the physical range does not fit in 48 bits.
    OutOfRange,
    /// The attributes cannot be encoded (for example executable device
    /// memory).
    BadAttributes,
    /// Part of the range is already mapped; `va` is the first such address.
    AlreadyMapped {
        /// The first mapped address in the range.
        va: VirtAddr,
    },
    /// Part of the range is not mapped; `va` is the first such address.
    NotMapped {
        /// The first unmapped address in the range.
        va: VirtAddr,
    },
    /// The range covers only part of a block; `va` is the first address in
    /// the range inside that block.
    PartialBlock {
        /// The first address of the range inside the cut block.
        va: VirtAddr,
    },
    /// The allocator had no table left (or gave an unusable address).
    OutOfTables,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::ZeroSize => f.write_str("zero-sized range"),
            MapError::Misaligned => f.write_str("address or size not 4 KiB-aligned"),
            MapError::OutOfRange => f.write_str("address range out of range"),
            MapError::BadAttributes => f.write_str("attributes cannot be encoded"),
            MapError::AlreadyMapped { va } => write!(f, "{va:?} is already mapped"),
            MapError::NotMapped { va } => write!(f, "{va:?} is not mapped"),
            MapError::PartialBlock { va } => write!(f, "range cuts the block at {va:?}"),
            MapError::OutOfTables => f.write_str("out of translation tables"),
        }
    }
}

impl core::error::Error for MapError {}

/// The result of translating one virtual address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation<T = Attributes> {
    /// The physical address the virtual address translates to.
    pub pa: PhysAddr,
    /// The attributes of the leaf that maps it.
    pub attributes: T,
    /// The level of that leaf: 1 (1 GiB block), 2 (2 MiB block) or 3 (page).
    pub level: Level,
}

impl<T> Translation<T> {
    /// The size of the leaf that maps the address.
    pub const fn size(&self) -> u64 {
        self.level.entry_size()
    }
}

/// A 4 KiB-aligned, non-empty range of offsets into the mapper's half.
#[derive(Clone, Copy)]
struct Span {
    start: u64,
    end: u64,
}

/// Maps, unmaps and translates in the tree of tables rooted at `root`.
///
/// The mapper writes descriptors only; see the crate documentation for the
/// barriers and TLB maintenance the caller must add. Tables emptied by
/// `unmap` stay in the tree and are reused by later `map` calls.
pub struct Mapper<'a, A: TableAllocator, R: Regime = El20> {
    allocator: &'a mut A,
    root: PhysAddr,
    range: VaRange,
    regime: PhantomData<R>,
}

impl<'a, A: TableAllocator> Mapper<'a, A> {
    /// A stage-1 EL2&0 mapper for the tree rooted at the level-0 table at
    /// `root`, translating the half `range`.
    ///
    /// # Safety
    ///
    /// As for [`Mapper::with_regime`].
    pub unsafe fn new(allocator: &'a mut A, root: PhysAddr, range: VaRange) -> Self {
        // SAFETY: the caller upholds `with_regime`'s contract, stated above
        // as this function's own.
        unsafe { Self::with_regime(allocator, root, range) }
    }
}

impl<'a, A: TableAllocator, R: Regime> Mapper<'a, A, R> {
    /// A mapper of regime `R` for the tree rooted at the level-0 table at
    /// `root`, translating the half `range`.
    ///
    /// # Safety
    ///
    /// `root` must be the physical address of a level-0 [`crate::PageTable`]
    /// that `allocator.table_ptr` resolves, and so must every table
    /// reachable from it through table descriptors. For `'a`, nothing else
    /// may hold a reference into those tables or write them (the hardware
    /// table walker may read them).
    pub unsafe fn with_regime(allocator: &'a mut A, root: PhysAddr, range: VaRange) -> Self {
        Self {
            allocator,
            root,
            range,
            regime: PhantomData,
        }
    }

    /// The physical address of the root table.
    pub fn root(&self) -> PhysAddr {
        self.root
    }

    /// The half of the address space this mapper translates.
    pub fn va_range(&self) -> VaRange {
        self.range
    }

    /// Maps `[va, va + size)` to `[pa, pa + size)` with `attributes`, using
    /// 1 GiB and 2 MiB blocks wherever `va`, `pa` and the remaining size
    /// allow them, and 4 KiB pages elsewhere.
    ///
    /// All or nothing: on error no mapping was added.
    ///
    /// # Errors
    ///
    /// In the order they are checked: [`MapError::ZeroSize`],
    /// [`MapError::Misaligned`], [`MapError::OutOfRange`],
    /// [`MapError::BadAttributes`], [`MapError::AlreadyMapped`] (with the
    /// first mapped address), and [`MapError::OutOfTables`], after which
    /// empty tables allocated by this call may remain in the tree.
    pub fn map(
        &mut self,
        va: VirtAddr,
        pa: PhysAddr,
        size: u64,
        attributes: R::Attributes,
    ) -> Result<(), MapError> {
        let span = self.map_span(va, pa, size)?;
        let bits = encode::<R>(&attributes)?;
        if let Some(offset) = self.find_mapped(self.root, Level::L0, span.start, span.end) {
            return Err(MapError::AlreadyMapped {
                va: self.range.address(offset),
            });
        }
        let written = self.map_range(self.root, Level::L0, span, pa.as_u64(), bits);
        written.map_err(|stop| {
            self.clear_range(self.root, Level::L0, span.start, stop.at);
            stop.error
        })
    }

    /// Unmaps `[va, va + size)`, which must be covered exactly by existing
    /// blocks and pages.
    ///
    /// All or nothing: on error no mapping was removed.
    ///
    /// # Errors
    ///
    /// In the order they are checked: [`MapError::ZeroSize`],
    /// [`MapError::Misaligned`], [`MapError::OutOfRange`], then
    /// [`MapError::NotMapped`] or [`MapError::PartialBlock`] for the first
    /// offending address.
    pub fn unmap(&mut self, va: VirtAddr, size: u64) -> Result<(), MapError> {
        let span = self.span(va, size, true)?;
        self.check_unmap(self.root, Level::L0, span.start, span.end)?;
        self.clear_range(self.root, Level::L0, span.start, span.end);
        Ok(())
    }

    /// Translates `va`, or returns `None` if it is outside the mapper's
    /// half, not mapped, or mapped with attributes `R` cannot express.
    pub fn translate(&self, va: VirtAddr) -> Option<Translation<R::Attributes>> {
        self.walk(self.range.offset(va)?)
    }

    /// Checks the arguments of `map`, up to and including the range.
    fn map_span(&self, va: VirtAddr, pa: PhysAddr, size: u64) -> Result<Span, MapError> {
        let span = self.span(va, size, pa.is_page_aligned())?;
        match pa.as_u64().checked_add(size) {
            Some(end) if end <= ADDRESS_LIMIT => Ok(span),
            _ => Err(MapError::OutOfRange),
        }
    }

    /// Checks a virtual range; `aligned` says whether the other arguments
    /// are 4 KiB-aligned.
    fn span(&self, va: VirtAddr, size: u64, aligned: bool) -> Result<Span, MapError> {
        if size == 0 {
            return Err(MapError::ZeroSize);
        }
        if !(aligned && va.is_page_aligned() && size.is_multiple_of(PAGE_SIZE)) {
            return Err(MapError::Misaligned);
        }
        let start = self.range.offset(va).ok_or(MapError::OutOfRange)?;
        match start.checked_add(size) {
            Some(end) if end <= ADDRESS_LIMIT => Ok(Span { start, end }),
            _ => Err(MapError::OutOfRange),
        }
    }
}

/// The leaf attribute bits for `attributes` in regime `R`.
fn encode<R: Regime>(attributes: &R::Attributes) -> Result<u64, MapError> {
    match R::encode(attributes) {
        Ok(bits) if bits & !LEAF_ATTRIBUTE_MASK == 0 => Ok(bits),
        _ => Err(MapError::BadAttributes),
    }
}
