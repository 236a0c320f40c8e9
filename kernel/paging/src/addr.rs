//! Physical and virtual address newtypes.

use core::fmt;

/// Size of the translation granule: one page, and one table, is 4 KiB.
pub const PAGE_SIZE: u64 = 4096;

/// Width of an output (physical) address, and of a virtual address within
/// one half of the address space.
pub const ADDRESS_BITS: u32 = 48;

/// One past the highest 48-bit address.
pub(crate) const ADDRESS_LIMIT: u64 = 1 << ADDRESS_BITS;

/// Defines an address newtype with its alignment helpers.
macro_rules! address_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw address.
            pub const fn new(addr: u64) -> Self {
                Self(addr)
            }

            /// The raw address.
            pub const fn as_u64(self) -> u64 {
                self.0
            }

            /// Whether the address is a multiple of `align`. Always false
            /// unless `align` is a power of two.
            pub const fn is_aligned(self, align: u64) -> bool {
                align.is_power_of_two() && self.0 & (align - 1) == 0
            }

            /// Whether the address is a multiple of [`PAGE_SIZE`].
            pub const fn is_page_aligned(self) -> bool {
                self.is_aligned(PAGE_SIZE)
            }

            /// The address rounded down to a multiple of `align`, or `None`
            /// if `align` is not a power of two.
            pub const fn align_down(self, align: u64) -> Option<Self> {
                if align.is_power_of_two() {
                    Some(Self(self.0 & !(align - 1)))
                } else {
                    None
                }
            }

            /// The address rounded up to a multiple of `align`, or `None` if
            /// `align` is not a power of two or the result overflows.
            pub const fn align_up(self, align: u64) -> Option<Self> {
                if !align.is_power_of_two() {
                    return None;
                }
                match self.0.checked_add(align - 1) {
                    Some(sum) => Some(Self(sum & !(align - 1))),
                    None => None,
                }
            }

            /// The address `offset` bytes further on, or `None` on overflow.
            pub const fn checked_add(self, offset: u64) -> Option<Self> {
                match self.0.checked_add(offset) {
                    Some(sum) => Some(Self(sum)),
                    None => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:#x})"), self.0)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

address_type! {
    /// A physical address: the output of a stage-1 translation.
    PhysAddr
}

address_type! {
    /// A virtual address: the input of a stage-1 translation.
    VirtAddr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_helpers() {
        let pa = PhysAddr::new(0x4000_1234);
        assert!(!pa.is_page_aligned());
        assert!(PhysAddr::new(0x4000_1000).is_page_aligned());
        assert_eq!(pa.align_down(PAGE_SIZE), Some(PhysAddr::new(0x4000_1000)));
        assert_eq!(pa.align_up(PAGE_SIZE), Some(PhysAddr::new(0x4000_2000)));
        assert_eq!(pa.align_up(3), None);
        assert_eq!(pa.align_down(0), None);
        assert!(!pa.is_aligned(0));
    }

    #[test]
    fn overflow_is_none() {
        let top = VirtAddr::new(u64::MAX);
        assert_eq!(top.checked_add(1), None);
        assert_eq!(top.align_up(PAGE_SIZE), None);
        assert_eq!(top.align_down(PAGE_SIZE), Some(VirtAddr::new(!0xfff)));
    }

    #[test]
    fn debug_is_hex() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{:?}", PhysAddr::new(0x1000)), "PhysAddr(0x1000)");
        assert_eq!(format!("{:x}", VirtAddr::new(0xabc)), "abc");
    }
}
