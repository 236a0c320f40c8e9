//! A host table allocator and tree inspection for the mapper tests.
#![allow(dead_code)]

use std::ptr::NonNull;

use tessera_paging::{
    DescriptorKind, Level, Mapper, PAGE_SIZE, PageTable, PhysAddr, TableAllocator, VaRange,
};

/// The fake physical address of the first table.
pub const TABLE_BASE: u64 = 0x0000_7000_0000_0000;

/// The base of the upper half.
pub const UPPER: u64 = 0xffff_0000_0000_0000;

pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// Boxed tables at fake physical addresses `TABLE_BASE + n * 4 KiB`, with a
/// limit on how many may be allocated.
pub struct TestAllocator {
    tables: Vec<NonNull<PageTable>>,
    capacity: usize,
}

impl TestAllocator {
    pub fn new(capacity: usize) -> Self {
        Self {
            tables: Vec::new(),
            capacity,
        }
    }

    pub fn unlimited() -> Self {
        Self::new(usize::MAX)
    }

    /// Tables allocated so far.
    pub fn allocated(&self) -> usize {
        self.tables.len()
    }

    /// Allows `extra` more tables than are allocated now.
    pub fn allow(&mut self, extra: usize) {
        self.capacity = self.tables.len() + extra;
    }

    /// Allocates a root table, whatever the capacity.
    pub fn new_root(&mut self) -> PhysAddr {
        let capacity = self.capacity;
        self.allow(1);
        let root = self.allocate_table().expect("root table");
        self.capacity = capacity;
        root
    }

    /// The table at `pa`, for inspection and for building tables by hand.
    pub fn table_mut(&mut self, pa: PhysAddr) -> &mut PageTable {
        let mut ptr = self.table_ptr(pa);
        // SAFETY: the pointer comes from `Box::into_raw` and stays valid
        // until `drop`; `&mut self` keeps any other reference from living.
        unsafe { ptr.as_mut() }
    }

    fn table(&self, pa: PhysAddr) -> &PageTable {
        let ptr = self.table_ptr(pa);
        // SAFETY: as in `table_mut`; `&self` excludes writers.
        unsafe { ptr.as_ref() }
    }

    /// Leaves in the tree under `root`, counted by level 0 to 3.
    pub fn leaf_counts(&self, root: PhysAddr) -> [usize; 4] {
        let mut counts = [0; 4];
        self.count(root, Level::L0, &mut counts);
        counts
    }

    fn count(&self, table: PhysAddr, level: Level, counts: &mut [usize; 4]) {
        for descriptor in self.table(table).entries() {
            match descriptor.kind(level) {
                DescriptorKind::Invalid => {}
                DescriptorKind::Table(next) => self.count(next, level.next().unwrap(), counts),
                DescriptorKind::Block(_) | DescriptorKind::Page(_) => counts[level as usize] += 1,
            }
        }
    }
}

// SAFETY: every table is a fresh zeroed `Box<PageTable>` (4 KiB-aligned by
// its type) owned by the allocator until drop, its fake address is below
// 2^48, and `table_ptr` returns the pointer `Box::into_raw` gave for it.
// The tests only build trees from these tables.
unsafe impl TableAllocator for TestAllocator {
    fn allocate_table(&mut self) -> Option<PhysAddr> {
        if self.tables.len() >= self.capacity {
            return None;
        }
        let table = Box::new(PageTable::zeroed());
        self.tables.push(NonNull::from(Box::leak(table)));
        Some(PhysAddr::new(
            TABLE_BASE + (self.tables.len() as u64 - 1) * PAGE_SIZE,
        ))
    }

    fn table_ptr(&self, pa: PhysAddr) -> NonNull<PageTable> {
        let index = (pa.as_u64() - TABLE_BASE) / PAGE_SIZE;
        self.tables[usize::try_from(index).unwrap()]
    }
}

impl Drop for TestAllocator {
    fn drop(&mut self) {
        for table in self.tables.drain(..) {
            // SAFETY: each pointer came from `Box::leak` and is dropped once.
            drop(unsafe { Box::from_raw(table.as_ptr()) });
        }
    }
}

/// A mapper over `root`, which must come from `allocator`.
pub fn mapper(
    allocator: &mut TestAllocator,
    root: PhysAddr,
    range: VaRange,
) -> Mapper<'_, TestAllocator> {
    // SAFETY: `root` and every table linked under it were allocated by
    // `allocator`, which resolves them; the mapper borrows it exclusively.
    unsafe { Mapper::new(allocator, root, range) }
}
