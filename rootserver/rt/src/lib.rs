//! The runtime library of Tessera's native user programs: the rootserver,
//! the VMM and components. It wraps the kernel's system calls, gives
//! programs a start-up path and console logging, and (as the kernel grows)
//! typed invocations, a slot allocator, an Untyped allocator and an ELF
//! loader.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod debug;
pub mod ipc_buffer;
pub mod start;
pub mod syscall;

pub use tessera_abi as abi;
