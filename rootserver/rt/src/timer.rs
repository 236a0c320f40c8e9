//! The system counter and the one timer user level may program: the EL2
//! virtual timer, reached at EL0 through `CNTV_*_EL0`. Each core has its
//! own; its interrupt is PPI 28 ([`INTID`]) on that core, which a driver
//! claims through IRQControl like any line. The kernel never touches this
//! timer, so whoever programs it owns it: one timer driver per core.

/// The EL2 virtual timer's interrupt (a PPI, one line per core).
pub const INTID: u64 = 28;

#[cfg(target_arch = "aarch64")]
mod regs {
    use core::arch::asm;

    /// The system counter (the virtual count, which at EL0 of the host
    /// regime has no offset).
    pub fn counter() -> u64 {
        let value: u64;
        // SAFETY: reads the counter the kernel lets EL0 read; the ISB keeps
        // the read after earlier instructions.
        unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    /// The counter's frequency in Hz.
    pub fn counter_hz() -> u64 {
        let value: u64;
        // SAFETY: CNTFRQ_EL0 is readable at EL0 and has no side effects.
        unsafe { asm!("mrs {}, cntfrq_el0", out(reg) value, options(nomem, nostack)) };
        value
    }

    /// Fires the timer when the counter reaches `deadline` (its interrupt
    /// unmasked), replacing any earlier deadline.
    pub fn set_deadline(deadline: u64) {
        // SAFETY: this core's EL2 virtual timer, which the kernel leaves to
        // EL0; CTL = ENABLE, IMASK clear.
        unsafe {
            asm!(
                "msr cntv_cval_el0, {}",
                "msr cntv_ctl_el0, {}",
                "isb",
                in(reg) deadline,
                in(reg) 1u64,
                options(nostack)
            )
        };
    }

    /// Stops the timer (its interrupt line falls).
    pub fn disable() {
        // SAFETY: as in set_deadline.
        unsafe { asm!("msr cntv_ctl_el0, xzr", "isb", options(nostack)) };
    }
}

#[cfg(target_arch = "aarch64")]
pub use regs::{counter, counter_hz, disable, set_deadline};

/// Converts nanoseconds to counter ticks at `hz`, saturating.
pub fn ns_to_ticks(ns: u64, hz: u64) -> u64 {
    (u128::from(ns) * u128::from(hz) / 1_000_000_000).min(u128::from(u64::MAX)) as u64
}

/// Converts counter ticks at `hz` to nanoseconds, saturating (0 when `hz`
/// is 0).
pub fn ticks_to_ns(ticks: u64, hz: u64) -> u64 {
    if hz == 0 {
        return 0;
    }
    (u128::from(ticks) * 1_000_000_000 / u128::from(hz)).min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_at_both_qemu_frequencies() {
        assert_eq!(ns_to_ticks(1_000, 1_000_000_000), 1_000);
        assert_eq!(ns_to_ticks(1_000, 62_500_000), 62);
        assert_eq!(ticks_to_ns(62, 62_500_000), 992);
        assert_eq!(ticks_to_ns(5, 0), 0);
        assert_eq!(ns_to_ticks(u64::MAX, u64::MAX), u64::MAX);
    }
}
