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
    let mut failed = r.problems();
    if !memcpy_copies_exactly() {
        let _ = failed.push("memcpy");
    }
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

/// The kernel's own `memcpy` (arch/aarch64/mem.rs) against a byte loop:
/// every length up to 80 bytes from every source and destination offset
/// within 8 bytes, and nothing outside the destination range touched.
fn memcpy_copies_exactly() -> bool {
    #[repr(align(16))]
    struct Buf([u8; 112]);
    let mut src = Buf([0; 112]);
    for (i, b) in src.0.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(1);
    }
    for len in 0..=80usize {
        for s_off in 0..8usize {
            for d_off in 0..8usize {
                let mut dst = Buf([0xee; 112]);
                // SAFETY: both ranges lie inside their 112-byte buffers and
                // do not overlap (two different buffers).
                unsafe {
                    memcpy(
                        dst.0.as_mut_ptr().add(d_off),
                        src.0.as_ptr().add(s_off),
                        len,
                    )
                };
                let copied = dst.0[d_off..d_off + len] == src.0[s_off..s_off + len];
                let before = dst.0[..d_off].iter().all(|&b| b == 0xee);
                let after = dst.0[d_off + len..].iter().all(|&b| b == 0xee);
                if !(copied && before && after) {
                    return false;
                }
            }
        }
    }
    true
}

unsafe extern "C" {
    /// The kernel's memcpy, called directly (a copy the compiler writes
    /// could be inlined and never reach it).
    fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8;
}
