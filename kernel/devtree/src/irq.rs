//! GIC interrupt specifiers: which nodes use them and how to decode them.

use fdt::node::FdtNode;

use crate::cells::{be32, u32_property};

/// Bytes in one specifier: type, number, flags.
const SPECIFIER_LEN: usize = 12;

/// Specifier type of a shared peripheral interrupt.
const SPI: u32 = 0;

/// Specifier type of a private peripheral interrupt.
const PPI: u32 = 1;

/// INTID of SPI 0, and how many SPIs there are.
const SPI_BASE: u32 = 32;
const SPI_COUNT: u32 = 988;

/// INTID of PPI 0, and how many PPIs there are.
const PPI_BASE: u32 = 16;
const PPI_COUNT: u32 = 16;

/// `compatible` strings of the Arm GICs whose specifiers have three cells.
const GIC_COMPATIBLES: [&str; 6] = [
    "arm,gic-v3",
    "arm,gic-400",
    "arm,cortex-a15-gic",
    "arm,cortex-a9-gic",
    "arm,cortex-a7-gic",
    "arm,arm11mp-gic",
];

/// The phandles of the GICs in the tree that use three-cell specifiers.
#[derive(Clone, Debug, Default)]
pub(crate) struct Controllers {
    phandles: heapless::Vec<u32, 4>,
}

impl Controllers {
    /// Notes `node` if it is a GIC with three-cell specifiers and a phandle.
    pub(crate) fn note(&mut self, node: FdtNode<'_, '_>) {
        if !is_gic(node) || u32_property(node, "#interrupt-cells") != Some(3) {
            return;
        }
        if let Some(phandle) = phandle(node) {
            // More than four GICs: the others' devices get no INTIDs.
            let _ = self.phandles.push(phandle);
        }
    }

    /// The INTIDs of `node`'s `interrupts`, if its interrupt parent is a
    /// known GIC. Each specifier gives `None` if it is not a valid SPI or PPI.
    pub(crate) fn intids<'a>(
        &self,
        node: FdtNode<'_, 'a>,
        interrupt_parent: Option<u32>,
    ) -> Option<impl Iterator<Item = Option<u32>> + 'a> {
        let parent = interrupt_parent?;
        if !self.phandles.contains(&parent) {
            return None;
        }
        specifiers(node.property("interrupts")?.value)
    }

    /// The INTID of `node`'s first interrupt, if there is a valid one.
    pub(crate) fn first_intid(
        &self,
        node: FdtNode<'_, '_>,
        interrupt_parent: Option<u32>,
    ) -> Option<u32> {
        self.intids(node, interrupt_parent)?.next().flatten()
    }
}

/// Whether `node` is an Arm GIC.
fn is_gic(node: FdtNode<'_, '_>) -> bool {
    node.compatible()
        .is_some_and(|compatible| compatible.all().any(|name| GIC_COMPATIBLES.contains(&name)))
}

/// `node`'s phandle, from `phandle` or the older `linux,phandle`.
pub(crate) fn phandle(node: FdtNode<'_, '_>) -> Option<u32> {
    u32_property(node, "phandle").or_else(|| u32_property(node, "linux,phandle"))
}

/// The decoded specifiers of an `interrupts` value: `None` unless it is a
/// non-empty whole number of three-cell specifiers.
fn specifiers(value: &[u8]) -> Option<impl Iterator<Item = Option<u32>> + '_> {
    if value.is_empty() || !value.len().is_multiple_of(SPECIFIER_LEN) {
        return None;
    }
    Some(value.chunks_exact(SPECIFIER_LEN).map(intid))
}

/// The INTID of one three-cell specifier, if it is a valid SPI or PPI.
pub(crate) fn intid(specifier: &[u8]) -> Option<u32> {
    let number = be32(specifier, 4)?;
    let (base, count) = match be32(specifier, 0)? {
        SPI => (SPI_BASE, SPI_COUNT),
        PPI => (PPI_BASE, PPI_COUNT),
        _ => return None,
    };
    (number < count).then(|| base + number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: u32, number: u32, flags: u32) -> [u8; 12] {
        let mut bytes = [0; 12];
        bytes[..4].copy_from_slice(&kind.to_be_bytes());
        bytes[4..8].copy_from_slice(&number.to_be_bytes());
        bytes[8..].copy_from_slice(&flags.to_be_bytes());
        bytes
    }

    #[test]
    fn spis_start_at_32() {
        assert_eq!(intid(&spec(SPI, 0, 4)), Some(32));
        assert_eq!(intid(&spec(SPI, 1, 4)), Some(33));
        assert_eq!(intid(&spec(SPI, 987, 4)), Some(1019));
        assert_eq!(intid(&spec(SPI, 988, 4)), None);
        assert_eq!(intid(&spec(SPI, u32::MAX, 4)), None);
    }

    #[test]
    fn ppis_start_at_16() {
        assert_eq!(intid(&spec(PPI, 0, 4)), Some(16));
        assert_eq!(intid(&spec(PPI, 14, 0x304)), Some(30));
        assert_eq!(intid(&spec(PPI, 15, 4)), Some(31));
        assert_eq!(intid(&spec(PPI, 16, 4)), None);
    }

    #[test]
    fn other_types_are_rejected() {
        assert_eq!(intid(&spec(2, 0, 4)), None);
        assert_eq!(intid(&spec(u32::MAX, 0, 4)), None);
    }

    #[test]
    fn short_specifiers_are_rejected() {
        assert_eq!(intid(&[0, 0, 0, 0, 0, 0]), None);
        assert_eq!(intid(&[]), None);
    }

    #[test]
    fn specifier_lists_must_be_whole() {
        assert!(specifiers(&[]).is_none());
        assert!(specifiers(&[0; 8]).is_none());
        assert!(specifiers(&[0; 16]).is_none());
        let mut two = spec(PPI, 13, 4).to_vec();
        two.extend_from_slice(&spec(7, 0, 0));
        let decoded: std::vec::Vec<_> = specifiers(&two).unwrap().collect();
        assert_eq!(decoded, [Some(29), None]);
    }
}
