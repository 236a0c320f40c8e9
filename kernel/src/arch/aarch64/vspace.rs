//! Switching the user half of the address space (TTBR0_EL2 with an ASID).

use core::arch::asm;
use core::ptr::addr_of;

use tessera_paging::PageTable;

use super::boot_mmu;
use super::percore;
use super::smp::MAX_CPUS;

/// An empty level-0 table with ASID 0: loaded when a core has no user
/// address space, so stray user accesses fault instead of walking garbage.
static EMPTY_ROOT: PageTable = PageTable::zeroed();

/// Each core's TTBR0 value, so an unchanged address space costs nothing.
static mut LOADED: [u64; MAX_CPUS] = [0; MAX_CPUS];

/// The value of TTBR0_EL2 for `root` (physical) and `asid`.
fn ttbr0(root: u64, asid: u16) -> u64 {
    if root == 0 {
        boot_mmu::kimage_pa(addr_of!(EMPTY_ROOT) as u64)
    } else {
        root | (u64::from(asid) << 48)
    }
}

/// Makes the address space `root`/`asid` current on this core.
pub fn activate(root: u64, asid: u16) {
    let value = ttbr0(root, asid);
    let core = percore::core_index() % MAX_CPUS;
    // SAFETY: this core's own entry, under the kernel lock. The root is a
    // live VSpace table whose ASID the kernel assigned (or the empty root);
    // user mappings are non-global, so entries cached for another ASID do
    // not apply; the ISB completes the switch before returning to EL0.
    unsafe {
        let loaded = core::ptr::addr_of_mut!(LOADED[core]);
        if loaded.read() == value {
            return;
        }
        asm!("msr ttbr0_el2, {}", "isb", in(reg) value, options(nostack, preserves_flags));
        loaded.write(value);
    }
}

/// Turns TTBR0 walks on for this core with the empty root loaded: from now
/// on user address spaces come and go through `activate`.
pub fn enable_user_half() {
    let value = ttbr0(0, 0);
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
        let core = percore::core_index() % MAX_CPUS;
        core::ptr::addr_of_mut!(LOADED[core]).write(value);
    }
}
