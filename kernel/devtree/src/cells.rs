//! Big-endian cells, `#address-cells`/`#size-cells` and `reg`.

use fdt::node::FdtNode;

use crate::platform::Region;

/// The big-endian u32 at byte `at` of `bytes`, if all four bytes are there.
pub(crate) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let bytes = bytes.get(at..)?.first_chunk::<4>()?;
    Some(u32::from_be_bytes(*bytes))
}

/// A number of one or two cells: exactly 4 or 8 bytes.
pub(crate) fn number(bytes: &[u8]) -> Option<u64> {
    match *bytes {
        [a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d]).into()),
        [a, b, c, d, e, f, g, h] => Some(u64::from_be_bytes([a, b, c, d, e, f, g, h])),
        _ => None,
    }
}

/// The value of a one-cell property such as `#size-cells`: exactly 4 bytes.
pub(crate) fn u32_property(node: FdtNode<'_, '_>, name: &str) -> Option<u32> {
    let value = node.property(name)?.value;
    match *value {
        [a, b, c, d] => Some(u32::from_be_bytes([a, b, c, d])),
        _ => None,
    }
}

/// A string property up to its first NUL, if that part is UTF-8.
pub(crate) fn str_property<'a>(node: FdtNode<'_, 'a>, name: &str) -> Option<&'a str> {
    let value = node.property(name)?.value;
    let text = value.split(|&byte| byte == 0).next().unwrap_or_default();
    core::str::from_utf8(text).ok()
}

/// How many cells a node gives the addresses and sizes in its children's
/// `reg` properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CellSizes {
    address: u32,
    size: u32,
}

impl CellSizes {
    /// The defaults the devicetree specification gives a node without the
    /// properties.
    pub(crate) const DEFAULT: Self = Self {
        address: 2,
        size: 1,
    };

    /// A count that no `reg` decoding accepts, for a malformed property.
    const INVALID: u32 = u32::MAX;

    /// The sizes `node` gives its children.
    pub(crate) fn of(node: FdtNode<'_, '_>) -> Self {
        Self {
            address: count(node, "#address-cells", Self::DEFAULT.address),
            size: count(node, "#size-cells", Self::DEFAULT.size),
        }
    }

    /// Sizes with the given counts, for tests.
    #[cfg(test)]
    pub(crate) const fn new(address: u32, size: u32) -> Self {
        Self { address, size }
    }

    /// Bytes per `(address, size)` pair, if both counts fit in a `u64`.
    fn entry_lengths(self) -> Option<(usize, usize)> {
        let fits = (1..=2).contains(&self.address) && self.size <= 2;
        let bytes = |cells: u32| usize::try_from(cells).ok()?.checked_mul(4);
        fits.then_some((bytes(self.address)?, bytes(self.size)?))
    }
}

/// A cell-count property, `default` if absent and invalid if malformed.
fn count(node: FdtNode<'_, '_>, name: &str, default: u32) -> u32 {
    match node.property(name) {
        None => default,
        Some(_) => u32_property(node, name).unwrap_or(CellSizes::INVALID),
    }
}

/// The regions of a `reg` value whose cell sizes come from the parent.
///
/// Nothing for cell counts that do not fit in 64 bits; a partial entry at the
/// end is ignored. A size of zero cells gives regions of size 0.
pub(crate) fn regions(value: &[u8], cells: CellSizes) -> impl Iterator<Item = Region> + '_ {
    let (address_len, size_len) = cells.entry_lengths().unwrap_or((0, 0));
    let entry_len = (address_len + size_len).max(1);
    let usable = if address_len == 0 { &[][..] } else { value };
    usable.chunks_exact(entry_len).filter_map(move |entry| {
        let (address, size) = entry.split_at(address_len);
        let size = if size.is_empty() {
            Some(0)
        } else {
            number(size)
        };
        Some(Region {
            base: number(address)?,
            size: size?,
        })
    })
}

/// The regions of `node`'s `reg`, whose parent gives `cells`.
pub(crate) fn reg<'a>(
    node: FdtNode<'_, 'a>,
    cells: CellSizes,
) -> impl Iterator<Item = Region> + 'a {
    let value = node
        .property("reg")
        .map(|property| property.value)
        .unwrap_or_default();
    regions(value, cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn be32_needs_four_bytes() {
        assert_eq!(be32(&[1, 2, 3, 4, 5], 1), Some(0x0203_0405));
        assert_eq!(be32(&[1, 2, 3], 0), None);
        assert_eq!(be32(&[1, 2, 3, 4], 5), None);
    }

    #[test]
    fn number_takes_one_or_two_cells() {
        assert_eq!(number(&[0, 0, 1, 0]), Some(0x100));
        assert_eq!(number(&[0, 0, 0, 1, 0, 0, 0, 2]), Some(0x1_0000_0002));
        assert_eq!(number(&[]), None);
        assert_eq!(number(&[0; 12]), None);
    }

    #[test]
    fn regions_with_two_and_two_cells() {
        let value = [0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0];
        let all: std::vec::Vec<_> = regions(&value, CellSizes::new(2, 2)).collect();
        assert_eq!(
            all,
            [Region {
                base: 0x4000_0000,
                size: 0x8000_0000
            }]
        );
    }

    #[test]
    fn regions_with_one_and_one_cell() {
        let value = [0, 0, 0x10, 0, 0, 0, 0, 0x20, 0, 0, 0x20, 0, 0, 0, 0, 0x30];
        let all: std::vec::Vec<_> = regions(&value, CellSizes::new(1, 1)).collect();
        let first = Region {
            base: 0x1000,
            size: 0x20,
        };
        assert_eq!(
            all,
            [
                first,
                Region {
                    base: 0x2000,
                    size: 0x30
                }
            ]
        );
    }

    #[test]
    fn regions_without_size_cells() {
        let all: std::vec::Vec<_> = regions(&[0, 0, 0, 3], CellSizes::new(1, 0)).collect();
        assert_eq!(all, [Region { base: 3, size: 0 }]);
    }

    #[test]
    fn regions_ignore_a_partial_entry() {
        let value = [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(regions(&value, CellSizes::new(1, 1)).count(), 1);
    }

    #[test]
    fn regions_refuse_unusable_cell_counts() {
        let value = [0u8; 48];
        for cells in [
            (0, 1),
            (3, 2),
            (2, 3),
            (CellSizes::INVALID, 1),
            (1, CellSizes::INVALID),
        ] {
            let cells = CellSizes::new(cells.0, cells.1);
            assert_eq!(regions(&value, cells).count(), 0, "{cells:?}");
        }
    }
}
