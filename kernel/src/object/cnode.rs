//! CNodes: arrays of 64-byte capability slots. Slots are named by their
//! physical address (the `SlotAddr` of `tessera-caps`).

use tessera_abi::CNODE_SLOT_BITS;
use tessera_caps::{Slot, SlotAddr, SlotStore};

use crate::arch::aarch64::boot_mmu::phys_to_virt;

/// The kernel's slot memory as `tessera-caps` sees it.
pub struct KernelSlots;

impl SlotStore for KernelSlots {
    fn read(&self, at: SlotAddr) -> Slot {
        // SAFETY: tessera-caps is only given addresses of real slots (in
        // CNodes and TCBs, which live in RAM under the linear map) and the
        // kernel lock is held.
        let words = unsafe { (phys_to_virt(at) as *const [u64; 8]).read() };
        // Only the kernel writes slots, always with Slot::encode of a
        // well-formed capability (user level never reaches slot memory), so
        // the cheap decode is exact.
        Slot::decode_trusted(&words)
    }

    fn write(&mut self, at: SlotAddr, slot: Slot) {
        // SAFETY: as in read.
        unsafe { (phys_to_virt(at) as *mut [u64; 8]).write(slot.encode()) };
    }
}

/// The address of slot `index` of the CNode at `cnode`.
pub const fn slot_addr(cnode: u64, index: u64) -> SlotAddr {
    cnode + (index << CNODE_SLOT_BITS)
}
