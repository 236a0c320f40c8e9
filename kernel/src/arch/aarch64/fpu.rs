//! Lazy FP/SIMD switching. The kernel itself never touches FP registers (it
//! is built for the soft-float target), so a user thread's FP state stays in
//! the registers until another thread uses FP: that first use traps
//! (CPTR_EL2.FPEN), the kernel saves the previous owner's registers and
//! loads the new one's.

use core::arch::asm;

use super::percore::{self, PerCore};
use super::smp::MAX_CPUS;
use super::sysreg;

/// q0–q31, FPSR and FPCR.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default)]
pub struct FpuState {
    pub q: [u128; 32],
    pub fpsr: u64,
    pub fpcr: u64,
}

/// CPTR_EL2 (VHE layout) with FP/SIMD trapped at EL0 only.
pub(crate) const CPTR_TRAP_EL0: u64 = 0b01 << 20;
/// CPTR_EL2 with nothing trapped.
pub(crate) const CPTR_NO_TRAP: u64 = sysreg::CPTR_EL2_HOST;

/// Writes CPTR_EL2 if it differs from what this core has; the change is
/// in effect for the next instruction.
#[inline(always)]
fn write_cptr(core: &mut PerCore, value: u64) {
    if core.cptr != value {
        // SAFETY: CPTR_EL2 only controls FP/SIMD traps; the ISB makes the
        // change take effect before the next instruction that depends on it.
        unsafe {
            asm!("msr cptr_el2, {}", "isb", in(reg) value, options(nostack, preserves_flags))
        };
        core.cptr = value;
    }
}

/// Writes CPTR_EL2 if it differs, on the way out to EL0: no ISB, as the
/// kernel makes no FP access before its ERET, which synchronises.
#[inline(always)]
fn write_cptr_for_exit(core: &mut PerCore, value: u64) {
    if core.cptr != value {
        // SAFETY: CPTR_EL2 only controls FP/SIMD traps, which matter for
        // EL0 only here (the kernel is soft-float); the ERET that follows
        // is a context synchronisation event.
        unsafe { asm!("msr cptr_el2, {}", in(reg) value, options(nostack, preserves_flags)) };
        core.cptr = value;
    }
}

/// Called when `thread` (a TCB address) is about to run, on the way out to
/// EL0: FP stays untrapped if the registers are already its own, else
/// trapped.
#[inline(always)]
pub fn prepare(core: &mut PerCore, thread: u64) {
    let value = if core.fpu_owner == thread {
        CPTR_NO_TRAP
    } else {
        CPTR_TRAP_EL0
    };
    write_cptr_for_exit(core, value);
}

/// Handles an FP access trap of `thread`: saves the previous owner's
/// registers into `save_to` (if any), loads `load_from`.
///
/// # Safety
/// `save_to` is the FP area of the TCB recorded as this core's owner (or
/// None if there is none), `load_from` that of `thread`; both TCBs are live.
pub unsafe fn switch_owner(
    core: &mut PerCore,
    thread: u64,
    save_to: Option<*mut FpuState>,
    load_from: *const FpuState,
) {
    write_cptr(core, CPTR_NO_TRAP);
    if let Some(save) = save_to {
        // SAFETY: the caller's contract.
        unsafe { save_registers(save) };
    }
    // SAFETY: the caller's contract.
    unsafe { load_registers(load_from) };
    core.fpu_owner = thread;
}

/// Forgets `thread` as an owner on every core (it is being destroyed).
pub fn forget(thread: u64) {
    for i in 0..MAX_CPUS {
        // SAFETY: under the kernel lock; a stale owner is only compared.
        let core = unsafe { percore::of(i) };
        if core.fpu_owner == thread {
            core.fpu_owner = 0;
        }
    }
}

macro_rules! fp_pairs {
    ($op:literal) => {
        concat!(
            $op,
            " q0, q1, [{p}, #0]\n",
            $op,
            " q2, q3, [{p}, #32]\n",
            $op,
            " q4, q5, [{p}, #64]\n",
            $op,
            " q6, q7, [{p}, #96]\n",
            $op,
            " q8, q9, [{p}, #128]\n",
            $op,
            " q10, q11, [{p}, #160]\n",
            $op,
            " q12, q13, [{p}, #192]\n",
            $op,
            " q14, q15, [{p}, #224]\n",
            $op,
            " q16, q17, [{p}, #256]\n",
            $op,
            " q18, q19, [{p}, #288]\n",
            $op,
            " q20, q21, [{p}, #320]\n",
            $op,
            " q22, q23, [{p}, #352]\n",
            $op,
            " q24, q25, [{p}, #384]\n",
            $op,
            " q26, q27, [{p}, #416]\n",
            $op,
            " q28, q29, [{p}, #448]\n",
            $op,
            " q30, q31, [{p}, #480]\n",
        )
    };
}

/// # Safety
/// `to` points to a writable FpuState; FP is untrapped.
unsafe fn save_registers(to: *mut FpuState) {
    // SAFETY: the caller's contract; the soft-float kernel keeps no values
    // of its own in these registers.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            fp_pairs!("stp"),
            "mrs {t}, fpsr",
            "str {t}, [{p}, #512]",
            "mrs {t}, fpcr",
            "str {t}, [{p}, #520]",
            p = in(reg) to,
            t = out(reg) _,
            options(nostack, preserves_flags),
        );
    }
}

/// # Safety
/// `from` points to a readable FpuState; FP is untrapped.
unsafe fn load_registers(from: *const FpuState) {
    // SAFETY: the caller's contract; the soft-float kernel keeps no values
    // of its own in these registers.
    unsafe {
        asm!(
            ".arch_extension fp",
            ".arch_extension simd",
            fp_pairs!("ldp"),
            "ldr {t}, [{p}, #512]",
            "msr fpsr, {t}",
            "ldr {t}, [{p}, #520]",
            "msr fpcr, {t}",
            p = in(reg) from,
            t = out(reg) _,
            options(nostack, preserves_flags, readonly),
        );
    }
}
