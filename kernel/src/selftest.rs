//! Boot-time self-tests for the QEMU scenarios of `cargo xtask test`,
//! selected with `tessera.test=<name>` on the kernel command line. Compiled
//! only with the `test-hooks` feature.

use crate::arch::aarch64::{psci, semihosting};
use crate::boot::BootReport;
use crate::println;

/// An address no kernel mapping covers (the unused middle of the upper half).
const UNMAPPED_VA: usize = 0xffff_8000_dead_0000;
/// Exit status of a failed self-test (the fatal path uses 3).
const TEST_FAILED_STATUS: u32 = 1;

/// Runs the named kernel self-test; other names are for user level (the
/// rootserver reads the command line too).
pub fn run(name: &str, report: &BootReport) {
    match name {
        "boot" => boot_checks(report),
        "fault" => deliberate_fault(),
        "panic" => panic!("deliberate panic (tessera.test=panic)"),
        _ => {}
    }
}

/// Checks what the boot scenario is about and switches the machine off.
fn boot_checks(r: &BootReport) -> ! {
    let failed = r.problems();
    if failed.is_empty() {
        println!("test: boot checks passed");
        psci::system_off();
    }
    fail(&failed, "boot checks failed")
}

fn fail(what: &[&str], why: &'static str) -> ! {
    println!("test: {why}: {what:?}");
    semihosting::exit(TEST_FAILED_STATUS);
    psci::system_off()
}

/// Reads an unmapped address: the data abort must be reported as fatal.
fn deliberate_fault() {
    // SAFETY: not safe on purpose: this read faults, and the fault report is
    // what the scenario checks. The kernel stops right after.
    let value = unsafe { core::ptr::read_volatile(UNMAPPED_VA as *const u64) };
    println!("test: read {value:#x} from an unmapped address");
}
