//! Property tests: no input makes the crate panic.

use proptest::prelude::*;
use tessera_devtree::{bootarg, header_total_size, parse};
use vm_fdt::FdtWriter;

const FIXTURE: &[u8] = include_bytes!("fixtures/virt-gicv3-smp4.dtb");

/// Writes big-endian `value` at field `index` of a blob's header.
fn set_field(blob: &mut [u8], index: usize, value: usize) {
    let value = u32::try_from(value).unwrap();
    blob[4 * index..4 * index + 4].copy_from_slice(&value.to_be_bytes());
}

/// Parses and, if that works, touches every fact.
fn exercise(dtb: &[u8]) {
    if let Ok(platform) = parse(dtb) {
        let _ = format!("{platform:?}");
        let _ = bootarg(platform.bootargs, "console");
        for region in platform.memory.iter().chain(&platform.reserved) {
            let _ = region.end();
        }
    }
}

/// A node of a random tree: a name, raw properties and children.
#[derive(Clone, Debug)]
struct Node {
    name: String,
    properties: Vec<(&'static str, Vec<u8>)>,
    children: Vec<Node>,
}

/// Property names the crate reads, and one it does not.
const PROPERTY_NAMES: &[&str] = &[
    "reg",
    "interrupts",
    "interrupt-parent",
    "#interrupt-cells",
    "#address-cells",
    "#size-cells",
    "#redistributor-regions",
    "compatible",
    "status",
    "device_type",
    "phandle",
    "method",
    "cpu_on",
    "stdout-path",
    "bootargs",
    "linux,initrd-start",
    "linux,initrd-end",
    "serial0",
    "other",
];

/// Node names the crate looks for, and one it does not.
const NODE_NAMES: &[&str] = &[
    "cpus",
    "cpu@0",
    "memory@40000000",
    "reserved-memory",
    "chosen",
    "aliases",
    "intc@8000000",
    "pl011@9000000",
    "soc",
    "psci",
    "timer",
    "virtio_mmio@a000000",
    "other",
];

/// Values that are often meaningful: cell counts, phandles, strings.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(prop_oneof![0u32..4, Just(0xffff_ffff), any::<u32>()], 0..10)
            .prop_map(|cells| cells.iter().flat_map(|cell| cell.to_be_bytes()).collect()),
        prop::sample::select(vec![
            &b"arm,pl011\0"[..],
            b"arm,gic-v3\0",
            b"virtio,mmio\0",
            b"arm,armv8-timer\0",
            b"arm,psci\0",
            b"arm,psci-0.2\0",
            b"smc\0",
            b"hvc\0",
            b"okay\0",
            b"disabled\0",
            b"memory\0",
            b"serial0\0",
            b"/pl011@9000000\0",
            b"/soc/pl011\0",
            b"/\0",
            b"a=b c\0",
        ])
        .prop_map(<[u8]>::to_vec),
    ]
}

/// Up to six random properties.
fn properties() -> impl Strategy<Value = Vec<(&'static str, Vec<u8>)>> {
    proptest::collection::vec((prop::sample::select(PROPERTY_NAMES), value()), 0..6)
}

/// Random trees of up to four levels below the root.
fn node() -> impl Strategy<Value = Node> {
    let leaf =
        (prop::sample::select(NODE_NAMES), properties()).prop_map(|(name, properties)| Node {
            name: name.to_owned(),
            properties,
            children: Vec::new(),
        });
    leaf.prop_recursive(4, 48, 6, |inner| {
        (
            prop::sample::select(NODE_NAMES),
            properties(),
            proptest::collection::vec(inner, 0..6),
        )
            .prop_map(|(name, properties, children)| Node {
                name: name.to_owned(),
                properties,
                children,
            })
    })
}

/// Writes `node` (as the root if `name` is empty) with `vm-fdt`.
fn write_node(fdt: &mut FdtWriter, node: &Node, name: &str) -> Result<(), vm_fdt::Error> {
    let handle = fdt.begin_node(name)?;
    for (property, value) in &node.properties {
        fdt.property(property, value)?;
    }
    for child in &node.children {
        write_node(fdt, child, &child.name)?;
    }
    fdt.end_node(handle)
}

proptest! {
    #[test]
    fn well_formed_trees_with_random_values_never_panic(
        root in node(),
        reserved in proptest::collection::vec((any::<u32>(), 1u32..0x1000), 0..3),
    ) {
        let reserved: Vec<_> = reserved
            .iter()
            .enumerate()
            .filter_map(|(i, &(a, s))| vm_fdt::FdtReserveEntry::new(u64::from(a) + ((i as u64) << 33), s.into()).ok())
            .collect();
        let mut fdt = FdtWriter::new_with_mem_reserv(&reserved).unwrap();
        prop_assume!(write_node(&mut fdt, &root, "").is_ok());
        let blob = fdt.finish().unwrap();
        prop_assert!(parse(&blob).is_ok());
        exercise(&blob);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = header_total_size(&bytes);
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_header_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..2048),
        struct_offset in 40usize..256,
        strings_offset in 40usize..2048,
    ) {
        let mut blob = FIXTURE[..40].to_vec();
        blob.extend_from_slice(&body);
        let total = blob.len();
        set_field(&mut blob, 1, total);
        set_field(&mut blob, 2, struct_offset.min(total));
        set_field(&mut blob, 9, total - struct_offset.min(total));
        set_field(&mut blob, 3, strings_offset.min(total));
        set_field(&mut blob, 8, total - strings_offset.min(total));
        set_field(&mut blob, 4, 40);
        exercise(&blob);
    }

    #[test]
    fn truncations_of_a_fixture_fail_without_panicking(len in 0..FIXTURE.len()) {
        prop_assert!(parse(&FIXTURE[..len]).is_err());
    }

    #[test]
    fn truncations_that_fix_up_the_header_never_panic(len in 40..FIXTURE.len()) {
        let mut blob = FIXTURE[..len].to_vec();
        set_field(&mut blob, 1, len);
        for (offset, size) in [(2, 9), (3, 8)] {
            let start = usize::try_from(u32::from_be_bytes(blob[4 * offset..4 * offset + 4].try_into().unwrap())).unwrap();
            set_field(&mut blob, size, len.saturating_sub(start));
            set_field(&mut blob, offset, start.min(len));
        }
        exercise(&blob);
    }

    #[test]
    fn corrupted_fixtures_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut blob = FIXTURE.to_vec();
        for (at, value) in flips {
            let at = at.index(blob.len() - 40) + 40;
            blob[at] = value;
        }
        exercise(&blob);
    }

    #[test]
    fn corrupted_words_never_panic(
        words in proptest::collection::vec(
            (any::<prop::sample::Index>(), prop_oneof![0u32..16, Just(u32::MAX), any::<u32>()]),
            1..4,
        ),
    ) {
        let mut blob = FIXTURE.to_vec();
        for (at, value) in words {
            let at = at.index((blob.len() - 40) / 4) * 4 + 40;
            blob[at..at + 4].copy_from_slice(&value.to_be_bytes());
        }
        exercise(&blob);
    }

    #[test]
    fn bootarg_never_panics(line in ".{0,64}", key in ".{0,8}") {
        let _ = bootarg(&line, &key);
    }

    #[test]
    fn bootarg_finds_every_pair(
        pairs in proptest::collection::btree_map("[a-z._]{1,8}", "[!-~]{0,8}", 0..8),
        separator in "[ \t\n]{1,3}",
    ) {
        let line: Vec<String> = pairs.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let line = line.join(&separator);
        for (key, value) in &pairs {
            prop_assert_eq!(bootarg(&line, key), Some(value.as_str()));
        }
        prop_assert_eq!(bootarg(&line, "absent-key"), None);
    }
}
