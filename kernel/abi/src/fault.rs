//! Fault messages: what a thread's fault handler receives when the thread
//! faults. The label says which fault; the message registers carry its
//! details at the indices below. A reply resumes the thread.

/// The kind of fault (the fault message's label).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum FaultLabel {
    /// A capability lookup failed during a system call's receive phase.
    /// MR0 restart PC, MR1 the CPtr, MR2 1 if in the receive phase, MR3 the
    /// lookup failure kind.
    CapFault = 1,
    /// An unknown system call number. MR0–MR7 x0–x7, MR8 PC, MR9 SP,
    /// MR10 x30, MR11 SPSR, MR12 the number. A reply of length ≥ 12 writes
    /// x0–x7, PC, SP, x30, SPSR back before resuming.
    UnknownSyscall = 2,
    /// A synchronous exception that is not a memory fault: undefined
    /// instruction, alignment, breakpoint, … ([`UserExceptionMr`]). A reply
    /// of length ≥ 3 sets PC, SP and SPSR flags before resuming.
    UserException = 3,
    /// A translation or permission fault ([`VmFaultMr`]). A reply resumes
    /// the thread at the faulting instruction.
    VmFault = 4,
}

impl FaultLabel {
    /// The fault for a label.
    pub const fn from_u64(n: u64) -> Option<FaultLabel> {
        Some(match n {
            1 => FaultLabel::CapFault,
            2 => FaultLabel::UnknownSyscall,
            3 => FaultLabel::UserException,
            4 => FaultLabel::VmFault,
            _ => return None,
        })
    }
}

/// Message-register indices of a `UserException` fault.
pub struct UserExceptionMr;

impl UserExceptionMr {
    /// The faulting PC.
    pub const PC: usize = 0;
    /// The stack pointer.
    pub const SP: usize = 1;
    /// The SPSR.
    pub const SPSR: usize = 2;
    /// The exception class (ESR_EL2.EC).
    pub const EXCEPTION_CLASS: usize = 3;
    /// The full syndrome (ESR_EL2).
    pub const ESR: usize = 4;
    /// Message length.
    pub const LENGTH: usize = 5;
}

/// Message-register indices of a `VmFault`.
pub struct VmFaultMr;

impl VmFaultMr {
    /// The faulting PC.
    pub const PC: usize = 0;
    /// The faulting address (FAR).
    pub const ADDRESS: usize = 1;
    /// 1 for an instruction fetch, 0 for a data access.
    pub const PREFETCH: usize = 2;
    /// The syndrome (ESR_EL2).
    pub const ESR: usize = 3;
    /// Message length.
    pub const LENGTH: usize = 4;
}

/// Kinds of capability-lookup failure (in `FailedLookup` errors and cap
/// faults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum LookupFailure {
    /// The root of the lookup is not a CNode.
    InvalidRoot = 1,
    /// The slot reached holds no capability (or not the kind needed).
    MissingCapability = 2,
    /// The remaining bits do not match the CNode levels (MR: bits left,
    /// bits resolved).
    DepthMismatch = 3,
    /// A CNode's guard does not match (MR: bits left, guard, guard size).
    GuardMismatch = 4,
}
