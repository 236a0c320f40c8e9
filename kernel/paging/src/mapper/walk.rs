//! The recursive steps of [`Mapper`]'s operations.
//!
//! Every step works on offsets into the mapper's half (below 2^48) and on
//! one table at a time. Recursion is bounded by the four levels and every
//! loop by the 512 entries of a table. Tables are only touched through
//! [`Mapper::load`] and [`Mapper::store`], whose references last for one
//! descriptor, so no reference is held across a recursive call.

use crate::addr::PhysAddr;
use crate::descriptor::{Descriptor, DescriptorKind, Level};
use crate::regime::Regime;
use crate::table::TableAllocator;

use super::{MapError, Mapper, Span, Translation};

/// The part of a range that falls in one entry of a table.
#[derive(Clone, Copy)]
struct Chunk {
    /// The entry's index in its table.
    index: usize,
    /// The first offset the entry covers.
    entry_start: u64,
    /// The part of the range in this entry: `[start, end)`.
    start: u64,
    end: u64,
}

impl Chunk {
    /// Whether the chunk covers the whole entry at `level`.
    fn is_whole_entry(&self, level: Level) -> bool {
        self.start == self.entry_start && self.end - self.start == level.entry_size()
    }

    /// Whether the chunk, mapped to `pa`, can be one leaf at `level`.
    fn fits_leaf(&self, level: Level, pa: u64) -> bool {
        level.allows_leaf() && self.is_whole_entry(level) && pa.is_multiple_of(level.entry_size())
    }

    /// The chunk's range as a span.
    fn span(&self) -> Span {
        Span {
            start: self.start,
            end: self.end,
        }
    }
}

/// Splits `[start, end)`, which is non-empty and lies within one table at
/// `level`, into one chunk per entry, in address order.
fn chunks(level: Level, start: u64, end: u64) -> impl Iterator<Item = Chunk> {
    let size = level.entry_size();
    let table_base = start & !(level.table_span() - 1);
    (level.index(start)..=level.index(end - 1)).map(move |index| {
        let entry_start = table_base + index as u64 * size;
        let entry_end = entry_start + size;
        Chunk {
            index,
            entry_start,
            start: start.max(entry_start),
            end: end.min(entry_end),
        }
    })
}

/// Where a partly performed `map` stopped, and why.
pub(super) struct Stop {
    /// Everything in the range below this offset was mapped by the call.
    pub(super) at: u64,
    pub(super) error: MapError,
}

impl<A: TableAllocator, R: Regime> Mapper<'_, A, R> {
    /// The descriptor at `index` in the table at `table`.
    fn load(&self, table: PhysAddr, index: usize) -> Descriptor {
        let ptr = self.allocator.table_ptr(table);
        // SAFETY: `table` is the root or was read from a table descriptor
        // of the tree, so by the contracts of `Mapper::with_regime` and
        // `TableAllocator`, `ptr` is aligned and valid for reads and no
        // other reference to the table is live; this one ends here.
        let table = unsafe { ptr.as_ref() };
        table.entries()[index]
    }

    /// Writes `descriptor` at `index` in the table at `table`.
    fn store(&mut self, table: PhysAddr, index: usize, descriptor: Descriptor) {
        let mut ptr = self.allocator.table_ptr(table);
        // SAFETY: as in `load`, `ptr` is aligned, valid for writes and not
        // aliased; `&mut self` excludes our own `load` references, and this
        // one ends here.
        let table = unsafe { ptr.as_mut() };
        table.entries_mut()[index] = descriptor;
    }

    /// The first offset in `[start, end)` that is mapped, if any.
    pub(super) fn find_mapped(
        &self,
        table: PhysAddr,
        level: Level,
        start: u64,
        end: u64,
    ) -> Option<u64> {
        chunks(level, start, end).find_map(|chunk| {
            match self.load(table, chunk.index).kind(level) {
                DescriptorKind::Invalid => None,
                DescriptorKind::Table(next) => {
                    self.find_mapped(next, level.next()?, chunk.start, chunk.end)
                }
                DescriptorKind::Block(_) | DescriptorKind::Page(_) => Some(chunk.start),
            }
        })
    }

    /// Checks that `[start, end)` is covered exactly by leaves.
    pub(super) fn check_unmap(
        &self,
        table: PhysAddr,
        level: Level,
        start: u64,
        end: u64,
    ) -> Result<(), MapError> {
        for chunk in chunks(level, start, end) {
            let va = self.range.address(chunk.start);
            match (self.load(table, chunk.index).kind(level), level.next()) {
                (DescriptorKind::Table(next), Some(below)) => {
                    self.check_unmap(next, below, chunk.start, chunk.end)?;
                }
                (DescriptorKind::Block(_) | DescriptorKind::Page(_), _) => {
                    if !chunk.is_whole_entry(level) {
                        return Err(MapError::PartialBlock { va });
                    }
                }
                _ => return Err(MapError::NotMapped { va }),
            }
        }
        Ok(())
    }

    /// Invalidates every leaf that lies wholly within `[start, end)`.
    pub(super) fn clear_range(&mut self, table: PhysAddr, level: Level, start: u64, end: u64) {
        if start >= end {
            return;
        }
        for chunk in chunks(level, start, end) {
            match (self.load(table, chunk.index).kind(level), level.next()) {
                (DescriptorKind::Table(next), Some(below)) => {
                    self.clear_range(next, below, chunk.start, chunk.end);
                }
                (DescriptorKind::Block(_) | DescriptorKind::Page(_), _)
                    if chunk.is_whole_entry(level) =>
                {
                    self.store(table, chunk.index, Descriptor::INVALID);
                }
                _ => {}
            }
        }
    }

    /// Maps `span`, which lies within one table at `level` and is free, to
    /// the physical range starting at `pa`.
    pub(super) fn map_range(
        &mut self,
        table: PhysAddr,
        level: Level,
        span: Span,
        pa: u64,
        bits: u64,
    ) -> Result<(), Stop> {
        for chunk in chunks(level, span.start, span.end) {
            let chunk_pa = pa + (chunk.start - span.start);
            self.map_chunk(table, level, chunk, chunk_pa, bits)?;
        }
        Ok(())
    }

    /// Maps one entry's chunk: a leaf if it fits, else through a table.
    fn map_chunk(
        &mut self,
        table: PhysAddr,
        level: Level,
        chunk: Chunk,
        pa: u64,
        bits: u64,
    ) -> Result<(), Stop> {
        let entry = self.load(table, chunk.index).kind(level);
        let stop = |error| Stop {
            at: chunk.start,
            error,
        };
        if entry == DescriptorKind::Invalid && chunk.fits_leaf(level, pa) {
            let leaf = Descriptor::leaf(level, PhysAddr::new(pa), bits);
            let leaf = leaf.ok_or(stop(MapError::BadAttributes))?;
            self.store(table, chunk.index, leaf);
            return Ok(());
        }
        let (next, below) = self.next_table(table, level, chunk, entry).map_err(stop)?;
        self.map_range(next, below, chunk.span(), pa, bits)
    }

    /// The table below entry `chunk.index` (decoded as `entry`) and its
    /// level; allocated and linked in if the entry is invalid.
    fn next_table(
        &mut self,
        table: PhysAddr,
        level: Level,
        chunk: Chunk,
        entry: DescriptorKind,
    ) -> Result<(PhysAddr, Level), MapError> {
        let already_mapped = MapError::AlreadyMapped {
            va: self.range.address(chunk.start),
        };
        let below = level.next().ok_or(already_mapped)?;
        match entry {
            DescriptorKind::Table(next) => Ok((next, below)),
            DescriptorKind::Invalid => {
                let next = self
                    .allocator
                    .allocate_table()
                    .ok_or(MapError::OutOfTables)?;
                let descriptor = Descriptor::table(next).ok_or(MapError::OutOfTables)?;
                self.store(table, chunk.index, descriptor);
                Ok((next, below))
            }
            DescriptorKind::Block(_) | DescriptorKind::Page(_) => Err(already_mapped),
        }
    }

    /// Walks from the root to the leaf that maps `offset`.
    pub(super) fn walk(&self, offset: u64) -> Option<Translation<R::Attributes>> {
        let mut table = self.root;
        for level in Level::ALL {
            let descriptor = self.load(table, level.index(offset));
            match descriptor.kind(level) {
                DescriptorKind::Invalid => return None,
                DescriptorKind::Table(next) => table = next,
                DescriptorKind::Block(out) | DescriptorKind::Page(out) => {
                    let pa = PhysAddr::new(out.as_u64() | (offset & (level.entry_size() - 1)));
                    let attributes = R::decode(descriptor.attribute_bits())?;
                    return Some(Translation {
                        pa,
                        attributes,
                        level,
                    });
                }
            }
        }
        None
    }
}
