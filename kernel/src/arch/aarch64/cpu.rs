//! This core: its index, its identity, interrupt masking, parking.

use core::arch::asm;

use aarch64_cpu::registers::{CurrentEL, HCR_EL2, MPIDR_EL1, Readable};

use super::sysreg;

/// This core's index (0 = the boot core).
#[inline]
pub fn core_index() -> usize {
    super::percore::core_index()
}

/// Masks IRQs on this core: the kernel runs with them masked once threads
/// exist, and polls the GIC when idle.
pub fn disable_irqs() {
    // SAFETY: masking only delays interrupts.
    unsafe { asm!("msr daifset, #2", options(nostack, preserves_flags)) };
}

/// This core's affinity (MPIDR_EL1 without the U and MT flag bits).
pub fn mpidr() -> u64 {
    MPIDR_EL1.get() & 0xff_00ff_ffff
}

/// The exception level the kernel runs at.
pub fn current_el() -> u64 {
    CurrentEL.read(CurrentEL::EL)
}

/// Whether VHE (HCR_EL2.E2H) is on.
pub fn vhe_enabled() -> bool {
    HCR_EL2.get() & sysreg::HCR_EL2_E2H != 0
}

/// Unmasks IRQs on this core.
pub fn enable_irqs() {
    // SAFETY: the exception vectors are installed and the GIC is set up, so
    // an IRQ is handled by the kernel.
    unsafe { asm!("msr daifclr, #2", options(nostack, preserves_flags)) };
}

/// Masks all exceptions that can be masked, for good.
pub fn disable_all_exceptions() {
    // SAFETY: masking only delays interrupts.
    unsafe { asm!("msr daifset, #0xf", options(nostack, preserves_flags)) };
}

/// Waits for an interrupt.
pub fn wait_for_interrupt() {
    // SAFETY: WFI only suspends the core until an interrupt is pending.
    unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
}

/// Stops this core: exceptions masked, waiting for events forever.
pub fn park() -> ! {
    disable_all_exceptions();
    loop {
        // SAFETY: WFE only suspends the core.
        unsafe { asm!("wfe", options(nomem, nostack, preserves_flags)) };
    }
}
