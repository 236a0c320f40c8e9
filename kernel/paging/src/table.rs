//! A translation table and the allocator that supplies them.

use core::ptr::NonNull;

use crate::addr::PhysAddr;
use crate::descriptor::Descriptor;

/// Descriptors in one table.
pub const ENTRIES_PER_TABLE: usize = 512;

/// One 4 KiB translation table, at any level.
#[derive(Clone, Debug, PartialEq, Eq)]
#[repr(C, align(4096))]
pub struct PageTable {
    entries: [Descriptor; ENTRIES_PER_TABLE],
}

impl PageTable {
    /// A table of invalid descriptors.
    pub const fn zeroed() -> Self {
        Self {
            entries: [Descriptor::INVALID; ENTRIES_PER_TABLE],
        }
    }

    /// The table's descriptors.
    pub const fn entries(&self) -> &[Descriptor; ENTRIES_PER_TABLE] {
        &self.entries
    }

    /// The table's descriptors, for writing.
    pub const fn entries_mut(&mut self) -> &mut [Descriptor; ENTRIES_PER_TABLE] {
        &mut self.entries
    }
}

impl Default for PageTable {
    fn default() -> Self {
        Self::zeroed()
    }
}

/// Supplies the tables a [`crate::Mapper`] needs and lets it reach them.
///
/// # Safety
///
/// An implementation must guarantee that:
///
/// - [`allocate_table`](Self::allocate_table) returns the physical address
///   of a 4 KiB-aligned [`PageTable`] below 2^48 whose entries are all
///   invalid, that is not otherwise in use, and that
///   [`table_ptr`](Self::table_ptr) resolves;
/// - for the address of every table it allocated, and of every table that
///   a `Mapper` may reach (including tables built before this allocator
///   existed, for example in early boot), `table_ptr` returns a pointer
///   that is aligned, valid for reads and writes of a whole `PageTable`,
///   and that no other live reference aliases while a `Mapper` borrows the
///   allocator.
pub unsafe trait TableAllocator {
    /// Allocates a zeroed table, or returns `None` if none is left.
    fn allocate_table(&mut self) -> Option<PhysAddr>;

    /// A pointer, usable now, to the table at physical address `pa`.
    fn table_ptr(&self, pa: PhysAddr) -> NonNull<PageTable>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        assert_eq!(size_of::<PageTable>(), 4096);
        assert_eq!(align_of::<PageTable>(), 4096);
        assert_eq!(size_of::<Descriptor>(), 8);
    }

    #[test]
    fn zeroed_is_invalid() {
        let mut table = PageTable::zeroed();
        assert!(table.entries().iter().all(|d| !d.is_valid()));
        table.entries_mut()[3] = Descriptor::from_bits(1);
        assert!(table.entries()[3].is_valid());
        assert_ne!(table, PageTable::default());
    }
}
