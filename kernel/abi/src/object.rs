//! Kernel object types that `Untyped::Retype` can make, and their sizes.

use crate::PAGE_BITS;

/// A slot of a CNode takes 2^CNODE_SLOT_BITS bytes.
pub const CNODE_SLOT_BITS: u8 = 6;
/// The smallest Untyped region.
pub const MIN_UNTYPED_BITS: u8 = 4;
/// The largest Untyped region (the 48-bit physical address space).
pub const MAX_UNTYPED_BITS: u8 = 47;

/// A kind of kernel object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum ObjectType {
    /// Untyped memory, of 2^size_bits bytes.
    Untyped = 0,
    /// A thread control block.
    Tcb = 1,
    /// A synchronous IPC endpoint.
    Endpoint = 2,
    /// An asynchronous notification word.
    Notification = 3,
    /// A CNode of 2^size_bits slots.
    CNode = 4,
    /// A 4 KiB frame.
    Frame4K = 5,
    /// A 2 MiB frame.
    Frame2M = 6,
    /// A 1 GiB frame.
    Frame1G = 7,
    /// A translation table for levels 1–3 of a stage-1 address space.
    PageTable = 8,
    /// The root (level 0) table of a stage-1 address space.
    VSpace = 9,
}

impl ObjectType {
    /// Every object type, in number order.
    pub const ALL: [ObjectType; 10] = [
        ObjectType::Untyped,
        ObjectType::Tcb,
        ObjectType::Endpoint,
        ObjectType::Notification,
        ObjectType::CNode,
        ObjectType::Frame4K,
        ObjectType::Frame2M,
        ObjectType::Frame1G,
        ObjectType::PageTable,
        ObjectType::VSpace,
    ];

    /// The type numbered `n`.
    pub const fn from_u64(n: u64) -> Option<ObjectType> {
        if n < Self::ALL.len() as u64 {
            Some(Self::ALL[n as usize])
        } else {
            None
        }
    }

    /// Whether the caller chooses the size (Untyped, CNode).
    pub const fn has_variable_size(self) -> bool {
        matches!(self, ObjectType::Untyped | ObjectType::CNode)
    }

    /// log2 of the object's size in bytes. For variable-size objects
    /// `size_bits` is the caller's argument (bytes for Untyped, slots for
    /// CNode); None if it is out of range. Fixed-size objects ignore it.
    pub const fn object_bits(self, size_bits: u8) -> Option<u8> {
        match self {
            ObjectType::Untyped => {
                if size_bits >= MIN_UNTYPED_BITS && size_bits <= MAX_UNTYPED_BITS {
                    Some(size_bits)
                } else {
                    None
                }
            }
            ObjectType::CNode => {
                if size_bits >= 1 && size_bits <= 28 {
                    Some(size_bits + CNODE_SLOT_BITS)
                } else {
                    None
                }
            }
            ObjectType::Tcb => Some(11),
            ObjectType::Endpoint => Some(5),
            ObjectType::Notification => Some(6),
            ObjectType::Frame4K | ObjectType::PageTable | ObjectType::VSpace => Some(PAGE_BITS),
            ObjectType::Frame2M => Some(21),
            ObjectType::Frame1G => Some(30),
        }
    }

    /// Whether objects of this type may be made from device memory (only
    /// frames and smaller device Untypeds: the kernel never keeps its own
    /// state in device memory).
    pub const fn allowed_in_device_memory(self) -> bool {
        matches!(
            self,
            ObjectType::Untyped | ObjectType::Frame4K | ObjectType::Frame2M | ObjectType::Frame1G
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_is_dense() {
        for (i, t) in ObjectType::ALL.iter().enumerate() {
            assert_eq!(*t as u64, i as u64);
            assert_eq!(ObjectType::from_u64(i as u64), Some(*t));
        }
        assert_eq!(ObjectType::from_u64(ObjectType::ALL.len() as u64), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(ObjectType::Untyped.object_bits(3), None);
        assert_eq!(ObjectType::Untyped.object_bits(4), Some(4));
        assert_eq!(ObjectType::Untyped.object_bits(48), None);
        assert_eq!(ObjectType::CNode.object_bits(0), None);
        assert_eq!(ObjectType::CNode.object_bits(4), Some(10));
        assert_eq!(ObjectType::Frame2M.object_bits(99), Some(21));
        assert!(!ObjectType::Tcb.allowed_in_device_memory());
        assert!(ObjectType::Frame4K.allowed_in_device_memory());
    }
}
