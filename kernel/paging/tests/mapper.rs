//! Unit tests of `Mapper`: block selection, translation and every error.
#![deny(clippy::undocumented_unsafe_blocks)]

mod common;

use common::{GIB, KIB, MIB, TestAllocator, UPPER, mapper};
use tessera_paging::{
    Access, Attributes, Descriptor, El20, Level, MapError, Mapper, MemoryType, PhysAddr,
    Translation, VaRange, VirtAddr,
};

/// The last page of the address space.
const TOP_PAGE: u64 = 0xffff_ffff_ffff_f000;

fn va(raw: u64) -> VirtAddr {
    VirtAddr::new(raw)
}

fn pa(raw: u64) -> PhysAddr {
    PhysAddr::new(raw)
}

/// A fresh tree with its allocator.
fn tree() -> (TestAllocator, PhysAddr) {
    let mut allocator = TestAllocator::unlimited();
    let root = allocator.new_root();
    (allocator, root)
}

/// Maps `[va, va + size)` to `pa` as kernel data in a fresh tree.
fn tree_with(range: VaRange, mappings: &[(u64, u64, u64)]) -> (TestAllocator, PhysAddr) {
    let (mut allocator, root) = tree();
    let mut mapper = mapper(&mut allocator, root, range);
    for &(v, p, size) in mappings {
        mapper
            .map(va(v), pa(p), size, Attributes::kernel_data())
            .unwrap();
    }
    (allocator, root)
}

fn translation(p: u64, level: Level, attributes: Attributes) -> Option<Translation> {
    Some(Translation {
        pa: pa(p),
        attributes,
        level,
    })
}

#[test]
fn ram_uses_gib_blocks() {
    let (mut allocator, root) = tree_with(VaRange::Upper, &[(UPPER + GIB, GIB, 2 * GIB)]);
    assert_eq!(allocator.leaf_counts(root), [0, 2, 0, 0]);
    assert_eq!(allocator.allocated(), 2);
    let mapper = mapper(&mut allocator, root, VaRange::Upper);
    let t = mapper.translate(va(UPPER + GIB + 0x1234_5678));
    assert_eq!(
        t,
        translation(GIB + 0x1234_5678, Level::L1, Attributes::kernel_data())
    );
    assert_eq!(t.unwrap().size(), GIB);
    let last = mapper.translate(va(UPPER + 3 * GIB - 8)).unwrap();
    assert_eq!(last.pa, pa(3 * GIB - 8));
    assert_eq!(mapper.translate(va(UPPER + 3 * GIB)), None);
    assert_eq!(mapper.translate(va(UPPER + GIB - 1)), None);
}

#[test]
fn aligned_4_mib_uses_two_2_mib_blocks() {
    let (allocator, root) = tree_with(VaRange::Lower, &[(4 * MIB, 0x8020_0000, 4 * MIB)]);
    assert_eq!(allocator.leaf_counts(root), [0, 0, 2, 0]);
}

#[test]
fn misaligned_by_4k_falls_back_to_pages() {
    let (mut allocator, root) = tree_with(VaRange::Lower, &[(2 * MIB, 2 * MIB + 4 * KIB, 4 * MIB)]);
    assert_eq!(allocator.leaf_counts(root), [0, 0, 0, 1024]);
    let mapper = mapper(&mut allocator, root, VaRange::Lower);
    let t = mapper.translate(va(6 * MIB - 1));
    assert_eq!(
        t,
        translation(6 * MIB + 4 * KIB - 1, Level::L3, Attributes::kernel_data())
    );
}

#[test]
fn gib_range_with_2_mib_aligned_pa_uses_2_mib_blocks() {
    let (allocator, root) = tree_with(VaRange::Lower, &[(GIB, GIB + 2 * MIB, GIB)]);
    assert_eq!(allocator.leaf_counts(root), [0, 0, 512, 0]);
}

#[test]
fn ragged_range_mixes_pages_and_blocks() {
    let start = 2 * MIB - 4 * KIB;
    let (allocator, root) = tree_with(
        VaRange::Lower,
        &[(start, start, 4 * KIB + 2 * MIB + 8 * KIB)],
    );
    assert_eq!(allocator.leaf_counts(root), [0, 0, 1, 3]);
}

#[test]
fn block_spanning_level_0_boundary() {
    let boundary = 512 * GIB;
    let mappings = [(UPPER + boundary - GIB, 5 * GIB, 2 * GIB)];
    let (mut allocator, root) = tree_with(VaRange::Upper, &mappings);
    assert_eq!(allocator.leaf_counts(root), [0, 2, 0, 0]);
    let mapper = mapper(&mut allocator, root, VaRange::Upper);
    assert_eq!(
        mapper.translate(va(UPPER + boundary)).unwrap().pa,
        pa(6 * GIB)
    );
}

#[test]
fn top_page_of_each_half() {
    let (mut allocator, root) = tree();
    let mut upper = mapper(&mut allocator, root, VaRange::Upper);
    upper
        .map(va(TOP_PAGE), pa(0x1000), 4 * KIB, Attributes::device())
        .unwrap();
    let t = upper.translate(va(u64::MAX));
    assert_eq!(t, translation(0x1fff, Level::L3, Attributes::device()));
    let (mut allocator, root) = tree();
    let mut lower = mapper(&mut allocator, root, VaRange::Lower);
    lower
        .map(
            va(0xffff_ffff_f000),
            pa(0),
            4 * KIB,
            Attributes::user_code(),
        )
        .unwrap();
    assert_eq!(lower.translate(va(0xffff_ffff_ffff)).unwrap().pa, pa(0xfff));
}

#[test]
fn translate_outside_the_half_or_unmapped_is_none() {
    let (mut allocator, root) = tree_with(VaRange::Lower, &[(0, 0, 2 * MIB)]);
    let mapper = mapper(&mut allocator, root, VaRange::Lower);
    assert!(mapper.translate(va(0x1000)).is_some());
    assert_eq!(mapper.translate(va(UPPER + 0x1000)), None);
    assert_eq!(mapper.translate(va(1 << 48)), None);
    assert_eq!(mapper.translate(va(2 * MIB)), None);
}

#[test]
fn attributes_come_back_out() {
    let (mut allocator, root) = tree();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let all = [
        Attributes::kernel_code(),
        Attributes::kernel_rodata(),
        Attributes::kernel_data(),
        Attributes::device(),
        Attributes::user_data(),
        Attributes::user_code(),
        Attributes {
            memory: MemoryType::NormalNonCacheable,
            ..Attributes::user_data()
        },
        Attributes {
            memory: MemoryType::DeviceStrict,
            access: Access::UserRead,
            ..Attributes::device()
        },
    ];
    for (i, attributes) in (0..).zip(all) {
        mapper
            .map(va(i * 2 * MIB), pa(i * 2 * MIB), 2 * MIB, attributes)
            .unwrap();
        assert_eq!(
            mapper.translate(va(i * 2 * MIB)).unwrap().attributes,
            attributes
        );
    }
}

#[test]
fn map_zero_size() {
    let (mut allocator, root) = tree();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let result = mapper.map(va(0x1001), pa(0), 0, Attributes::kernel_data());
    assert_eq!(result, Err(MapError::ZeroSize));
}

#[test]
fn map_misaligned() {
    let (mut allocator, root) = tree();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let data = Attributes::kernel_data();
    assert_eq!(
        mapper.map(va(0x1800), pa(0), 4 * KIB, data),
        Err(MapError::Misaligned)
    );
    assert_eq!(
        mapper.map(va(0x1000), pa(0x10), 4 * KIB, data),
        Err(MapError::Misaligned)
    );
    assert_eq!(
        mapper.map(va(0x1000), pa(0), 4 * KIB + 1, data),
        Err(MapError::Misaligned)
    );
    // Misalignment is reported before the range.
    assert_eq!(
        mapper.map(va(UPPER + 1), pa(0), 4 * KIB, data),
        Err(MapError::Misaligned)
    );
}

#[test]
fn map_out_of_range() {
    let (mut allocator, root) = tree();
    let data = Attributes::kernel_data();
    let mut lower = mapper(&mut allocator, root, VaRange::Lower);
    let cases = [
        (UPPER, 0, 4 * KIB),
        (1 << 48, 0, 4 * KIB),
        ((1 << 48) - 4 * KIB, 0, 8 * KIB),
        (0, 1 << 48, 4 * KIB),
        (0, (1 << 48) - 4 * KIB, 8 * KIB),
        (0, TOP_PAGE, 4 * KIB),
        (0x1000, 0, TOP_PAGE),
    ];
    for (v, p, size) in cases {
        assert_eq!(
            lower.map(va(v), pa(p), size, data),
            Err(MapError::OutOfRange),
            "{v:#x} {p:#x}"
        );
    }
    let mut upper = mapper(&mut allocator, root, VaRange::Upper);
    assert_eq!(
        upper.map(va(0x1000), pa(0), 4 * KIB, data),
        Err(MapError::OutOfRange)
    );
    let top = TOP_PAGE;
    assert_eq!(
        upper.map(va(top), pa(0), 8 * KIB, data),
        Err(MapError::OutOfRange)
    );
    assert_eq!(
        upper.map(va(UPPER - 4 * KIB), pa(0), 8 * KIB, data),
        Err(MapError::OutOfRange)
    );
    assert_eq!(allocator.leaf_counts(root), [0; 4]);
}

#[test]
fn map_bad_attributes() {
    let (mut allocator, root) = tree();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let kernel = Attributes {
        kernel_exec: true,
        ..Attributes::device()
    };
    let user = Attributes {
        memory: MemoryType::DeviceStrict,
        ..Attributes::user_code()
    };
    for attributes in [kernel, user] {
        let result = mapper.map(va(0), pa(0x0900_0000), 4 * KIB, attributes);
        assert_eq!(result, Err(MapError::BadAttributes));
    }
    assert_eq!(allocator.allocated(), 1);
}

#[test]
fn map_over_existing_reports_first_conflict_and_changes_nothing() {
    let (mut allocator, root) = tree_with(
        VaRange::Lower,
        &[(0x5000, 0x5000, 4 * KIB), (4 * MIB, 0, 2 * MIB)],
    );
    let before = (allocator.allocated(), allocator.leaf_counts(root));
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let data = Attributes::kernel_data();
    let first_page = mapper.map(va(0x1000), pa(0x1000), 0x10000, data);
    assert_eq!(first_page, Err(MapError::AlreadyMapped { va: va(0x5000) }));
    let inside_block = mapper.map(va(5 * MIB), pa(0), 4 * KIB, data);
    assert_eq!(
        inside_block,
        Err(MapError::AlreadyMapped { va: va(5 * MIB) })
    );
    let across = mapper.map(va(3 * MIB), pa(0), 4 * MIB, data);
    assert_eq!(across, Err(MapError::AlreadyMapped { va: va(4 * MIB) }));
    assert_eq!(mapper.translate(va(0x1000)), None);
    assert_eq!(mapper.translate(va(3 * MIB)), None);
    assert_eq!((allocator.allocated(), allocator.leaf_counts(root)), before);
}

#[test]
fn out_of_tables_undoes_the_partial_mapping() {
    let (mut allocator, root) = tree_with(VaRange::Lower, &[(GIB, 0, 4 * KIB)]);
    let before = allocator.leaf_counts(root);
    // [2 MiB - 4 KiB, 2 MiB + 4 KiB) needs a level-2 and two level-3
    // tables (the level-1 table exists): the second level-3 one fails.
    allocator.allow(2);
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let data = Attributes::kernel_data();
    let result = mapper.map(va(2 * MIB - 4 * KIB), pa(0x1000), 8 * KIB, data);
    assert_eq!(result, Err(MapError::OutOfTables));
    assert_eq!(mapper.translate(va(2 * MIB - 4 * KIB)), None);
    assert_eq!(mapper.translate(va(GIB)).unwrap().pa, pa(0));
    assert_eq!(allocator.leaf_counts(root), before);
    // With one more table the same call succeeds and reuses the empty ones.
    allocator.allow(1);
    let mut mapper = common::mapper(&mut allocator, root, VaRange::Lower);
    mapper
        .map(va(2 * MIB - 4 * KIB), pa(0x1000), 8 * KIB, data)
        .unwrap();
    assert_eq!(allocator.allocated(), 4 + 3);
}

#[test]
fn out_of_tables_with_no_table_at_all() {
    let mut allocator = TestAllocator::new(1);
    let root = allocator.new_root();
    let mut mapper = mapper(&mut allocator, root, VaRange::Upper);
    let result = mapper.map(va(UPPER), pa(0), GIB, Attributes::kernel_data());
    assert_eq!(result, Err(MapError::OutOfTables));
    assert_eq!(mapper.translate(va(UPPER)), None);
}

#[test]
fn unmap_argument_errors() {
    let (mut allocator, root) = tree_with(VaRange::Lower, &[(0, 0, 2 * MIB)]);
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    assert_eq!(mapper.unmap(va(0x1000), 0), Err(MapError::ZeroSize));
    assert_eq!(mapper.unmap(va(0x1001), 4 * KIB), Err(MapError::Misaligned));
    assert_eq!(
        mapper.unmap(va(0x1000), 4 * KIB - 1),
        Err(MapError::Misaligned)
    );
    assert_eq!(mapper.unmap(va(UPPER), 4 * KIB), Err(MapError::OutOfRange));
    assert_eq!(mapper.unmap(va(0), TOP_PAGE), Err(MapError::OutOfRange));
    assert!(mapper.translate(va(0)).is_some());
}

#[test]
fn unmap_hole_is_not_mapped_and_changes_nothing() {
    let mappings = [(0, 0, 4 * KIB), (8 * KIB, 0, 4 * KIB)];
    let (mut allocator, root) = tree_with(VaRange::Lower, &mappings);
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    assert_eq!(
        mapper.unmap(va(0), 12 * KIB),
        Err(MapError::NotMapped { va: va(4 * KIB) })
    );
    assert_eq!(
        mapper.unmap(va(GIB), 4 * KIB),
        Err(MapError::NotMapped { va: va(GIB) })
    );
    assert_eq!(allocator.leaf_counts(root), [0, 0, 0, 2]);
}

#[test]
fn unmap_cutting_a_block_is_partial_and_changes_nothing() {
    let mappings = [(2 * MIB - 4 * KIB, 0, 4 * KIB), (2 * MIB, 2 * MIB, 2 * MIB)];
    let (mut allocator, root) = tree_with(VaRange::Lower, &mappings);
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let inside = mapper.unmap(va(2 * MIB + 4 * KIB), 4 * KIB);
    assert_eq!(
        inside,
        Err(MapError::PartialBlock {
            va: va(2 * MIB + 4 * KIB)
        })
    );
    let head = mapper.unmap(va(2 * MIB - 4 * KIB), MIB);
    assert_eq!(head, Err(MapError::PartialBlock { va: va(2 * MIB) }));
    assert_eq!(allocator.leaf_counts(root), [0, 0, 1, 1]);
}

#[test]
fn unmap_across_mappings_then_remap_reuses_tables() {
    let mappings = [(2 * MIB - 4 * KIB, 0, 4 * KIB), (2 * MIB, 2 * MIB, 2 * MIB)];
    let (mut allocator, root) = tree_with(VaRange::Lower, &mappings);
    let tables = allocator.allocated();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    mapper
        .unmap(va(2 * MIB - 4 * KIB), 2 * MIB + 4 * KIB)
        .unwrap();
    assert_eq!(mapper.translate(va(2 * MIB)), None);
    mapper
        .map(
            va(2 * MIB - 4 * KIB),
            pa(2 * MIB - 4 * KIB),
            2 * MIB + 4 * KIB,
            Attributes::kernel_data(),
        )
        .unwrap();
    assert_eq!(allocator.leaf_counts(root), [0, 0, 1, 1]);
    assert_eq!(allocator.allocated(), tables);
}

#[test]
fn tables_built_before_the_mapper_are_used() {
    let (mut allocator, root) = tree();
    let l1 = allocator.new_root();
    let data = Attributes::kernel_data().to_bits().unwrap();
    allocator.table_mut(root).entries_mut()[0] = Descriptor::table(l1).unwrap();
    allocator.table_mut(l1).entries_mut()[1] = Descriptor::leaf(Level::L1, pa(GIB), data).unwrap();
    let mut mapper = mapper(&mut allocator, root, VaRange::Lower);
    let t = mapper.translate(va(GIB + 8));
    assert_eq!(
        t,
        translation(GIB + 8, Level::L1, Attributes::kernel_data())
    );
    let clash = mapper.map(va(GIB + 2 * MIB), pa(0), 2 * MIB, Attributes::kernel_data());
    assert_eq!(
        clash,
        Err(MapError::AlreadyMapped {
            va: va(GIB + 2 * MIB)
        })
    );
    mapper
        .map(va(2 * GIB), pa(0), GIB, Attributes::kernel_data())
        .unwrap();
    assert_eq!(allocator.allocated(), 2);
    assert_eq!(allocator.leaf_counts(root), [0, 2, 0, 0]);
}

#[test]
fn explicit_regime_and_accessors() {
    let (mut allocator, root) = tree();
    // SAFETY: `root` came from `allocator`, which owns every table.
    let mapper: Mapper<'_, _, El20> =
        unsafe { Mapper::with_regime(&mut allocator, root, VaRange::Upper) };
    assert_eq!(mapper.root(), root);
    assert_eq!(mapper.va_range(), VaRange::Upper);
    assert!(VaRange::Upper.contains(va(u64::MAX)));
    assert!(!VaRange::Upper.contains(va(UPPER - 1)));
    assert!(VaRange::Lower.contains(va((1 << 48) - 1)));
    assert_eq!(VaRange::Upper.base(), va(UPPER));
}

#[test]
fn errors_display() {
    let errors = [
        MapError::ZeroSize,
        MapError::Misaligned,
        MapError::OutOfRange,
        MapError::BadAttributes,
        MapError::AlreadyMapped { va: va(1) },
        MapError::NotMapped { va: va(1) },
        MapError::PartialBlock { va: va(1) },
        MapError::OutOfTables,
    ];
    for error in errors {
        assert!(!error.to_string().is_empty());
    }
}
