//! Stopping the machine when the kernel itself is broken: an unexpected
//! exception or a Rust panic. The report goes to the console, then QEMU exits
//! with [`FATAL_EXIT_STATUS`] through semihosting; where semihosting is not
//! served, PSCI SYSTEM_OFF stops the machine and the `FATAL:` lines are the
//! marker a test runner looks for.

use core::sync::atomic::{AtomicUsize, Ordering};

use crate::arch::aarch64::{cpu, psci, semihosting};

/// The exit status of a fatal stop.
pub const FATAL_EXIT_STATUS: u32 = 3;

const NO_CORE: usize = usize::MAX;
/// The core that is reporting a fatal error, if any.
static STOPPING_CORE: AtomicUsize = AtomicUsize::new(NO_CORE);

/// Enters the fatal path. Only the first core to get here reports: another
/// core parks, so the report is not cut short; the same core entering again
/// (HLT taken as an undefined instruction because semihosting is off) goes
/// straight to SYSTEM_OFF.
pub fn begin() {
    cpu::disable_all_exceptions();
    let me = cpu::core_index();
    match STOPPING_CORE.compare_exchange(NO_CORE, me, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {}
        Err(holder) if holder == me => psci::system_off(),
        Err(_) => cpu::park(),
    }
}

/// Stops the machine with the fatal exit status.
pub fn stop() -> ! {
    crate::emergency_println!("FATAL: stopping the machine (exit status {FATAL_EXIT_STATUS})");
    semihosting::exit(FATAL_EXIT_STATUS);
    psci::system_off()
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    begin();
    match info.location() {
        Some(loc) => crate::emergency_println!(
            "FATAL: kernel panic on core {} at {}:{}: {}",
            cpu::core_index(),
            loc.file(),
            loc.line(),
            info.message()
        ),
        None => crate::emergency_println!(
            "FATAL: kernel panic on core {}: {}",
            cpu::core_index(),
            info.message()
        ),
    }
    stop()
}
