//! The runtime library of Tessera's native user programs: the rootserver,
//! the VMM, components and the kernel test suite. It wraps the kernel's
//! system calls ([`syscall`], [`ipc`]) and object invocations ([`invoke`]),
//! gives programs a start-up path and console logging ([`debug`],
//! [`console`]), allocates slots, Untyped memory, pages and threads
//! ([`slots`], [`alloc`], [`thread`]), starts programs ([`process`]),
//! decodes fault messages ([`fault`]), and runs native components
//! ([`component`](mod@component): the API components are written against).
//!
//! The inline assembly is compiled for AArch64 only, so the pure logic
//! (message packing, error decoding, the allocators) is tested on the host.
#![no_std]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(not(target_arch = "aarch64"))]
extern crate std;

pub mod alloc;
pub mod component;
pub mod console;
pub mod debug;
pub mod error;
pub mod fault;
pub mod invoke;
pub mod ipc;
pub mod ipc_buffer;
pub mod message;
pub mod process;
pub mod slots;
pub mod start;
pub mod syscall;
pub mod thread;
pub mod timeout;
pub mod timer;

pub use error::{InvResult, InvocationError};
pub use tessera_abi as abi;
pub use tessera_component_info as component_info;
