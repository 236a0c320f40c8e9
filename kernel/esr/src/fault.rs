//! The fault status code (DFSC/IFSC) of data and instruction aborts.

/// What went wrong in a data or instruction abort: the 6-bit DFSC or IFSC.
///
/// The kernel needs to tell "not mapped" (translation fault: a page fault
/// to hand to the pager or the VMM) from "mapped without the right"
/// (permission fault) and from faults that mean a kernel or hardware bug.
/// Levels are the translation table levels 0 to 3 of the 4 KiB granule.
/// Codes for level -1 or -2 (FEAT_LPA2, FEAT_D128), tag checks, parity
/// errors and granule protection are kept as [`FaultStatus::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultStatus {
    /// 0b0000LL: an output or table address wider than configured.
    AddressSize {
        /// Table level of the walk, 0 to 3.
        level: u8,
    },
    /// 0b0001LL: no valid descriptor: the address is not mapped.
    TranslationFault {
        /// Table level at which the walk found the invalid descriptor.
        level: u8,
    },
    /// 0b0010LL: the descriptor's access flag was clear.
    AccessFlag {
        /// Table level of the descriptor.
        level: u8,
    },
    /// 0b0011LL: mapped, but the access is not permitted.
    PermissionFault {
        /// Table level of the descriptor.
        level: u8,
    },
    /// 0b010000: synchronous external abort outside a table walk.
    SynchronousExternal,
    /// 0b0101LL: synchronous external abort while reading a table.
    SynchronousExternalOnWalk {
        /// Table level being read.
        level: u8,
    },
    /// 0b100001: alignment fault.
    Alignment,
    /// 0b110000: more than one TLB entry matched.
    TlbConflict,
    /// Any other code, kept as it was read.
    Other(u8),
}

/// Base code of each level-indexed group; the level is added to it.
const ADDRESS_SIZE: u8 = 0x00;
/// Base code of translation faults.
const TRANSLATION: u8 = 0x04;
/// Base code of access flag faults.
const ACCESS_FLAG: u8 = 0x08;
/// Base code of permission faults.
const PERMISSION: u8 = 0x0C;
/// Code of a synchronous external abort outside a walk.
const EXTERNAL: u8 = 0x10;
/// Base code of synchronous external aborts on a walk.
const EXTERNAL_WALK: u8 = 0x14;
/// Code of an alignment fault.
const ALIGNMENT: u8 = 0x21;
/// Code of a TLB conflict abort.
const TLB_CONFLICT: u8 = 0x30;

impl FaultStatus {
    /// Classifies a 6-bit fault status code; bits above the sixth are
    /// ignored.
    pub const fn from_code(code: u8) -> Self {
        let code = code & 0x3F;
        let level = code & 0x3;
        match code & !0x3 {
            ADDRESS_SIZE => Self::AddressSize { level },
            TRANSLATION => Self::TranslationFault { level },
            ACCESS_FLAG => Self::AccessFlag { level },
            PERMISSION => Self::PermissionFault { level },
            EXTERNAL_WALK => Self::SynchronousExternalOnWalk { level },
            _ => Self::from_single_code(code),
        }
    }

    /// Classifies the codes that carry no level.
    const fn from_single_code(code: u8) -> Self {
        match code {
            EXTERNAL => Self::SynchronousExternal,
            ALIGNMENT => Self::Alignment,
            TLB_CONFLICT => Self::TlbConflict,
            other => Self::Other(other),
        }
    }

    /// The 6-bit code, the inverse of [`FaultStatus::from_code`] for every
    /// value it produces. A level above 3 in a hand-built value is reduced
    /// to its low two bits.
    pub const fn code(self) -> u8 {
        match self {
            Self::AddressSize { level } => ADDRESS_SIZE | (level & 0x3),
            Self::TranslationFault { level } => TRANSLATION | (level & 0x3),
            Self::AccessFlag { level } => ACCESS_FLAG | (level & 0x3),
            Self::PermissionFault { level } => PERMISSION | (level & 0x3),
            Self::SynchronousExternal => EXTERNAL,
            Self::SynchronousExternalOnWalk { level } => EXTERNAL_WALK | (level & 0x3),
            Self::Alignment => ALIGNMENT,
            Self::TlbConflict => TLB_CONFLICT,
            Self::Other(code) => code & 0x3F,
        }
    }

    /// The translation table level, for the faults that report one.
    pub const fn level(self) -> Option<u8> {
        match self {
            Self::AddressSize { level }
            | Self::TranslationFault { level }
            | Self::AccessFlag { level }
            | Self::PermissionFault { level }
            | Self::SynchronousExternalOnWalk { level } => Some(level),
            _ => None,
        }
    }

    /// A short human-readable name, without the level.
    pub const fn name(self) -> &'static str {
        match self {
            Self::AddressSize { .. } => "address size fault",
            Self::TranslationFault { .. } => "translation fault",
            Self::AccessFlag { .. } => "access flag fault",
            Self::PermissionFault { .. } => "permission fault",
            Self::SynchronousExternal => "synchronous external abort",
            Self::SynchronousExternalOnWalk { .. } => "synchronous external abort on table walk",
            Self::Alignment => "alignment fault",
            Self::TlbConflict => "TLB conflict abort",
            Self::Other(_) => "fault status",
        }
    }
}

impl core::fmt::Display for FaultStatus {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self, self.level()) {
            (Self::Other(code), _) => write!(f, "fault status {code:#04x}"),
            (_, Some(level)) => write!(f, "{}, level {level}", self.name()),
            (_, None) => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0u8..64 {
            let status = FaultStatus::from_code(code);
            assert_eq!(status.code(), code, "{status:?}");
            if let Some(level) = status.level() {
                assert!(level <= 3);
            }
        }
    }
}
