//! Stage 2 of the EL1&0 regime: the translation from a guest's
//! intermediate physical addresses (IPAs) to physical addresses, which
//! the hypervisor controls (VTTBR_EL2, VTCR_EL2).
//!
//! The tables have the same shape as stage 1 (4 KiB granule, four levels
//! from level 0, 48-bit IPAs), so [`crate::Descriptor`] and
//! [`crate::Mapper`] serve both; only the leaf attributes differ: the
//! memory type is written into the descriptor itself (MemAttr, no MAIR),
//! and the access permissions (S2AP) and execute-never (XN) apply to the
//! guest's EL1 and EL0 alike.

use core::fmt;

use crate::attributes::{AttributeError, MemoryType};
use crate::regime::Regime;

/// Bits 5:2: MemAttr, the memory type (with HCR_EL2.FWB clear).
const MEM_ATTR_SHIFT: u32 = 2;
const MEM_ATTR_MASK: u64 = 0b1111 << MEM_ATTR_SHIFT;
/// Bits 7:6: S2AP, read (bit 6) and write (bit 7) permission.
const S2AP_READ: u64 = 1 << 6;
const S2AP_WRITE: u64 = 1 << 7;
/// Bits 9:8 = 0b11: inner shareable.
const INNER_SHAREABLE: u64 = 0b11 << 8;
/// Access flag; always set so that no access-flag fault is taken.
const AF: u64 = 1 << 10;
/// Bit 54: XN[1], execute-never at EL1 and EL0 (XN[0], bit 53, stays 0).
const XN: u64 = 1 << 54;

/// What a guest may do with a stage-2 mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stage2Attributes {
    /// The memory type (combined with the guest's own stage-1 type, the
    /// stricter wins).
    pub memory: MemoryType,
    /// Loads allowed (S2AP\[0\]).
    pub read: bool,
    /// Stores allowed (S2AP\[1\]).
    pub write: bool,
    /// Instruction fetch allowed at EL1 and EL0 (XN clear).
    pub execute: bool,
}

impl Stage2Attributes {
    /// Guest RAM: Normal write-back, read, write and execute.
    pub const fn ram() -> Self {
        Self {
            memory: MemoryType::Normal,
            read: true,
            write: true,
            execute: true,
        }
    }

    /// A device passed through to the guest: Device-nGnRE, read and write,
    /// never executable.
    pub const fn device() -> Self {
        Self {
            memory: MemoryType::Device,
            read: true,
            write: true,
            execute: false,
        }
    }

    /// The attribute bits of a stage-2 leaf (MemAttr, S2AP, SH, AF, XN),
    /// to pass to [`crate::Descriptor::leaf`].
    pub const fn to_bits(self) -> Result<u64, AttributeError> {
        if self.memory.is_device() && self.execute {
            return Err(AttributeError::ExecutableDevice);
        }
        let mut bits = (mem_attr(self.memory) << MEM_ATTR_SHIFT) | AF | self.shareability();
        if self.read {
            bits |= S2AP_READ;
        }
        if self.write {
            bits |= S2AP_WRITE;
        }
        if !self.execute {
            bits |= XN;
        }
        Ok(bits)
    }

    /// The attributes of a stage-2 leaf with descriptor bits `bits`, or
    /// `None` if its MemAttr is not one of the [`MemoryType`]s.
    pub const fn from_bits(bits: u64) -> Option<Self> {
        let Some(memory) = memory_type((bits & MEM_ATTR_MASK) >> MEM_ATTR_SHIFT) else {
            return None;
        };
        Some(Self {
            memory,
            read: bits & S2AP_READ != 0,
            write: bits & S2AP_WRITE != 0,
            execute: bits & XN == 0,
        })
    }

    const fn shareability(self) -> u64 {
        if self.memory.is_device() {
            0
        } else {
            INNER_SHAREABLE
        }
    }
}

/// MemAttr\[3:0\] for `memory`: Device types are 0b00xx, Normal types give
/// the outer (bits 3:2) and inner (bits 1:0) cacheability.
const fn mem_attr(memory: MemoryType) -> u64 {
    match memory {
        MemoryType::DeviceStrict => 0b0000,
        MemoryType::Device => 0b0001,
        MemoryType::NormalNonCacheable => 0b0101,
        MemoryType::Normal => 0b1111,
    }
}

const fn memory_type(mem_attr: u64) -> Option<MemoryType> {
    match mem_attr {
        0b0000 => Some(MemoryType::DeviceStrict),
        0b0001 => Some(MemoryType::Device),
        0b0101 => Some(MemoryType::NormalNonCacheable),
        0b1111 => Some(MemoryType::Normal),
        _ => None,
    }
}

impl fmt::Display for Stage2Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |on: bool, c: char| if on { c } else { '-' };
        write!(
            f,
            "{:?} {}{}{}",
            self.memory,
            flag(self.read, 'r'),
            flag(self.write, 'w'),
            flag(self.execute, 'x')
        )
    }
}

/// Stage 2 of the EL1&0 regime, translated through VTTBR_EL2.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stage2;

impl Regime for Stage2 {
    type Attributes = Stage2Attributes;

    fn encode(attributes: &Stage2Attributes) -> Result<u64, AttributeError> {
        attributes.to_bits()
    }

    fn decode(bits: u64) -> Option<Stage2Attributes> {
        Stage2Attributes::from_bits(bits)
    }
}

/// VTCR_EL2 for stage-2 tables like the crate's: 48-bit IPAs (T0SZ 16),
/// a 4 KiB granule, the walk starting at level 0 (SL0 0b10), table walks
/// inner-shareable write-back, the output size from the CPU's physical
/// address size (ID_AA64MMFR0_EL1.PARange in `mmfr0`, capped at 48 bits)
/// and 16-bit VMIDs when the CPU has them (ID_AA64MMFR1_EL1.VMIDBits in
/// `mmfr1`).
pub const fn vtcr_el2(mmfr0: u64, mmfr1: u64) -> u64 {
    const T0SZ_48: u64 = 16;
    const SL0_LEVEL0: u64 = 0b10 << 6;
    const IRGN0_WB: u64 = 0b01 << 8;
    const ORGN0_WB: u64 = 0b01 << 10;
    const SH0_INNER: u64 = 0b11 << 12;
    const PS_SHIFT: u32 = 16;
    const VS: u64 = 1 << 19;
    /// RES1 bit 31.
    const RES1: u64 = 1 << 31;
    let parange = mmfr0 & 0xf;
    let ps = if parange > 0b101 { 0b101 } else { parange };
    let vmid16 = (mmfr1 >> 4) & 0xf == 0b0010;
    T0SZ_48
        | SL0_LEVEL0
        | IRGN0_WB
        | ORGN0_WB
        | SH0_INNER
        | (ps << PS_SHIFT)
        | if vmid16 { VS } else { 0 }
        | RES1
}

/// VTTBR_EL2 for a stage-2 root table at `root` (4 KiB aligned) tagged
/// with `vmid`.
pub const fn vttbr_el2(root: u64, vmid: u16) -> u64 {
    (root & 0x0000_ffff_ffff_f000) | ((vmid as u64) << 48)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LEAF_ATTRIBUTE_MASK;

    fn all() -> impl Iterator<Item = Stage2Attributes> {
        let memories = [
            MemoryType::Normal,
            MemoryType::NormalNonCacheable,
            MemoryType::Device,
            MemoryType::DeviceStrict,
        ];
        memories.into_iter().flat_map(|memory| {
            (0..8u8).map(move |p| Stage2Attributes {
                memory,
                read: p & 1 != 0,
                write: p & 2 != 0,
                execute: p & 4 != 0,
            })
        })
    }

    #[test]
    fn every_encodable_value_round_trips_inside_the_leaf_mask() {
        for a in all() {
            match a.to_bits() {
                Ok(bits) => {
                    assert_eq!(bits & !LEAF_ATTRIBUTE_MASK, 0, "{a}");
                    assert_eq!(Stage2Attributes::from_bits(bits), Some(a), "{a}");
                    assert_eq!(Stage2::decode(Stage2::encode(&a).unwrap()), Some(a));
                }
                Err(e) => {
                    assert!(a.memory.is_device() && a.execute, "{a}: {e}");
                }
            }
        }
    }

    #[test]
    fn the_architected_encodings() {
        // Normal WB, RW, executable: MemAttr 0b1111, S2AP 0b11, SH 0b11, AF.
        assert_eq!(
            Stage2Attributes::ram().to_bits(),
            Ok((0b1111 << 2) | (0b11 << 6) | (0b11 << 8) | (1 << 10))
        );
        // Device-nGnRE, RW, XN: MemAttr 0b0001, not shareable.
        assert_eq!(
            Stage2Attributes::device().to_bits(),
            Ok((0b0001 << 2) | (0b11 << 6) | (1 << 10) | (1 << 54))
        );
        let read_only = Stage2Attributes {
            write: false,
            ..Stage2Attributes::ram()
        };
        assert_eq!(read_only.to_bits().unwrap() & (0b11 << 6), 0b01 << 6);
    }

    #[test]
    fn executable_device_memory_is_refused() {
        let bad = Stage2Attributes {
            execute: true,
            ..Stage2Attributes::device()
        };
        assert_eq!(bad.to_bits(), Err(AttributeError::ExecutableDevice));
    }

    #[test]
    fn unknown_memory_attributes_do_not_decode() {
        assert_eq!(Stage2Attributes::from_bits(0b0011 << 2), None);
    }

    #[test]
    fn vtcr_follows_the_cpu() {
        // PARange 0b0101 (48 bits), 16-bit VMIDs (VMIDBits 0b0010).
        let v = vtcr_el2(0b0101, 0b0010 << 4);
        assert_eq!(v & 0x3f, 16);
        assert_eq!((v >> 6) & 0b11, 0b10);
        assert_eq!((v >> 16) & 0b111, 0b101);
        assert_ne!(v & (1 << 19), 0);
        assert_ne!(v & (1 << 31), 0);
        // 52-bit PARange is capped at 48; 8-bit VMIDs.
        let v = vtcr_el2(0b0110, 0);
        assert_eq!((v >> 16) & 0b111, 0b101);
        assert_eq!(v & (1 << 19), 0);
    }

    #[test]
    fn vttbr_puts_the_vmid_on_top() {
        assert_eq!(vttbr_el2(0x4123_4000, 7), 0x0007_0000_4123_4000);
        assert_eq!(vttbr_el2(0x4123_4fff, 0xffff) >> 48, 0xffff);
        assert_eq!(vttbr_el2(0x4123_4fff, 1) & 0xfff, 0);
    }
}
