//! The EL2 physical timer (CNTHP): the kernel's periodic tick on every core.
//! The EL2 virtual timer is left to user level (see [`start_this_cpu`]).
//!
//! Deadlines are absolute compare values on the system counter, advanced by
//! one period per tick, so the tick does not drift with interrupt latency.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use aarch64_cpu::registers::{CNTFRQ_EL0, CNTHP_CTL_EL2, CNTPCT_EL0, Readable, Writeable};

use super::smp::MAX_CPUS;
use super::{gic, sysreg};

/// Tick rate of the kernel's timer.
pub const TICK_HZ: u64 = 100;

static PERIOD: AtomicU64 = AtomicU64::new(0);
static INTID: AtomicU32 = AtomicU32::new(0);
static TICKS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// The system counter's frequency in Hz.
pub fn counter_hz() -> u64 {
    CNTFRQ_EL0.get()
}

/// The system counter now.
pub fn now() -> u64 {
    // SAFETY: an ISB only orders the counter read after earlier instructions.
    unsafe { core::arch::asm!("isb", options(nostack, preserves_flags)) };
    CNTPCT_EL0.get()
}

/// Converts nanoseconds to counter ticks, saturating.
pub fn ns_to_ticks(ns: u64) -> u64 {
    ((u128::from(ns) * u128::from(counter_hz())) / 1_000_000_000).min(u128::from(u64::MAX)) as u64
}

/// Records the timer's interrupt and period; called once on the boot core.
pub fn init(intid: u32) {
    INTID.store(intid, Ordering::Relaxed);
    PERIOD.store((counter_hz() / TICK_HZ).max(1), Ordering::Relaxed);
}

/// The INTID of the EL2 physical timer (from the device tree).
pub fn intid() -> u32 {
    INTID.load(Ordering::Relaxed)
}

/// Starts the periodic tick on this core, and hands the EL2 virtual timer
/// to user level: threads may read the virtual counter and program the
/// EL2 virtual timer through `CNTV_*_EL0` (its interrupt, INTID 28, is
/// theirs through IRQControl; see `object::irq::USER_PPIS`). The kernel
/// never uses that timer; it starts disabled.
pub fn start_this_cpu(core: usize) {
    // SAFETY: only EL0's access to the virtual counter and the EL2 virtual
    // timer changes; the kernel's own timer (CNTHP) is unaffected, and
    // disabling the EL2 virtual timer clears whatever firmware left.
    unsafe {
        sysreg::write_cnthv_ctl_el2(0);
        sysreg::write_cnthctl_el2(
            sysreg::read_cnthctl_el2() | sysreg::cnthctl::EL0VCTEN | sysreg::cnthctl::EL0VTEN,
        );
    }
    // SAFETY: programs this core's EL2 timer, which only the kernel uses.
    unsafe { sysreg::write_cnthp_cval_el2(now() + PERIOD.load(Ordering::Relaxed)) };
    CNTHP_CTL_EL2.write(CNTHP_CTL_EL2::ENABLE::SET + CNTHP_CTL_EL2::IMASK::CLEAR);
    gic::enable_ppi(core, intid(), gic::KERNEL_PRIORITY);
}

/// Handles a tick on this core: counts it and sets the next deadline one
/// period on, or one period from now if the core fell behind by more.
pub fn handle_tick(core: usize) {
    if let Some(t) = TICKS.get(core) {
        t.fetch_add(1, Ordering::Relaxed);
    }
    let period = PERIOD.load(Ordering::Relaxed);
    let next = sysreg::read_cnthp_cval_el2().wrapping_add(period);
    let now = now();
    let next = if next <= now { now + period } else { next };
    // SAFETY: as in start_this_cpu.
    unsafe { sysreg::write_cnthp_cval_el2(next) };
}

/// Ticks counted so far on `core`.
pub fn ticks(core: usize) -> u64 {
    TICKS.get(core).map_or(0, |t| t.load(Ordering::Relaxed))
}
