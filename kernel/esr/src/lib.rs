//! Decoding of the AArch64 exception syndrome register, ESR_EL2.
//!
//! Every synchronous exception taken to EL2 leaves a syndrome saying why.
//! The kernel reads it for native-thread faults (system calls, page faults,
//! undefined instructions) and, later, for guest exits (stage-2 aborts on
//! MMIO, trapped system registers, hypercalls). This crate turns the raw
//! value into types so that the fault path matches on meaning, not on bit
//! positions. Field layouts follow the Arm ARM, section D24.2.41
//! (ESR_EL2) and its "ISS encoding for an exception from ..." subsections.
//!
//! - [`Syndrome`] and [`ExceptionClass`]: the generic split into EC, IL and
//!   ISS.
//! - [`decode`] and [`Decoded`]: the class-specific ISS decoders.
//! - [`sysreg_encoding`] and constants such as [`ICC_SGI1R_EL1`]: keys for
//!   matching trapped system registers.
//!
//! Decoding is total: every 64-bit value decodes to something, unknown
//! encodings are kept in `Other` variants, and nothing panics.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod abort;
mod class;
mod fault;
mod field;
mod sysreg;
mod wfx;

pub use abort::{Abort, DataAbort};
pub use class::{ExceptionClass, Syndrome};
pub use fault::FaultStatus;
pub use sysreg::{
    CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0, ICC_SGI1R_EL1, SysRegAccess, sysreg_encoding,
};
pub use wfx::{Wfx, WfxKind};

/// An exception syndrome decoded according to its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decoded {
    /// A data abort from the same or a lower exception level.
    DataAbort(DataAbort),
    /// An instruction abort from the same or a lower exception level.
    InstructionAbort(Abort),
    /// SVC from AArch64: a system call.
    Svc {
        /// The instruction's immediate.
        imm: u16,
    },
    /// HVC from AArch64: a hypercall.
    Hvc {
        /// The instruction's immediate.
        imm: u16,
    },
    /// Trapped SMC from AArch64: a firmware call to emulate.
    Smc {
        /// The instruction's immediate.
        imm: u16,
    },
    /// Trapped MSR, MRS or system instruction.
    SysReg(SysRegAccess),
    /// Trapped WFI, WFE, WFIT or WFET.
    Wfx(Wfx),
    /// BRK from AArch64.
    Brk {
        /// The instruction's immediate.
        comment: u16,
    },
    /// Misaligned program counter.
    PcAlignment,
    /// Misaligned stack pointer.
    SpAlignment,
    /// Unknown reason, most often an undefined instruction.
    Unknown,
    /// A class without a specific decoder; the raw fields.
    Other(Syndrome),
}

/// Decodes a full ESR_EL2 value.
///
/// The result does not carry IL, which the caller needs to step over a
/// trapped instruction; read it with [`Syndrome::from_esr`].
pub const fn decode(esr: u64) -> Decoded {
    let syndrome = Syndrome::from_esr(esr);
    let iss = syndrome.iss;
    match syndrome.ec {
        ExceptionClass::DataAbortLower => Decoded::DataAbort(DataAbort::from_iss(iss, true)),
        ExceptionClass::DataAbortSame => Decoded::DataAbort(DataAbort::from_iss(iss, false)),
        ExceptionClass::InstructionAbortLower => {
            Decoded::InstructionAbort(Abort::from_iss(iss, true))
        }
        ExceptionClass::InstructionAbortSame => {
            Decoded::InstructionAbort(Abort::from_iss(iss, false))
        }
        _ => decode_trap(syndrome),
    }
}

/// Decodes the classes that are not aborts.
const fn decode_trap(syndrome: Syndrome) -> Decoded {
    let imm = imm16(syndrome.iss);
    match syndrome.ec {
        ExceptionClass::Svc64 => Decoded::Svc { imm },
        ExceptionClass::Hvc64 => Decoded::Hvc { imm },
        ExceptionClass::Smc64 => Decoded::Smc { imm },
        ExceptionClass::Brk => Decoded::Brk { comment: imm },
        ExceptionClass::SysRegTrap => Decoded::SysReg(SysRegAccess::from_iss(syndrome.iss)),
        ExceptionClass::WfxTrap => Decoded::Wfx(Wfx::from_iss(syndrome.iss)),
        ExceptionClass::PcAlignment => Decoded::PcAlignment,
        ExceptionClass::SpAlignment => Decoded::SpAlignment,
        ExceptionClass::Unknown => Decoded::Unknown,
        _ => Decoded::Other(syndrome),
    }
}

/// The 16-bit immediate of SVC, HVC, SMC and BRK, ISS bits `[15:0]`.
const fn imm16(iss: u32) -> u16 {
    field::bits_u16(iss as u64, 0, 16)
}
