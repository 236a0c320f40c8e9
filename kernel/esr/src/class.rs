//! The exception class (ESR_EL2.EC) and the raw syndrome split into fields.

use crate::field::{bit, bits_u8, bits_u32};

/// Bit position of EC in ESR_EL2.
const EC_SHIFT: u32 = 26;
/// Width of EC in bits.
const EC_WIDTH: u32 = 6;
/// Bit position of IL in ESR_EL2.
const IL_SHIFT: u32 = 25;
/// Width of ISS in bits.
const ISS_WIDTH: u32 = 25;

/// Why an exception was taken to EL2: the EC field of ESR_EL2.
///
/// Only the classes the kernel acts on are named; every other code is kept
/// as [`ExceptionClass::Other`] so that nothing is lost when a fault is
/// reported. `Other` is never produced for a code that has a named variant,
/// so comparing classes with `==` is reliable for decoded values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExceptionClass {
    /// 0x00: unknown reason, e.g. an undefined instruction.
    Unknown,
    /// 0x01: trapped WFI or WFE (and the WFIT/WFET variants).
    WfxTrap,
    /// 0x07: access to SVE, Advanced SIMD or floating point while trapped.
    FpAccess,
    /// 0x0E: illegal execution state (PSTATE.IL set on return).
    IllegalState,
    /// 0x15: SVC from AArch64: a native thread's system call.
    Svc64,
    /// 0x16: HVC from AArch64: a guest's hypercall.
    Hvc64,
    /// 0x17: trapped SMC from AArch64: a guest's firmware call (PSCI).
    Smc64,
    /// 0x18: trapped MSR, MRS or system instruction from AArch64.
    SysRegTrap,
    /// 0x20: instruction abort from a lower exception level.
    InstructionAbortLower,
    /// 0x21: instruction abort taken without a change of exception level.
    InstructionAbortSame,
    /// 0x22: misaligned program counter.
    PcAlignment,
    /// 0x24: data abort from a lower exception level.
    DataAbortLower,
    /// 0x25: data abort taken without a change of exception level.
    DataAbortSame,
    /// 0x26: misaligned stack pointer.
    SpAlignment,
    /// 0x2C: trapped floating-point exception from AArch64.
    FpException,
    /// 0x2F: SError interrupt.
    SError,
    /// 0x30: breakpoint from a lower exception level.
    BreakpointLower,
    /// 0x31: breakpoint taken without a change of exception level.
    BreakpointSame,
    /// 0x32: software step from a lower exception level.
    SoftwareStepLower,
    /// 0x33: software step taken without a change of exception level.
    SoftwareStepSame,
    /// 0x34: watchpoint from a lower exception level.
    WatchpointLower,
    /// 0x35: watchpoint taken without a change of exception level.
    WatchpointSame,
    /// 0x3C: BRK instruction from AArch64.
    Brk,
    /// Any other EC value (AArch32 traps, SVE, pointer authentication, ...).
    Other(u8),
}

impl ExceptionClass {
    /// Classifies a 6-bit EC value; bits above the sixth are ignored.
    pub const fn from_code(code: u8) -> Self {
        match code & 0x3F {
            0x00 => Self::Unknown,
            0x01 => Self::WfxTrap,
            0x07 => Self::FpAccess,
            0x0E => Self::IllegalState,
            0x15 => Self::Svc64,
            0x16 => Self::Hvc64,
            0x17 => Self::Smc64,
            0x18 => Self::SysRegTrap,
            0x20 => Self::InstructionAbortLower,
            0x21 => Self::InstructionAbortSame,
            0x22 => Self::PcAlignment,
            0x24 => Self::DataAbortLower,
            0x25 => Self::DataAbortSame,
            0x26 => Self::SpAlignment,
            0x2C => Self::FpException,
            0x2F => Self::SError,
            0x30 => Self::BreakpointLower,
            0x31 => Self::BreakpointSame,
            0x32 => Self::SoftwareStepLower,
            0x33 => Self::SoftwareStepSame,
            0x34 => Self::WatchpointLower,
            0x35 => Self::WatchpointSame,
            0x3C => Self::Brk,
            other => Self::Other(other),
        }
    }

    /// Reads the class from a full ESR_EL2 value.
    pub const fn from_esr(esr: u64) -> Self {
        Self::from_code(bits_u8(esr, EC_SHIFT, EC_WIDTH))
    }

    /// The 6-bit EC value, for logging and for building syndromes.
    pub const fn code(self) -> u8 {
        match self {
            Self::Unknown => 0x00,
            Self::WfxTrap => 0x01,
            Self::FpAccess => 0x07,
            Self::IllegalState => 0x0E,
            Self::Svc64 => 0x15,
            Self::Hvc64 => 0x16,
            Self::Smc64 => 0x17,
            Self::SysRegTrap => 0x18,
            Self::InstructionAbortLower => 0x20,
            Self::InstructionAbortSame => 0x21,
            Self::PcAlignment => 0x22,
            Self::DataAbortLower => 0x24,
            Self::DataAbortSame => 0x25,
            Self::SpAlignment => 0x26,
            Self::FpException => 0x2C,
            Self::SError => 0x2F,
            Self::BreakpointLower => 0x30,
            Self::BreakpointSame => 0x31,
            Self::SoftwareStepLower => 0x32,
            Self::SoftwareStepSame => 0x33,
            Self::WatchpointLower => 0x34,
            Self::WatchpointSame => 0x35,
            Self::Brk => 0x3C,
            Self::Other(code) => code & 0x3F,
        }
    }

    /// A short human-readable name for fault reports.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "unknown reason",
            Self::WfxTrap => "WFI/WFE trap",
            Self::FpAccess => "FP/SIMD access trap",
            Self::IllegalState => "illegal execution state",
            Self::Svc64 => "SVC",
            Self::Hvc64 => "HVC",
            Self::Smc64 => "SMC",
            Self::SysRegTrap => "system register trap",
            Self::InstructionAbortLower => "instruction abort, lower EL",
            Self::InstructionAbortSame => "instruction abort, same EL",
            Self::PcAlignment => "PC alignment fault",
            Self::DataAbortLower => "data abort, lower EL",
            Self::DataAbortSame => "data abort, same EL",
            Self::SpAlignment => "SP alignment fault",
            Self::FpException => "FP exception",
            Self::SError => "SError",
            Self::BreakpointLower => "breakpoint, lower EL",
            Self::BreakpointSame => "breakpoint, same EL",
            Self::SoftwareStepLower => "software step, lower EL",
            Self::SoftwareStepSame => "software step, same EL",
            Self::WatchpointLower => "watchpoint, lower EL",
            Self::WatchpointSame => "watchpoint, same EL",
            Self::Brk => "BRK",
            Self::Other(_) => "other exception class",
        }
    }
}

impl core::fmt::Display for ExceptionClass {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Other(code) => write!(f, "exception class {code:#04x}"),
            known => f.write_str(known.name()),
        }
    }
}

/// ESR_EL2 split into its architectural fields, before any class-specific
/// decoding.
///
/// This is what a fault report carries when the kernel has no decoder for
/// the class: the raw fields are enough to look the syndrome up in the
/// Arm ARM. The RES0 bits `[63:56]` and the ISS2 field `[55:32]` are not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Syndrome {
    /// Exception class (bits `[31:26]`).
    pub ec: ExceptionClass,
    /// Instruction length (bit 25): true for a 32-bit instruction. Needed to
    /// step over a trapped instruction.
    pub il: bool,
    /// Instruction-specific syndrome (bits `[24:0]`).
    pub iss: u32,
}

impl Syndrome {
    /// Splits a full ESR_EL2 value.
    pub const fn from_esr(esr: u64) -> Self {
        Self {
            ec: ExceptionClass::from_esr(esr),
            il: bit(esr, IL_SHIFT),
            iss: bits_u32(esr, 0, ISS_WIDTH),
        }
    }

    /// Reassembles the low 32 bits of ESR_EL2 from the fields.
    ///
    /// Bits of `iss` above bit 24 are dropped, so the result is always a
    /// well-formed syndrome.
    pub const fn to_esr(self) -> u64 {
        let ec = (self.ec.code() as u64) << EC_SHIFT;
        let il = (self.il as u64) << IL_SHIFT;
        let iss = (self.iss as u64) & crate::field::mask(ISS_WIDTH);
        ec | il | iss
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for code in 0u8..64 {
            let class = ExceptionClass::from_code(code);
            assert_eq!(class.code(), code);
            if let ExceptionClass::Other(inner) = class {
                assert_eq!(inner, code);
            }
        }
    }

    #[test]
    fn syndrome_round_trips() {
        let esr = 0x9600_0004;
        let s = Syndrome::from_esr(esr);
        assert_eq!(s.ec, ExceptionClass::DataAbortSame);
        assert!(s.il);
        assert_eq!(s.iss, 4);
        assert_eq!(s.to_esr(), esr);
    }
}
