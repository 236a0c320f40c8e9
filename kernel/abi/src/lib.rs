//! The Tessera kernel ABI: everything the kernel and user programs must
//! agree on, in one `no_std` crate used by both sides.
//!
//! The model is seL4's (non-MCS): capabilities named by capability pointers
//! (`CPtr`) in a guarded CSpace, system calls that send and receive messages,
//! and object invocations that are a `Call` on an object's capability with
//! an invocation label.
//!
//! # Calling convention (AArch64, `SVC #0` from EL0)
//!
//! | register | in | out |
//! |---|---|---|
//! | `x7` | [`Syscall`] number | — |
//! | `x0` | destination capability pointer | badge of the sender (receives) |
//! | `x1` | [`MessageInfo`] | [`MessageInfo`] |
//! | `x2`–`x5` | message registers 0–3 | message registers 0–3 |
//! | `x6` | for `ReplyRecv`/`Recv`-side calls: the receive capability | — |
//!
//! Message registers from [`MSG_REGISTERS_IN_CPU`] on live in the thread's
//! [`IpcBuffer`]. All other registers are preserved.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bootinfo;
mod error;
mod fault;
mod invocation;
mod ipc;
mod object;
mod rights;
mod syscall;
mod vm;

pub use bootinfo::{
    BOOT_INFO_MAGIC, BootInfo, CMDLINE_MAX, InitialSlot, MAX_UNTYPEDS, SlotRange, UntypedDesc,
};
pub use error::Error;
pub use fault::{FaultLabel, LookupFailure, UserExceptionMr, VmFaultMr};
pub use invocation::Label;
pub use ipc::{
    IPC_BUFFER_ALIGN, IpcBuffer, MAX_EXTRA_CAPS, MSG_MAX_LENGTH, MSG_REGISTERS_IN_CPU, MessageInfo,
};
pub use object::{CNODE_SLOT_BITS, MAX_UNTYPED_BITS, MIN_UNTYPED_BITS, ObjectType};
pub use rights::Rights;
pub use syscall::Syscall;
pub use vm::{UserContext, VmAttributes};

/// A capability pointer: an address in a thread's CSpace.
pub type CPtr = u64;

/// Bits of a capability pointer (the CSpace address width).
pub const WORD_BITS: u8 = 64;

/// Size of a small page.
pub const PAGE_BITS: u8 = 12;
