//! The runtime library of Tessera's native user programs: the rootserver,
//! the VMM, components and the kernel test suite. It wraps the kernel's
//! system calls ([`syscall`], [`ipc`]) and object invocations ([`invoke`]),
//! gives programs a start-up path and console logging, and allocates slots,
//! Untyped memory, pages and threads ([`slots`], [`alloc`], [`thread`]).
//!
//! The inline assembly is compiled for AArch64 only, so the pure logic
//! (message packing, error decoding, the allocators) is tested on the host.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(not(target_arch = "aarch64"))]
extern crate std;

pub mod alloc;
pub mod debug;
pub mod error;
pub mod invoke;
pub mod ipc;
pub mod ipc_buffer;
pub mod message;
pub mod process;
pub mod slots;
pub mod start;
pub mod syscall;
pub mod thread;
pub mod timer;

pub use error::{InvResult, InvocationError};
pub use tessera_abi as abi;
