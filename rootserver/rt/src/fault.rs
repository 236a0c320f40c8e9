//! Fault messages as a fault handler reads them: the label and message
//! registers of `tessera_abi::fault` turned into a [`Fault`] that prints
//! as one line, such as `data access translation fault, level 1 at 0x0
//! (pc 0x400123, ESR 0x92000005)`.

use core::fmt;

use tessera_abi::{FaultLabel, UserExceptionMr, VmFaultMr};
use tessera_esr::{Decoded, ExceptionClass, Syndrome};

/// A decoded fault message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A translation or permission fault.
    Vm {
        /// The faulting PC.
        pc: u64,
        /// The address accessed.
        address: u64,
        /// An instruction fetch (else a data access).
        instruction: bool,
        /// The syndrome.
        esr: u64,
    },
    /// Another synchronous exception (undefined instruction, alignment,
    /// breakpoint, ...).
    Exception {
        /// The faulting PC.
        pc: u64,
        /// The syndrome.
        esr: u64,
    },
    /// An unknown system call number.
    UnknownSyscall {
        /// The PC after the `svc`.
        pc: u64,
        /// The number.
        number: u64,
    },
    /// A capability fault.
    Cap {
        /// The restart PC.
        pc: u64,
        /// The capability pointer that failed.
        cptr: u64,
    },
    /// A label no fault has.
    Unknown {
        /// The label.
        label: u64,
    },
}

impl Fault {
    /// Decodes a fault message: its label and its message registers
    /// (`mr(i)` gives register `i`).
    pub fn decode(label: u64, mr: impl Fn(usize) -> u64) -> Self {
        match FaultLabel::from_u64(label) {
            Some(FaultLabel::VmFault) => Self::Vm {
                pc: mr(VmFaultMr::PC),
                address: mr(VmFaultMr::ADDRESS),
                instruction: mr(VmFaultMr::PREFETCH) != 0,
                esr: mr(VmFaultMr::ESR),
            },
            Some(FaultLabel::UserException) => Self::Exception {
                pc: mr(UserExceptionMr::PC),
                esr: mr(UserExceptionMr::ESR),
            },
            Some(FaultLabel::UnknownSyscall) => Self::UnknownSyscall {
                pc: mr(8),
                number: mr(12),
            },
            Some(FaultLabel::CapFault) => Self::Cap {
                pc: mr(0),
                cptr: mr(1),
            },
            None => Self::Unknown { label },
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Vm {
                pc,
                address,
                instruction,
                esr,
            } => {
                let access = if instruction {
                    "instruction fetch"
                } else {
                    "data access"
                };
                match tessera_esr::decode(esr) {
                    Decoded::DataAbort(d) => write!(f, "{access} {}", d.fault)?,
                    Decoded::InstructionAbort(a) => write!(f, "{access} {}", a.fault)?,
                    _ => write!(f, "{access} fault")?,
                }
                write!(f, " at {address:#x} (pc {pc:#x}, ESR {esr:#x})")
            }
            Self::Exception { pc, esr } => {
                let ec = Syndrome::from_esr(esr).ec;
                if ec == ExceptionClass::Unknown {
                    f.write_str("undefined instruction")?;
                } else {
                    write!(f, "{ec}")?;
                }
                write!(f, " (pc {pc:#x}, ESR {esr:#x})")
            }
            Self::UnknownSyscall { pc, number } => {
                write!(f, "unknown system call {number:#x} (pc {pc:#x})")
            }
            Self::Cap { pc, cptr } => {
                write!(f, "capability fault on {cptr:#x} (pc {pc:#x})")
            }
            Self::Unknown { label } => write!(f, "unknown fault label {label}"),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::ToString;

    use super::*;

    fn decode(label: FaultLabel, mrs: &[u64]) -> Fault {
        Fault::decode(label as u64, |i| mrs.get(i).copied().unwrap_or(0))
    }

    #[test]
    fn a_read_of_address_zero() {
        // EC 0x24 (data abort, lower EL), IL, DFSC 0b000101: translation
        // fault, level 1.
        let fault = decode(FaultLabel::VmFault, &[0x40_1234, 0, 0, 0x9200_0005]);
        assert_eq!(
            fault.to_string(),
            "data access translation fault, level 1 at 0x0 (pc 0x401234, ESR 0x92000005)"
        );
    }

    #[test]
    fn an_undefined_instruction() {
        let fault = decode(
            FaultLabel::UserException,
            &[0x40_0010, 0x7000, 0, 0, 0x200_0000],
        );
        assert_eq!(
            fault.to_string(),
            "undefined instruction (pc 0x400010, ESR 0x2000000)"
        );
        let brk = decode(
            FaultLabel::UserException,
            &[0x40_0010, 0, 0, 0x3c, 0xf200_0000],
        );
        assert!(brk.to_string().starts_with("BRK (pc 0x400010"), "{brk}");
    }

    #[test]
    fn unknown_system_calls_and_labels() {
        let mut mrs = [0u64; 13];
        mrs[8] = 0x40_0020;
        mrs[12] = 99;
        assert_eq!(
            decode(FaultLabel::UnknownSyscall, &mrs).to_string(),
            "unknown system call 0x63 (pc 0x400020)"
        );
        assert_eq!(
            Fault::decode(77, |_| 0).to_string(),
            "unknown fault label 77"
        );
    }
}
