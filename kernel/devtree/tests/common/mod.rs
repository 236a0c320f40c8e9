//! Building synthetic device trees with `vm-fdt`.

#![allow(dead_code, reason = "each test file uses a different part")]

use vm_fdt::{FdtReserveEntry, FdtWriter};

/// The phandle of the GIC that [`gic_v3`] writes.
pub const GIC: u32 = 1;

/// Three-cell GIC specifier types.
pub const SPI: u32 = 0;
pub const PPI: u32 = 1;

/// A tree whose root has 2-cell addresses and sizes, the GIC as interrupt
/// parent, and whatever `body` writes.
pub fn tree(body: impl FnOnce(&mut FdtWriter)) -> Vec<u8> {
    tree_with(&[], 2, 2, body)
}

/// A tree with memory reservations and the root's cell sizes given.
pub fn tree_with(
    reserved: &[(u64, u64)],
    address_cells: u32,
    size_cells: u32,
    body: impl FnOnce(&mut FdtWriter),
) -> Vec<u8> {
    let reserved: Vec<_> = reserved
        .iter()
        .map(|&(a, s)| FdtReserveEntry::new(a, s).unwrap())
        .collect();
    let mut fdt = FdtWriter::new_with_mem_reserv(&reserved).unwrap();
    let root = fdt.begin_node("").unwrap();
    fdt.property_u32("#address-cells", address_cells).unwrap();
    fdt.property_u32("#size-cells", size_cells).unwrap();
    fdt.property_u32("interrupt-parent", GIC).unwrap();
    body(&mut fdt);
    fdt.end_node(root).unwrap();
    fdt.finish().unwrap()
}

/// A node called `name` with whatever `body` writes.
pub fn node(fdt: &mut FdtWriter, name: &str, body: impl FnOnce(&mut FdtWriter)) {
    let node = fdt.begin_node(name).unwrap();
    body(fdt);
    fdt.end_node(node).unwrap();
}

/// Cells as the bytes of a property value.
pub fn cells(values: &[u32]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|value| value.to_be_bytes())
        .collect()
}

/// A `compatible` property.
pub fn compatible(fdt: &mut FdtWriter, names: &[&str]) {
    let names = names.iter().map(|name| name.to_string()).collect();
    fdt.property_string_list("compatible", names).unwrap();
}

/// A GICv3 with phandle [`GIC`] (2-cell parent): distributor at
/// 0x0800_0000 and the given redistributor regions.
pub fn gic_v3(fdt: &mut FdtWriter, redists: &[(u64, u64)]) {
    node(fdt, "intc@8000000", |fdt| {
        compatible(fdt, &["arm,gic-v3"]);
        let mut reg = vec![0x0800_0000, 0x1_0000];
        reg.extend(redists.iter().flat_map(|&(a, s)| [a, s]));
        fdt.property_array_u64("reg", &reg).unwrap();
        fdt.property_u32("#interrupt-cells", 3).unwrap();
        fdt.property_null("interrupt-controller").unwrap();
        fdt.property_phandle(GIC).unwrap();
    });
}

/// A PL011 (2-cell parent) at `base` with the given `interrupts` cells.
pub fn pl011(fdt: &mut FdtWriter, base: u64, interrupts: &[u32]) {
    node(fdt, &format!("pl011@{base:x}"), |fdt| {
        compatible(fdt, &["arm,pl011", "arm,primecell"]);
        fdt.property_array_u64("reg", &[base, 0x1000]).unwrap();
        fdt.property("interrupts", &cells(interrupts)).unwrap();
    });
}
