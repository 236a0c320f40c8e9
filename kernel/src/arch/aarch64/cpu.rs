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

/// Zeroes `len` bytes of normal memory at `va`, with `DC ZVA` for the
/// whole blocks it can (one instruction per block, usually 64 bytes, where
/// a store loop takes several) and plain stores for the rest.
///
/// # Safety
/// `[va, va + len)` is mapped normal cacheable memory that nothing else
/// uses while it is zeroed.
pub unsafe fn zero_memory(va: u64, len: u64) {
    let dczid: u64;
    // SAFETY: reading DCZID_EL0 has no side effects.
    unsafe {
        core::arch::asm!("mrs {}, dczid_el0", out(reg) dczid, options(nomem, nostack, preserves_flags))
    };
    // DZP set: DC ZVA is prohibited; else the block is 4 << BS bytes.
    let block = if dczid & (1 << 4) != 0 {
        0
    } else {
        4u64 << (dczid & 0xf)
    };
    let end = va + len;
    let mut p = va;
    if block != 0 {
        let first = va.next_multiple_of(block).min(end);
        // SAFETY: the caller's contract covers the whole range.
        unsafe { core::ptr::write_bytes(p as *mut u8, 0, (first - p) as usize) };
        p = first;
        while p + block <= end {
            // SAFETY: [p, p + block) is an aligned block inside the range.
            unsafe { core::arch::asm!("dc zva, {}", in(reg) p, options(nostack, preserves_flags)) };
            p += block;
        }
    }
    // SAFETY: the rest of the caller's range.
    unsafe { core::ptr::write_bytes(p as *mut u8, 0, (end - p) as usize) };
}
