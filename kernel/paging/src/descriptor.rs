//! The descriptor layer: one translation-table entry, independent of the
//! translation regime.
//!
//! With a 4 KiB granule and 48-bit addresses an entry is one of:
//!
//! | level | bits\[1:0\] = 0b11 | bits\[1:0\] = 0b01 |
//! |-------|--------------------|--------------------|
//! | 0     | table              | invalid (no level-0 blocks) |
//! | 1     | table              | 1 GiB block        |
//! | 2     | table              | 2 MiB block        |
//! | 3     | 4 KiB page         | invalid (reserved) |
//!
//! and bit 0 clear means invalid at every level. Table and page descriptors
//! hold an output address in bits 47:12, blocks in bits 47:30 (level 1) or
//! 47:21 (level 2). Leaf attributes live in bits 11:2 and 63:50; what they
//! mean depends on the regime (see [`crate::Regime`]).

use core::fmt;

use crate::addr::{ADDRESS_LIMIT, PAGE_SIZE, PhysAddr};
use crate::table::ENTRIES_PER_TABLE;

/// Bit 0: the descriptor is valid.
const VALID: u64 = 1 << 0;
/// Bit 1: table (levels 0–2) or page (level 3); clear for a block.
const TABLE_OR_PAGE: u64 = 1 << 1;
/// Bits 47:12: the output address of a table or page descriptor.
const OUTPUT_ADDRESS_MASK: u64 = (ADDRESS_LIMIT - 1) & !(PAGE_SIZE - 1);

/// The bits of a leaf descriptor that hold attributes: 11:2 and 63:50.
pub const LEAF_ATTRIBUTE_MASK: u64 = 0xfffc_0000_0000_0ffc;

/// A level of the translation tables, from the root (0) to pages (3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The root: each entry covers 512 GiB and can only be a table.
    L0,
    /// Each entry covers 1 GiB: a table or a block.
    L1,
    /// Each entry covers 2 MiB: a table or a block.
    L2,
    /// Each entry covers 4 KiB: a page.
    L3,
}

impl Level {
    /// Every level, root first.
    pub const ALL: [Level; 4] = [Level::L0, Level::L1, Level::L2, Level::L3];

    /// The lowest virtual-address bit that indexes a table at this level.
    pub const fn shift(self) -> u32 {
        match self {
            Level::L0 => 39,
            Level::L1 => 30,
            Level::L2 => 21,
            Level::L3 => 12,
        }
    }

    /// The bytes covered by one entry at this level.
    pub const fn entry_size(self) -> u64 {
        1 << self.shift()
    }

    /// The bytes covered by a whole table at this level.
    pub const fn table_span(self) -> u64 {
        self.entry_size() * ENTRIES_PER_TABLE as u64
    }

    /// The index into a table at this level for the address `addr`.
    pub const fn index(self, addr: u64) -> usize {
        ((addr >> self.shift()) as usize) & (ENTRIES_PER_TABLE - 1)
    }

    /// The level below this one, or `None` at level 3.
    pub const fn next(self) -> Option<Level> {
        match self {
            Level::L0 => Some(Level::L1),
            Level::L1 => Some(Level::L2),
            Level::L2 => Some(Level::L3),
            Level::L3 => None,
        }
    }

    /// Whether an entry at this level can be a leaf (block or page).
    pub const fn allows_leaf(self) -> bool {
        !matches!(self, Level::L0)
    }
}

/// What a descriptor is, decoded for a given level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorKind {
    /// Not valid, or a reserved encoding (level-0 block, level-3 `0b01`).
    Invalid,
    /// A pointer to the next level's table (levels 0–2).
    Table(PhysAddr),
    /// A 1 GiB (level 1) or 2 MiB (level 2) block at this output address.
    Block(PhysAddr),
    /// A 4 KiB page (level 3) at this output address.
    Page(PhysAddr),
}

/// One translation-table entry.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Descriptor(u64);

impl Descriptor {
    /// The all-zero, invalid descriptor.
    pub const INVALID: Self = Self(0);

    /// Wraps raw descriptor bits.
    pub const fn from_bits(bits: u64) -> Self {
        Self(bits)
    }

    /// The raw descriptor bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether bit 0 (valid) is set. A valid descriptor may still be a
    /// reserved encoding; use [`Descriptor::kind`] to tell.
    pub const fn is_valid(self) -> bool {
        self.0 & VALID != 0
    }

    /// A table descriptor pointing at the table at `pa`, or `None` if `pa`
    /// is not 4 KiB-aligned or does not fit in 48 bits.
    pub const fn table(pa: PhysAddr) -> Option<Self> {
        if pa.as_u64() & !OUTPUT_ADDRESS_MASK != 0 {
            return None;
        }
        Some(Self(pa.as_u64() | TABLE_OR_PAGE | VALID))
    }

    /// A leaf (block or page) at `level` mapping `pa` with the regime's
    /// attribute bits `attributes`. `None` if the level has no leaves
    /// (level 0), `pa` is not aligned to the level's entry size or does not
    /// fit in 48 bits, or `attributes` has bits outside
    /// [`LEAF_ATTRIBUTE_MASK`].
    pub const fn leaf(level: Level, pa: PhysAddr, attributes: u64) -> Option<Self> {
        if !level.allows_leaf()
            || pa.as_u64() & !leaf_address_mask(level) != 0
            || attributes & !LEAF_ATTRIBUTE_MASK != 0
        {
            return None;
        }
        let kind = if matches!(level, Level::L3) {
            TABLE_OR_PAGE
        } else {
            0
        };
        Some(Self(pa.as_u64() | attributes | kind | VALID))
    }

    /// Decodes the descriptor as an entry of a table at `level`.
    pub const fn kind(self, level: Level) -> DescriptorKind {
        let next_level = PhysAddr::new(self.0 & OUTPUT_ADDRESS_MASK);
        match (self.0 & (VALID | TABLE_OR_PAGE), level) {
            (0b11, Level::L3) => DescriptorKind::Page(next_level),
            (0b11, _) => DescriptorKind::Table(next_level),
            (0b01, Level::L1 | Level::L2) => {
                DescriptorKind::Block(PhysAddr::new(self.0 & leaf_address_mask(level)))
            }
            _ => DescriptorKind::Invalid,
        }
    }

    /// The attribute bits of a leaf: the descriptor masked by
    /// [`LEAF_ATTRIBUTE_MASK`].
    pub const fn attribute_bits(self) -> u64 {
        self.0 & LEAF_ATTRIBUTE_MASK
    }
}

impl fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Descriptor({:#018x})", self.0)
    }
}

/// The output-address bits of a leaf at `level`: 47:30, 47:21 or 47:12.
/// Level 0 has no leaves; it gets the page mask.
const fn leaf_address_mask(level: Level) -> u64 {
    match level {
        Level::L1 | Level::L2 => (ADDRESS_LIMIT - 1) & !(level.entry_size() - 1),
        Level::L0 | Level::L3 => OUTPUT_ADDRESS_MASK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ATTRS: u64 = 0x0060_0000_0000_0704;

    #[test]
    fn level_geometry() {
        let sizes = [1 << 39, 1 << 30, 1 << 21, 1 << 12];
        for (level, size) in Level::ALL.into_iter().zip(sizes) {
            assert_eq!(level.entry_size(), size);
            assert_eq!(level.table_span(), size * 512);
        }
        assert_eq!(Level::L0.table_span(), ADDRESS_LIMIT);
        assert_eq!(Level::L0.index(0xffff_ff80_0000_0000), 511);
        assert_eq!(Level::L1.index(0x4000_0000), 1);
        assert_eq!(Level::L2.index(0x3fe0_0000), 511);
        assert_eq!(Level::L3.index(0x1000), 1);
    }

    #[test]
    fn level_next_and_leaves() {
        let next: [Option<Level>; 4] = Level::ALL.map(Level::next);
        assert_eq!(
            next,
            [Some(Level::L1), Some(Level::L2), Some(Level::L3), None]
        );
        let leaves = Level::ALL.map(Level::allows_leaf);
        assert_eq!(leaves, [false, true, true, true]);
    }

    #[test]
    fn table_round_trip_at_every_table_level() {
        let pa = PhysAddr::new(0x0000_8765_4321_f000);
        let table = Descriptor::table(pa).unwrap();
        assert_eq!(table.bits(), 0x0000_8765_4321_f003);
        for level in [Level::L0, Level::L1, Level::L2] {
            assert_eq!(table.kind(level), DescriptorKind::Table(pa));
        }
        // The same bits at level 3 are a page.
        assert_eq!(table.kind(Level::L3), DescriptorKind::Page(pa));
    }

    #[test]
    fn table_rejects_bad_addresses() {
        assert_eq!(Descriptor::table(PhysAddr::new(0x1800)), None);
        assert_eq!(Descriptor::table(PhysAddr::new(ADDRESS_LIMIT)), None);
    }

    #[test]
    fn leaf_round_trip() {
        let cases = [
            (
                Level::L1,
                0x0000_0040_c000_0000,
                DescriptorKind::Block as fn(_) -> _,
            ),
            (Level::L2, 0x0000_0040_c020_0000, DescriptorKind::Block),
            (Level::L3, 0x0000_0040_c020_1000, DescriptorKind::Page),
        ];
        for (level, raw, kind) in cases {
            let pa = PhysAddr::new(raw);
            let leaf = Descriptor::leaf(level, pa, ATTRS).unwrap();
            assert_eq!(leaf.kind(level), kind(pa));
            assert_eq!(leaf.attribute_bits(), ATTRS);
            assert!(leaf.is_valid());
        }
    }

    #[test]
    fn leaf_encoding_bits() {
        let block = Descriptor::leaf(Level::L2, PhysAddr::new(0x20_0000), 0).unwrap();
        assert_eq!(block.bits(), 0x20_0001);
        let page = Descriptor::leaf(Level::L3, PhysAddr::new(0x1000), 0).unwrap();
        assert_eq!(page.bits(), 0x1003);
    }

    #[test]
    fn leaf_rejects_bad_arguments() {
        let pa = PhysAddr::new(0x4000_0000);
        assert_eq!(Descriptor::leaf(Level::L0, pa, 0), None);
        assert_eq!(
            Descriptor::leaf(Level::L1, PhysAddr::new(0x20_0000), 0),
            None
        );
        assert_eq!(Descriptor::leaf(Level::L2, PhysAddr::new(0x1000), 0), None);
        assert_eq!(Descriptor::leaf(Level::L3, PhysAddr::new(0x800), 0), None);
        assert_eq!(
            Descriptor::leaf(Level::L3, PhysAddr::new(ADDRESS_LIMIT), 0),
            None
        );
        assert_eq!(Descriptor::leaf(Level::L3, pa, 1 << 12), None);
        assert_eq!(Descriptor::leaf(Level::L3, pa, 0b11), None);
    }

    #[test]
    fn low_bits_decode_at_every_level() {
        let pa = PhysAddr::new(0x4000_0000);
        let expected = [
            // 0b00, 0b01, 0b10, 0b11 at levels 0..3
            [None, None, None, Some(DescriptorKind::Table(pa))],
            [
                None,
                Some(DescriptorKind::Block(pa)),
                None,
                Some(DescriptorKind::Table(pa)),
            ],
            [
                None,
                Some(DescriptorKind::Block(pa)),
                None,
                Some(DescriptorKind::Table(pa)),
            ],
            [None, None, None, Some(DescriptorKind::Page(pa))],
        ];
        for (level, row) in Level::ALL.into_iter().zip(expected) {
            for (low, want) in (0..4u64).zip(row) {
                let kind = Descriptor::from_bits(pa.as_u64() | low).kind(level);
                assert_eq!(
                    kind,
                    want.unwrap_or(DescriptorKind::Invalid),
                    "{level:?} {low:#b}"
                );
            }
        }
    }

    #[test]
    fn block_decode_ignores_res0_address_bits() {
        let raw = Descriptor::from_bits(0x4000_0000 | 0x1234_5000 | VALID);
        assert_eq!(
            raw.kind(Level::L1),
            DescriptorKind::Block(PhysAddr::new(0x4000_0000))
        );
        assert_eq!(
            raw.kind(Level::L2),
            DescriptorKind::Block(PhysAddr::new(0x5220_0000))
        );
    }

    fn leaf_level() -> impl Strategy<Value = Level> {
        prop_oneof![Just(Level::L1), Just(Level::L2), Just(Level::L3)]
    }

    proptest! {
        #[test]
        fn leaf_round_trips(level in leaf_level(), frame in 0u64..(1 << 36), attrs in any::<u64>()) {
            let pa = PhysAddr::new((frame << 12) & leaf_address_mask(level));
            let attrs = attrs & LEAF_ATTRIBUTE_MASK;
            let leaf = Descriptor::leaf(level, pa, attrs).unwrap();
            let kind = leaf.kind(level);
            let out = match kind {
                DescriptorKind::Block(out) | DescriptorKind::Page(out) => out,
                other => panic!("{other:?}"),
            };
            prop_assert_eq!(out, pa);
            prop_assert_eq!(leaf.attribute_bits(), attrs);
        }

        #[test]
        fn decode_never_panics_and_keeps_address_bits(bits in any::<u64>()) {
            for level in Level::ALL {
                let (pa, mask) = match Descriptor::from_bits(bits).kind(level) {
                    DescriptorKind::Invalid => continue,
                    DescriptorKind::Table(pa) => (pa, OUTPUT_ADDRESS_MASK),
                    DescriptorKind::Block(pa) | DescriptorKind::Page(pa) => {
                        (pa, leaf_address_mask(level))
                    }
                };
                prop_assert_eq!(pa.as_u64(), bits & mask);
            }
        }
    }
}
