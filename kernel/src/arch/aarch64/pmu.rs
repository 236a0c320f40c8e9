//! The PMU cycle counter, opened to EL0 in test kernels so benchmarks can
//! take timestamps as seL4's sel4bench does (QEMU advances it once per
//! virtual nanosecond under `-icount`, whatever the timer frequency).

use core::arch::asm;

/// PMCR_EL0: E (enable), LC (64-bit cycle counter), C (reset it).
const PMCR_ENABLE: u64 = (1 << 0) | (1 << 2) | (1 << 6);
/// PMCNTENSET_EL0.C: the cycle counter counts.
const CYCLE_COUNTER: u64 = 1 << 31;
/// PMCCFILTR_EL0.NSH: count at EL2 as well as EL0/EL1.
const COUNT_EL2: u64 = 1 << 27;
/// PMUSERENR_EL0: EN (EL0 may use the PMU), CR (EL0 may read the cycle
/// counter).
const USER_ACCESS: u64 = (1 << 0) | (1 << 2);

/// Starts this core's cycle counter and lets EL0 read it.
pub fn open_cycle_counter_to_user() {
    // SAFETY: these registers only configure performance monitoring on
    // this core; no memory or kernel state depends on them.
    unsafe {
        asm!(
            "msr pmccfiltr_el0, {filter}",
            "msr pmcntenset_el0, {enable}",
            "msr pmcr_el0, {pmcr}",
            "msr pmuserenr_el0, {user}",
            "isb",
            filter = in(reg) COUNT_EL2,
            enable = in(reg) CYCLE_COUNTER,
            pmcr = in(reg) PMCR_ENABLE,
            user = in(reg) USER_ACCESS,
            options(nostack, preserves_flags),
        );
    }
}
