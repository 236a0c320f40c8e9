//! Stage-1 memory attributes for the EL2&0 regime: memory types with fixed
//! MAIR_EL2 indices, access permissions and execute permissions.

use core::fmt;

use bitflags::bitflags;

/// MAIR_EL2 for the fixed memory-type indices of [`MemoryType`]:
/// index 0 Device-nGnRE (0x04), 1 Normal write-back read/write-allocate
/// inner and outer (0xff), 2 Normal non-cacheable (0x44), 3 Device-nGnRnE
/// (0x00). Indices 4–7 are unused (0x00).
pub const MAIR_EL2: u64 = mair_entry(MemoryType::Device)
    | mair_entry(MemoryType::Normal)
    | mair_entry(MemoryType::NormalNonCacheable)
    | mair_entry(MemoryType::DeviceStrict);

/// Bits 4:2: the index into MAIR_EL2.
const ATTR_INDEX_SHIFT: u32 = 2;
const ATTR_INDEX_MASK: u64 = 0b111 << ATTR_INDEX_SHIFT;
/// Bits 9:8 = 0b11: inner shareable.
const INNER_SHAREABLE: u64 = 0b11 << 8;

bitflags! {
    /// The single-bit fields of a stage-1 leaf.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct Flags: u64 {
        /// AP[1]: EL0 has the same access as EL2.
        const AP_EL0 = 1 << 6;
        /// AP[2]: read-only.
        const AP_READ_ONLY = 1 << 7;
        /// Access flag; always set so that no access-flag fault is taken.
        const AF = 1 << 10;
        /// Not global: the entry is tagged with the current ASID.
        const NG = 1 << 11;
        /// Privileged (EL2) execute-never.
        const PXN = 1 << 53;
        /// Unprivileged (EL0) execute-never.
        const UXN = 1 << 54;
    }
}

/// The memory type of a mapping; each has a fixed index in [`MAIR_EL2`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryType {
    /// Device-nGnRE: MMIO with early write acknowledgement. Index 0.
    Device,
    /// Normal, write-back cacheable, read/write-allocate. Index 1.
    Normal,
    /// Normal, non-cacheable. Index 2.
    NormalNonCacheable,
    /// Device-nGnRnE: MMIO without early write acknowledgement. Index 3.
    DeviceStrict,
}

impl MemoryType {
    /// The index of this type's attribute byte in [`MAIR_EL2`].
    pub const fn mair_index(self) -> u8 {
        match self {
            MemoryType::Device => 0,
            MemoryType::Normal => 1,
            MemoryType::NormalNonCacheable => 2,
            MemoryType::DeviceStrict => 3,
        }
    }

    /// The memory type at MAIR index `index`, or `None` for unused indices.
    pub const fn from_mair_index(index: u8) -> Option<Self> {
        match index {
            0 => Some(MemoryType::Device),
            1 => Some(MemoryType::Normal),
            2 => Some(MemoryType::NormalNonCacheable),
            3 => Some(MemoryType::DeviceStrict),
            _ => None,
        }
    }

    /// This type's attribute byte in MAIR_EL2.
    pub const fn mair_attribute(self) -> u8 {
        match self {
            MemoryType::Device => 0x04,
            MemoryType::Normal => 0xff,
            MemoryType::NormalNonCacheable => 0x44,
            MemoryType::DeviceStrict => 0x00,
        }
    }

    /// Whether this is a Device type, which must never be executable.
    pub const fn is_device(self) -> bool {
        matches!(self, MemoryType::Device | MemoryType::DeviceStrict)
    }

    /// The shareability field: inner shareable for Normal memory, 0 for
    /// Device memory (where the field is ignored).
    const fn shareability(self) -> u64 {
        if self.is_device() { 0 } else { INNER_SHAREABLE }
    }
}

/// Read/write permission at EL2 and EL0: the four encodings of AP\[2:1\].
///
/// EL0 never gets more access than EL2, so "EL2 read-only, EL0 read-write"
/// cannot be expressed. Note that the architecture treats a page that EL0
/// can write as execute-never at EL2, whatever PXN says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// EL2 read-only, no EL0 access (AP = 0b10).
    KernelRead,
    /// EL2 read-write, no EL0 access (AP = 0b00).
    KernelReadWrite,
    /// EL2 and EL0 read-only (AP = 0b11).
    UserRead,
    /// EL2 and EL0 read-write (AP = 0b01).
    UserReadWrite,
}

impl Access {
    const fn flags(self) -> Flags {
        match self {
            Access::KernelRead => Flags::AP_READ_ONLY,
            Access::KernelReadWrite => Flags::empty(),
            Access::UserRead => Flags::AP_READ_ONLY.union(Flags::AP_EL0),
            Access::UserReadWrite => Flags::AP_EL0,
        }
    }

    const fn from_flags(flags: Flags) -> Self {
        match (
            flags.contains(Flags::AP_READ_ONLY),
            flags.contains(Flags::AP_EL0),
        ) {
            (true, false) => Access::KernelRead,
            (false, false) => Access::KernelReadWrite,
            (true, true) => Access::UserRead,
            (false, true) => Access::UserReadWrite,
        }
    }
}

/// Why a set of [`Attributes`] cannot be encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeError {
    /// Device memory was marked executable at EL2 or EL0.
    ExecutableDevice,
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeError::ExecutableDevice => f.write_str("device memory cannot be executable"),
        }
    }
}

impl core::error::Error for AttributeError {}

/// What a stage-1 leaf grants: memory type, access, execution and ASID
/// scope. Write-xor-execute is the caller's policy; the constructors give
/// the usual safe combinations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attributes {
    /// The memory type (MAIR index).
    pub memory: MemoryType,
    /// Read/write permission at EL2 and EL0.
    pub access: Access,
    /// Executable at EL2 (PXN clear).
    pub kernel_exec: bool,
    /// Executable at EL0 (UXN clear).
    pub user_exec: bool,
    /// Valid for every ASID (nG clear). User mappings should be per-ASID.
    pub global: bool,
}

impl Attributes {
    /// Kernel text: Normal, EL2 read-only and executable, global.
    pub const fn kernel_code() -> Self {
        Self::kernel(Access::KernelRead, true)
    }

    /// Kernel read-only data: Normal, EL2 read-only, never executable.
    pub const fn kernel_rodata() -> Self {
        Self::kernel(Access::KernelRead, false)
    }

    /// Kernel data: Normal, EL2 read-write, never executable, global.
    pub const fn kernel_data() -> Self {
        Self::kernel(Access::KernelReadWrite, false)
    }

    /// An MMIO window: Device-nGnRE, EL2 read-write, never executable.
    pub const fn device() -> Self {
        Self {
            memory: MemoryType::Device,
            ..Self::kernel_data()
        }
    }

    /// User data: Normal, EL2 and EL0 read-write, never executable,
    /// per-ASID.
    pub const fn user_data() -> Self {
        Self::user(Access::UserReadWrite, false)
    }

    /// User text: Normal, EL2 and EL0 read-only, executable at EL0 only,
    /// per-ASID.
    pub const fn user_code() -> Self {
        Self::user(Access::UserRead, true)
    }

    const fn kernel(access: Access, exec: bool) -> Self {
        let memory = MemoryType::Normal;
        Self {
            memory,
            access,
            kernel_exec: exec,
            user_exec: false,
            global: true,
        }
    }

    const fn user(access: Access, exec: bool) -> Self {
        let memory = MemoryType::Normal;
        Self {
            memory,
            access,
            kernel_exec: false,
            user_exec: exec,
            global: false,
        }
    }

    /// The attribute bits of a stage-1 leaf (AttrIndx, AP, SH, AF, nG,
    /// PXN, UXN), to pass to [`crate::Descriptor::leaf`].
    pub const fn to_bits(self) -> Result<u64, AttributeError> {
        if self.memory.is_device() && (self.kernel_exec || self.user_exec) {
            return Err(AttributeError::ExecutableDevice);
        }
        let flags = Flags::AF
            .union(self.access.flags())
            .union(flag_if(!self.global, Flags::NG))
            .union(flag_if(!self.kernel_exec, Flags::PXN))
            .union(flag_if(!self.user_exec, Flags::UXN));
        let index = (self.memory.mair_index() as u64) << ATTR_INDEX_SHIFT;
        Ok(flags.bits() | index | self.memory.shareability())
    }

    /// The attributes of a stage-1 leaf with descriptor bits `bits`, or
    /// `None` if its AttrIndx is not one of the fixed [`MemoryType`]s.
    /// Shareability and the access flag are not reported.
    pub const fn from_bits(bits: u64) -> Option<Self> {
        let index = ((bits & ATTR_INDEX_MASK) >> ATTR_INDEX_SHIFT) as u8;
        let Some(memory) = MemoryType::from_mair_index(index) else {
            return None;
        };
        let flags = Flags::from_bits_truncate(bits);
        Some(Self {
            memory,
            access: Access::from_flags(flags),
            kernel_exec: !flags.contains(Flags::PXN),
            user_exec: !flags.contains(Flags::UXN),
            global: !flags.contains(Flags::NG),
        })
    }
}

const fn flag_if(condition: bool, flag: Flags) -> Flags {
    if condition { flag } else { Flags::empty() }
}

const fn mair_entry(memory: MemoryType) -> u64 {
    (memory.mair_attribute() as u64) << (8 * memory.mair_index() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptor::LEAF_ATTRIBUTE_MASK;

    const MEMORY: [MemoryType; 4] = [
        MemoryType::Device,
        MemoryType::Normal,
        MemoryType::NormalNonCacheable,
        MemoryType::DeviceStrict,
    ];
    const ACCESS: [Access; 4] = [
        Access::KernelRead,
        Access::KernelReadWrite,
        Access::UserRead,
        Access::UserReadWrite,
    ];

    /// Every value of [`Attributes`]: 4 × 4 × 2 × 2 × 2.
    fn all_attributes() -> impl Iterator<Item = Attributes> {
        MEMORY.into_iter().flat_map(|memory| {
            ACCESS.into_iter().flat_map(move |access| {
                (0..8u8).map(move |b| Attributes {
                    memory,
                    access,
                    kernel_exec: b & 1 != 0,
                    user_exec: b & 2 != 0,
                    global: b & 4 != 0,
                })
            })
        })
    }

    #[test]
    fn mair_value_and_indices() {
        assert_eq!(MAIR_EL2, 0x0044_ff04);
        for memory in MEMORY {
            let byte = (MAIR_EL2 >> (8 * memory.mair_index())) as u8;
            assert_eq!(byte, memory.mair_attribute());
            assert_eq!(
                MemoryType::from_mair_index(memory.mair_index()),
                Some(memory)
            );
        }
        assert_eq!(MemoryType::from_mair_index(4), None);
    }

    #[test]
    fn every_encodable_value_round_trips() {
        let mut encoded = 0;
        for attrs in all_attributes() {
            let Ok(bits) = attrs.to_bits() else {
                assert!(attrs.memory.is_device() && (attrs.kernel_exec || attrs.user_exec));
                continue;
            };
            encoded += 1;
            assert_eq!(bits & !LEAF_ATTRIBUTE_MASK, 0, "{attrs:?}");
            assert_ne!(bits & Flags::AF.bits(), 0);
            assert_eq!(Attributes::from_bits(bits), Some(attrs));
        }
        // Normal types: all 64; device types: only the 16 non-executable.
        assert_eq!(encoded, 2 * 32 + 2 * 8);
    }

    #[test]
    fn executable_device_is_rejected() {
        for memory in [MemoryType::Device, MemoryType::DeviceStrict] {
            let kernel = Attributes {
                memory,
                ..Attributes::kernel_code()
            };
            let user = Attributes {
                memory,
                ..Attributes::user_code()
            };
            assert_eq!(kernel.to_bits(), Err(AttributeError::ExecutableDevice));
            assert_eq!(user.to_bits(), Err(AttributeError::ExecutableDevice));
        }
    }

    #[test]
    fn constructor_encodings() {
        let af_sh = (1 << 10) | (0b11 << 8);
        let pxn = 1 << 53;
        let uxn = 1 << 54;
        let ng = 1 << 11;
        let normal = 1 << 2;
        let cases = [
            (
                Attributes::kernel_code(),
                af_sh | normal | (0b10 << 6) | uxn,
            ),
            (
                Attributes::kernel_rodata(),
                af_sh | normal | (0b10 << 6) | uxn | pxn,
            ),
            (Attributes::kernel_data(), af_sh | normal | uxn | pxn),
            (Attributes::device(), (1 << 10) | uxn | pxn),
            (
                Attributes::user_data(),
                af_sh | normal | (0b01 << 6) | ng | uxn | pxn,
            ),
            (
                Attributes::user_code(),
                af_sh | normal | (0b11 << 6) | ng | pxn,
            ),
        ];
        for (attrs, bits) in cases {
            assert_eq!(attrs.to_bits(), Ok(bits), "{attrs:?}");
        }
    }

    #[test]
    fn unused_mair_index_does_not_decode() {
        for index in 4..8u64 {
            assert_eq!(Attributes::from_bits(index << ATTR_INDEX_SHIFT), None);
        }
    }

    #[test]
    fn device_is_not_shareable_normal_is_inner_shareable() {
        let strict = Attributes {
            memory: MemoryType::DeviceStrict,
            ..Attributes::device()
        };
        let uncached = Attributes {
            memory: MemoryType::NormalNonCacheable,
            ..Attributes::kernel_data()
        };
        assert_eq!(strict.to_bits().unwrap() & INNER_SHAREABLE, 0);
        assert_eq!(
            uncached.to_bits().unwrap() & INNER_SHAREABLE,
            INNER_SHAREABLE
        );
        assert_eq!(strict.to_bits().unwrap() & ATTR_INDEX_MASK, 3 << 2);
        assert_eq!(uncached.to_bits().unwrap() & ATTR_INDEX_MASK, 2 << 2);
    }
}
