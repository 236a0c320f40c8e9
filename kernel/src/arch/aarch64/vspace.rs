//! Switching the user half of the address space (TTBR0_EL2 with an ASID).

use core::arch::asm;
use core::ptr::addr_of;

use tessera_paging::PageTable;

use super::boot_mmu;
use super::percore;

/// An empty level-0 table with ASID 0: loaded when a core has no user
/// address space, so stray user accesses fault instead of walking garbage.
static EMPTY_ROOT: PageTable = PageTable::zeroed();

/// The value of TTBR0_EL2 for `root` (physical) and `asid`: what a TCB
/// caches when its VSpace is set (0 for none).
pub fn ttbr0(root: u64, asid: u16) -> u64 {
    if root == 0 {
        0
    } else {
        root | (u64::from(asid) << 48)
    }
}

fn empty_root() -> u64 {
    boot_mmu::kimage_pa(addr_of!(EMPTY_ROOT) as u64)
}

/// Makes the address space with TTBR0 value `value` (never 0: see
/// [`ttbr0_or_empty`]) current on this core; nothing to do if it already
/// is. Only on the way out to EL0: the switch completes at the ERET.
#[inline(always)]
pub fn activate(core: &mut percore::PerCore, value: u64) {
    if core.ttbr0 != value {
        // SAFETY: the root is a live VSpace table whose ASID the kernel
        // assigned (or the empty root); user mappings are non-global, so
        // entries cached for another ASID do not apply. No ISB: the kernel
        // makes no TTBR0 access before its ERET to EL0 (it reaches user
        // memory through the linear map only), and the ERET is a context
        // synchronisation event that completes the switch.
        unsafe { asm!("msr ttbr0_el2, {}", in(reg) value, options(nostack, preserves_flags)) };
        core.ttbr0 = value;
    }
}

/// The TTBR0 value for a TCB's cached `ttbr0`: the empty root for 0 (a
/// thread without an address space faults on its first fetch).
pub fn ttbr0_or_empty(ttbr0: u64) -> u64 {
    if ttbr0 == 0 { empty_root() } else { ttbr0 }
}

/// Turns TTBR0 walks on for this core with the empty root loaded: from now
/// on user address spaces come and go through `activate`.
pub fn enable_user_half() {
    let value = empty_root();
    // SAFETY: the empty root maps nothing; the TLB invalidation drops any
    // entries from the boot identity map.
    unsafe {
        asm!("msr ttbr0_el2, {}", "isb", in(reg) value, options(nostack, preserves_flags));
        let tcr = super::sysreg::read_tcr_el2() & !super::sysreg::tcr::EPD0;
        super::sysreg::write_tcr_el2(tcr);
        asm!(
            "isb",
            "tlbi alle2",
            "dsb nsh",
            "isb",
            options(nostack, preserves_flags)
        );
        percore::this().ttbr0 = value;
    }
}
