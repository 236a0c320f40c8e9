//! Interrupts as IPC: IRQControl hands out one IRQHandler capability per
//! shared interrupt line; a handler is bound to a notification, and when
//! the line fires the kernel masks it and signals the notification with its
//! badge; the user-level driver acknowledges through the handler to unmask.
//!
//! For each line the kernel keeps a slot (like seL4's IRQ node) holding a
//! copy of the bound notification capability, so the notification cannot
//! be destroyed while the line may signal it. Only SPIs can be claimed: the
//! SGIs and PPIs (0–31) include the lines the kernel keeps (reschedule SGI,
//! timers, VGIC maintenance).

use core::ptr::addr_of;

use tessera_abi::{Error, Label, Rights};
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, derive, mdb};

use super::cnode::KernelSlots;
use super::{delete, notification};
use crate::arch::aarch64::{boot_mmu, gic, smp};
use crate::cspace;
use crate::invocation::{Invoker, Outcome};

/// Lines the table covers (GICv3 INTIDs below 1020).
const LINES: usize = 1020;

/// Per line: whether a handler capability exists.
static mut CLAIMED: [bool; LINES] = [false; LINES];
/// Per line: the bound notification capability (a kernel-owned slot).
static mut SLOTS: [[u64; 8]; LINES] = [[0; 8]; LINES];

fn claimed(intid: u32) -> bool {
    // SAFETY: under the kernel lock; the index is bounded by the callers.
    unsafe { addr_of!(CLAIMED[intid as usize % LINES]).read() }
}

fn set_claimed(intid: u32, value: bool) {
    // SAFETY: as in claimed.
    unsafe { core::ptr::addr_of_mut!(CLAIMED[intid as usize % LINES]).write(value) };
}

/// The physical address of line `intid`'s notification slot.
fn slot(intid: u32) -> SlotAddr {
    // SAFETY: only the address is taken.
    let va = unsafe { addr_of!(SLOTS[intid as usize % LINES]) } as u64;
    boot_mmu::kimage_pa(va)
}

/// IRQControl and IRQHandler invocations.
pub fn invoke(inv: &Invoker, control_slot: SlotAddr, cap: &Cap) -> Result<Outcome, SyscallError> {
    match (*cap, inv.label) {
        (Cap::IrqControl, Some(Label::IrqControlGet)) => get(inv, control_slot),
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerSetNotification)) => {
            set_notification(inv, u32::from(irq))
        }
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerAck)) => {
            if !KernelSlots.read(slot(u32::from(irq))).is_empty() {
                gic::unmask_spi(u32::from(irq));
            }
            Ok(Outcome::ok())
        }
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerClear)) => {
            gic::mask_spi(u32::from(irq));
            delete::delete_slot(slot(u32::from(irq)));
            Ok(Outcome::ok())
        }
        _ => Err(SyscallError::illegal_operation()),
    }
}

fn get(inv: &Invoker, control_slot: SlotAddr) -> Result<Outcome, SyscallError> {
    let (intid, trigger, core) = (inv.mr(0)?, inv.mr(1)?, inv.mr(2)?);
    let last = u64::from(gic::line_count()).min(LINES as u64) - 1;
    if intid < u64::from(gic::FIRST_SPI) || intid > last {
        return Err(SyscallError::range(u64::from(gic::FIRST_SPI), last));
    }
    if trigger > 1 {
        return Err(SyscallError::invalid_argument(1));
    }
    let cores = smp::core_count() as u64;
    if core >= cores {
        return Err(SyscallError::range(0, cores - 1));
    }
    let (_, root) = inv.cap(0)?;
    if !matches!(root, Cap::CNode { .. }) {
        return Err(cspace::wrong_extra_cap(0));
    }
    let dest = cspace::resolve_slot(&root, inv.mr(3)?, inv.mr(4)?)?;
    let intid = intid as u32;
    if claimed(intid) {
        return Err(SyscallError::plain(Error::RevokeFirst));
    }
    let handler = Cap::IrqHandler { irq: intid as u16 };
    mdb::check_insert(&KernelSlots, control_slot, dest, &handler)
        .map_err(|e| SyscallError::plain(e.error()))?;
    // Perform.
    gic::configure_spi(intid, trigger == 1, smp::mpidr_of(core as usize));
    let _ = mdb::insert(&mut KernelSlots, control_slot, dest, handler);
    set_claimed(intid, true);
    Ok(Outcome::ok())
}

fn set_notification(inv: &Invoker, intid: u32) -> Result<Outcome, SyscallError> {
    let (src, cap) = inv.cap(0)?;
    let Cap::Notification { rights, .. } = cap else {
        return Err(cspace::wrong_extra_cap(0));
    };
    if !rights.contains(Rights::WRITE) {
        return Err(cspace::wrong_extra_cap(0));
    }
    let copy = derive::derive(&cap)?;
    // Perform: replace any earlier binding, then let the line fire.
    delete::delete_slot(slot(intid));
    let _ = mdb::insert(&mut KernelSlots, src, slot(intid), copy);
    gic::unmask_spi(intid);
    Ok(Outcome::ok())
}

/// Line `intid` fired on this core: mask it and signal its notification.
/// Returns false if the line is not one user level claimed.
pub fn deliver(intid: u32) -> bool {
    if intid < gic::FIRST_SPI || intid as usize >= LINES || !claimed(intid) {
        return false;
    }
    gic::mask_spi(intid);
    if let Cap::Notification { paddr, badge, .. } = KernelSlots.read(slot(intid)).cap {
        notification::signal(paddr, badge);
    }
    true
}

/// The last IRQHandler capability of a line is gone: release the line.
pub fn release(intid: u32) {
    if (intid as usize) < LINES {
        gic::mask_spi(intid);
        delete::delete_slot(slot(intid));
        set_claimed(intid, false);
    }
}

/// Makes line `intid` pending (the test kernels' DebugTriggerIrq).
#[cfg(feature = "test-hooks")]
pub fn trigger(intid: u64) -> bool {
    if intid < u64::from(gic::FIRST_SPI) || intid >= u64::from(gic::line_count()) {
        return false;
    }
    gic::set_pending_spi(intid as u32);
    true
}
