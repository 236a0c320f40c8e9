//! Data and instruction aborts (EC 0x20, 0x21, 0x24, 0x25).

use crate::fault::FaultStatus;
use crate::field::{bit, bits_u8};

/// Fault status code, bits `[5:0]` of both abort syndromes.
const FSC_WIDTH: u32 = 6;
/// WnR: the faulting access was a write.
const WNR: u32 = 6;
/// S1PTW: a stage-2 fault taken while walking the stage-1 tables.
const S1PTW: u32 = 7;
/// CM: the access was a cache maintenance or address translation instruction.
const CM: u32 = 8;
/// FnV: FAR_EL2 does not hold the faulting address.
const FNV: u32 = 10;
/// AR: the access had acquire or release semantics.
const AR: u32 = 14;
/// SF: the transfer register was 64 bits wide.
const SF: u32 = 15;
/// SRT: the transfer register number.
const SRT: u32 = 16;
/// SSE: the load sign-extends.
const SSE: u32 = 21;
/// SAS: log2 of the access size in bytes.
const SAS: u32 = 22;
/// ISV: bits `[23:14]` describe the instruction.
const ISV: u32 = 24;

/// A decoded data abort.
///
/// When `syndrome_valid` (ISV) is set the hardware describes the load or
/// store, which is what lets a hypervisor emulate an MMIO access without
/// fetching and decoding the guest's instruction. The `Option` fields are
/// `Some` exactly when `syndrome_valid` is true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataAbort {
    /// True for EC 0x24 (from EL0 or a guest), false for 0x25 (from EL2
    /// itself, a kernel bug or an expected user-copy fault).
    pub lower_el: bool,
    /// Why the access faulted (DFSC).
    pub fault: FaultStatus,
    /// The access was a write (WnR). For atomics, a write that also read.
    pub write: bool,
    /// The instruction syndrome below is valid (ISV).
    pub syndrome_valid: bool,
    /// Access size in bytes: 1, 2, 4 or 8 (SAS).
    pub access_size: Option<u8>,
    /// A load that sign-extends (SSE).
    pub sign_extend: Option<bool>,
    /// Transfer register number (SRT); 31 means xzr/wzr, not sp.
    pub register: Option<u8>,
    /// The register is 64 bits wide, not 32 (SF).
    pub sixty_four: Option<bool>,
    /// The access had acquire/release semantics (AR).
    pub acquire_release: Option<bool>,
    /// Caused by a cache maintenance or address translation instruction (CM).
    pub cache_maintenance: bool,
    /// A stage-2 fault on a stage-1 table walk (S1PTW): the guest's page
    /// tables, not the guest's access, hit unmapped memory.
    pub s1ptw: bool,
    /// FAR_EL2 holds the faulting address (the inverse of FnV).
    pub far_valid: bool,
}

impl DataAbort {
    /// Decodes the ISS of a data abort.
    pub const fn from_iss(iss: u32, lower_el: bool) -> Self {
        let iss = iss as u64;
        let valid = bit(iss, ISV);
        Self {
            lower_el,
            fault: FaultStatus::from_code(bits_u8(iss, 0, FSC_WIDTH)),
            write: bit(iss, WNR),
            syndrome_valid: valid,
            access_size: when(valid, access_size(bits_u8(iss, SAS, 2))),
            sign_extend: when(valid, bit(iss, SSE)),
            register: when(valid, bits_u8(iss, SRT, 5)),
            sixty_four: when(valid, bit(iss, SF)),
            acquire_release: when(valid, bit(iss, AR)),
            cache_maintenance: bit(iss, CM),
            s1ptw: bit(iss, S1PTW),
            far_valid: !bit(iss, FNV),
        }
    }
}

/// A decoded instruction abort: the fetch side has no access description.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Abort {
    /// True for EC 0x20 (from EL0 or a guest), false for 0x21 (from EL2).
    pub lower_el: bool,
    /// Why the fetch faulted (IFSC).
    pub fault: FaultStatus,
    /// A stage-2 fault on a stage-1 table walk (S1PTW).
    pub s1ptw: bool,
    /// FAR_EL2 holds the faulting address (the inverse of FnV).
    pub far_valid: bool,
}

impl Abort {
    /// Decodes the ISS of an instruction abort.
    pub const fn from_iss(iss: u32, lower_el: bool) -> Self {
        let iss = iss as u64;
        Self {
            lower_el,
            fault: FaultStatus::from_code(bits_u8(iss, 0, FSC_WIDTH)),
            s1ptw: bit(iss, S1PTW),
            far_valid: !bit(iss, FNV),
        }
    }
}

/// Turns SAS (log2 of the size) into a byte count.
const fn access_size(sas: u8) -> u8 {
    match sas {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => 8,
    }
}

/// `Some(value)` when the syndrome is valid, `None` otherwise.
const fn when<T: Copy>(valid: bool, value: T) -> Option<T> {
    if valid { Some(value) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_syndrome_hides_instruction_fields() {
        // Every instruction field set, ISV clear.
        let abort = DataAbort::from_iss(0x00FF_C000, true);
        assert!(!abort.syndrome_valid);
        assert_eq!(abort.access_size, None);
        assert_eq!(abort.register, None);
        assert_eq!(abort.sixty_four, None);
    }

    #[test]
    fn access_sizes() {
        assert_eq!(access_size(0), 1);
        assert_eq!(access_size(1), 2);
        assert_eq!(access_size(2), 4);
        assert_eq!(access_size(3), 8);
    }
}
