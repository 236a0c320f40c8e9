//! AArch64 at EL2 with VHE: boot, exceptions, MMU, GICv3, timers, PSCI, SMP.

pub mod boot_mmu;
pub mod context;
pub mod cpu;
pub mod exception;
pub mod fpu;
pub mod gic;
mod head;
mod mem;
pub mod percore;
#[cfg(feature = "test-hooks")]
pub mod pmu;
pub mod psci;
pub mod semihosting;
pub mod smp;
pub mod sysreg;
pub mod timer;
pub mod vectors;
pub mod vspace;
