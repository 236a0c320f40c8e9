//! System-register values for EL2 with VHE, and accessors for the registers
//! that `aarch64-cpu` does not describe in their VHE layout.
//!
//! With `HCR_EL2.E2H = 1` several EL2 registers (SCTLR_EL2, TCR_EL2,
//! CPTR_EL2) take the layout of their EL1 counterparts, which is why their
//! values are built here from named bits rather than with the crate's
//! non-VHE field definitions.

use core::arch::asm;

const fn bit(n: u32) -> u64 {
    1 << n
}

/// HCR_EL2 for the host: E2H (VHE), TGE (EL0 belongs to the EL2&0 regime,
/// physical interrupts go to EL2), RW (a lower EL is AArch64).
pub const HCR_EL2_HOST: u64 = bit(34) | bit(27) | bit(31);
/// HCR_EL2.E2H.
pub const HCR_EL2_E2H: u64 = bit(34);

/// CPTR_EL2 in its VHE layout: FPEN = 0b11, so FP/SIMD never traps.
pub const CPTR_EL2_HOST: u64 = 0b11 << 20;

/// SCTLR_EL2 (VHE layout) bits.
pub mod sctlr {
    use super::bit;
    pub const M: u64 = bit(0);
    pub const C: u64 = bit(2);
    pub const SA: u64 = bit(3);
    pub const SA0: u64 = bit(4);
    pub const EOS: u64 = bit(11);
    pub const I: u64 = bit(12);
    pub const TSCXT: u64 = bit(20);
    pub const EIS: u64 = bit(22);
    pub const SPAN: u64 = bit(23);
    pub const NTLSMD: u64 = bit(28);
    pub const LSMAOE: u64 = bit(29);
}

/// SCTLR_EL2 with the MMU and caches off: stack alignment checks on, the
/// bits that are RES1 in the EL2&0 layout set, exceptions context-synchronising.
pub const SCTLR_EL2_MMU_OFF: u64 = sctlr::SA
    | sctlr::SA0
    | sctlr::EOS
    | sctlr::TSCXT
    | sctlr::EIS
    | sctlr::SPAN
    | sctlr::NTLSMD
    | sctlr::LSMAOE;
/// SCTLR_EL2 with the MMU, data and instruction caches on.
pub const SCTLR_EL2_MMU_ON: u64 = SCTLR_EL2_MMU_OFF | sctlr::M | sctlr::C | sctlr::I;

/// TCR_EL2 (VHE layout, as TCR_EL1) fields.
pub mod tcr {
    /// 48-bit virtual addresses in both halves.
    pub const T0SZ_48: u64 = 16;
    pub const T1SZ_48: u64 = 16 << 16;
    /// TTBR0 walks disabled (no user address space loaded).
    pub const EPD0: u64 = 1 << 7;
    /// Walks through write-back cacheable, inner-shareable memory.
    pub const WALK0_WB_IS: u64 = (0b01 << 8) | (0b01 << 10) | (0b11 << 12);
    pub const WALK1_WB_IS: u64 = (0b01 << 24) | (0b01 << 26) | (0b11 << 28);
    /// 4 KiB granule for TTBR0 (TG0 = 0b00) and TTBR1 (TG1 = 0b10).
    pub const TG1_4K: u64 = 0b10 << 30;
    pub const IPS_SHIFT: u32 = 32;
    /// 16-bit ASIDs.
    pub const AS: u64 = 1 << 36;
}

/// Builds TCR_EL2 for the kernel's address-space layout from the CPU's
/// physical address size (ID_AA64MMFR0_EL1.PARange, capped at 48 bits to
/// match the 4-level tables) and ASID size.
pub const fn tcr_el2(mmfr0: u64) -> u64 {
    let parange = mmfr0 & 0xf;
    let ips = if parange > 0b101 { 0b101 } else { parange };
    let asid16 = (mmfr0 >> 4) & 0xf == 0b0010;
    tcr::T0SZ_48
        | tcr::T1SZ_48
        | tcr::WALK0_WB_IS
        | tcr::WALK1_WB_IS
        | tcr::TG1_4K
        | (ips << tcr::IPS_SHIFT)
        | if asid16 { tcr::AS } else { 0 }
}

macro_rules! sysreg_accessors {
    ($($(#[$doc:meta])* $reg:ident: $read:ident, $write:ident;)*) => {$(
        $(#[$doc])*
        #[inline]
        #[allow(dead_code, reason = "a complete accessor pair per register")]
        pub fn $read() -> u64 {
            let value: u64;
            // SAFETY: reading this register has no side effects at EL2.
            unsafe { asm!(concat!("mrs {}, ", stringify!($reg)), out(reg) value, options(nomem, nostack, preserves_flags)) };
            value
        }

        $(#[$doc])*
        ///
        /// # Safety
        /// The caller upholds the invariants the register controls.
        #[inline]
        #[allow(dead_code, reason = "a complete accessor pair per register")]
        pub unsafe fn $write(value: u64) {
            // SAFETY: the caller's contract.
            unsafe { asm!(concat!("msr ", stringify!($reg), ", {}"), in(reg) value, options(nostack, preserves_flags)) };
        }
    )*};
}

sysreg_accessors! {
    /// SCTLR_EL2 (VHE layout).
    sctlr_el2: read_sctlr_el2, write_sctlr_el2;
    /// TCR_EL2 (VHE layout).
    tcr_el2: read_tcr_el2, write_tcr_el2;
    /// TTBR1_EL2, the kernel half of the EL2&0 regime (VHE only; named by
    /// its encoding so the base-architecture assembler accepts it).
    s3_4_c2_c0_1: read_ttbr1_el2, write_ttbr1_el2;
    /// CNTHP_CVAL_EL2, the EL2 physical timer's compare value.
    cnthp_cval_el2: read_cnthp_cval_el2, write_cnthp_cval_el2;
    /// CNTHCTL_EL2 (VHE layout): EL0 and EL1 access to counters and timers.
    cnthctl_el2: read_cnthctl_el2, write_cnthctl_el2;
    /// CNTHV_CTL_EL2, the EL2 virtual timer's control (named by encoding).
    s3_4_c14_c3_1: read_cnthv_ctl_el2, write_cnthv_ctl_el2;
    /// ICC_PMR_EL1, the CPU interface's priority mask.
    icc_pmr_el1: read_icc_pmr_el1, write_icc_pmr_el1;
    /// ICC_IGRPEN1_EL1, Group 1 interrupt enable.
    icc_igrpen1_el1: read_icc_igrpen1_el1, write_icc_igrpen1_el1;
    /// ICC_BPR1_EL1, Group 1 binary point.
    icc_bpr1_el1: read_icc_bpr1_el1, write_icc_bpr1_el1;
}

/// TPIDR_EL2: this core's PerCore address, set once at entry. A pure read
/// (it never changes afterwards), so the compiler may merge repeated reads.
#[inline(always)]
pub fn read_tpidr_el2() -> u64 {
    let value: u64;
    // SAFETY: reading TPIDR_EL2 has no side effects at EL2.
    unsafe {
        asm!("mrs {}, tpidr_el2", out(reg) value, options(pure, nomem, nostack, preserves_flags))
    };
    value
}

/// CNTHCTL_EL2 bits with HCR_EL2.E2H set.
pub mod cnthctl {
    /// EL0 may read the virtual counter (CNTVCT_EL0).
    pub const EL0VCTEN: u64 = 1 << 1;
    /// EL0 may use the virtual timer registers (CNTV_*_EL0), which with
    /// {E2H, TGE} = {1, 1} are the EL2 virtual timer's.
    pub const EL0VTEN: u64 = 1 << 8;
}

/// CTR_EL0, the cache type register (read-only).
#[inline]
pub fn read_ctr_el0() -> u64 {
    let value: u64;
    // SAFETY: reading CTR_EL0 has no side effects.
    unsafe { asm!("mrs {}, ctr_el0", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// The smallest data-cache line size in bytes (CTR_EL0.DminLine).
pub fn dcache_line_size() -> u64 {
    4 << ((read_ctr_el0() >> 16) & 0xf)
}
