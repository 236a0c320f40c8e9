//! Interrupts as IPC: IRQControl hands out one IRQHandler capability per
//! interrupt line; a handler is bound to a notification, and when the line
//! fires the kernel masks it and signals the notification with its badge;
//! the user-level driver acknowledges through the handler to unmask.
//!
//! For each line the kernel keeps a slot (like seL4's IRQ node) holding a
//! copy of the bound notification capability, so the notification cannot
//! be destroyed while the line may signal it. A line is a shared interrupt
//! (SPI) or one core's copy of a private interrupt (PPI) in [`USER_PPIS`];
//! the SGIs and the other PPIs are the kernel's (reschedule SGI, its timer,
//! the guests' timers, VGIC maintenance) and cannot be claimed.

use core::ptr::addr_of;

use tessera_abi::{Error, Label, Rights};
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, derive, mdb};

use super::cnode::KernelSlots;
use super::{delete, notification};
use crate::arch::aarch64::smp::MAX_CPUS;
use crate::arch::aarch64::{boot_mmu, gic, percore, smp};
use crate::cspace;
use crate::invocation::{Invoker, Outcome};

/// The PPIs user level may claim, one line per core: the EL2 virtual timer
/// (INTID 28), which threads program through `CNTV_*_EL0` (the kernel lets
/// EL0 reach it; see `timer::init_this_core`).
pub const USER_PPIS: [u32; 1] = [28];

/// SPI lines (GICv3 INTIDs below 1020; the SGIs and PPIs among them are
/// never claimed).
const SPI_LINES: usize = 1020;
/// Lines the table covers: the SPIs, then 16 PPIs per core.
const LINES: usize = SPI_LINES + MAX_CPUS * 16;

/// An interrupt line: what an IRQHandler capability names (as its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Line {
    Spi(u32),
    Ppi { core: usize, intid: u32 },
}

impl Line {
    fn index(self) -> usize {
        match self {
            Line::Spi(intid) => intid as usize,
            Line::Ppi { core, intid } => SPI_LINES + core * 16 + (intid as usize - 16),
        }
    }

    fn from_index(index: u16) -> Line {
        let index = usize::from(index);
        if index < SPI_LINES {
            Line::Spi(index as u32)
        } else {
            let ppi = index - SPI_LINES;
            Line::Ppi {
                core: ppi / 16,
                intid: (ppi % 16) as u32 + 16,
            }
        }
    }

    fn mask(self) {
        match self {
            Line::Spi(intid) => gic::mask_spi(intid),
            Line::Ppi { core, intid } => gic::mask_ppi(core, intid),
        }
    }

    fn unmask(self) {
        match self {
            Line::Spi(intid) => gic::unmask_spi(intid),
            Line::Ppi { core, intid } => gic::unmask_ppi(core, intid),
        }
    }
}

/// Per line: whether a handler capability exists.
static mut CLAIMED: [bool; LINES] = [false; LINES];
/// Per line: the bound notification capability (a kernel-owned slot).
static mut SLOTS: [[u64; 8]; LINES] = [[0; 8]; LINES];

fn claimed(line: Line) -> bool {
    // SAFETY: under the kernel lock; the index is bounded.
    unsafe { addr_of!(CLAIMED[line.index() % LINES]).read() }
}

fn set_claimed(line: Line, value: bool) {
    // SAFETY: as in claimed.
    unsafe { core::ptr::addr_of_mut!(CLAIMED[line.index() % LINES]).write(value) };
}

/// The physical address of `line`'s notification slot.
fn slot(line: Line) -> SlotAddr {
    // SAFETY: only the address is taken.
    let va = unsafe { addr_of!(SLOTS[line.index() % LINES]) } as u64;
    boot_mmu::kimage_pa(va)
}

/// IRQControl and IRQHandler invocations.
pub fn invoke(inv: &Invoker, control_slot: SlotAddr, cap: &Cap) -> Result<Outcome, SyscallError> {
    match (*cap, inv.label) {
        (Cap::IrqControl, Some(Label::IrqControlGet)) => get(inv, control_slot),
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerSetNotification)) => {
            set_notification(inv, Line::from_index(irq))
        }
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerAck)) => {
            let line = Line::from_index(irq);
            if !KernelSlots.read(slot(line)).is_empty() {
                line.unmask();
            }
            Ok(Outcome::ok())
        }
        (Cap::IrqHandler { irq }, Some(Label::IrqHandlerClear)) => {
            let line = Line::from_index(irq);
            line.mask();
            delete::delete_one(slot(line));
            Ok(Outcome::ok())
        }
        _ => Err(SyscallError::illegal_operation()),
    }
}

fn get(inv: &Invoker, control_slot: SlotAddr) -> Result<Outcome, SyscallError> {
    let (intid, trigger, core) = (inv.mr(0)?, inv.mr(1)?, inv.mr(2)?);
    let last = u64::from(gic::line_count()).min(SPI_LINES as u64) - 1;
    if intid > last {
        return Err(SyscallError::range(u64::from(gic::FIRST_SPI), last));
    }
    let private = intid < u64::from(gic::FIRST_SPI);
    if private && !USER_PPIS.contains(&(intid as u32)) {
        // An SGI or a PPI the kernel keeps.
        return Err(SyscallError::invalid_argument(0));
    }
    // PPIs are level-sensitive (the timers').
    if trigger > 1 || (private && trigger != 0) {
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
    let line = if private {
        Line::Ppi {
            core: core as usize,
            intid: intid as u32,
        }
    } else {
        Line::Spi(intid as u32)
    };
    if claimed(line) {
        return Err(SyscallError::plain(Error::RevokeFirst));
    }
    let handler = Cap::IrqHandler {
        irq: line.index() as u16,
    };
    mdb::check_insert(&KernelSlots, control_slot, dest, &handler)
        .map_err(|e| SyscallError::plain(e.error()))?;
    // Perform.
    match line {
        Line::Spi(intid) => gic::configure_spi(intid, trigger == 1, smp::mpidr_of(core as usize)),
        Line::Ppi { core, intid } => gic::configure_ppi(core, intid),
    }
    let _ = mdb::insert(&mut KernelSlots, control_slot, dest, handler);
    set_claimed(line, true);
    Ok(Outcome::ok())
}

fn set_notification(inv: &Invoker, line: Line) -> Result<Outcome, SyscallError> {
    let (src, cap) = inv.cap(0)?;
    let Cap::Notification { rights, .. } = cap else {
        return Err(cspace::wrong_extra_cap(0));
    };
    if !rights.contains(Rights::WRITE) {
        return Err(cspace::wrong_extra_cap(0));
    }
    let copy = derive::derive(&cap)?;
    // Perform: replace any earlier binding, then let the line fire.
    delete::delete_one(slot(line));
    let _ = mdb::insert(&mut KernelSlots, src, slot(line), copy);
    line.unmask();
    Ok(Outcome::ok())
}

/// Line `intid` fired on this core: mask it and signal its notification.
/// Returns false if the line is not one user level claimed (the caller
/// then masks a PPI, so a line nobody handles cannot fire again).
pub fn deliver(intid: u32) -> bool {
    let line = if intid < gic::FIRST_SPI {
        if !USER_PPIS.contains(&intid) {
            return false;
        }
        Line::Ppi {
            core: percore::core_index(),
            intid,
        }
    } else if (intid as usize) < SPI_LINES {
        Line::Spi(intid)
    } else {
        return false;
    };
    if !claimed(line) {
        return false;
    }
    line.mask();
    if let Cap::Notification { paddr, badge, .. } = KernelSlots.read(slot(line)).cap {
        notification::signal(paddr, badge);
    }
    true
}

/// The last IRQHandler capability of a line is gone: release the line.
pub fn release(irq: u16) {
    if usize::from(irq) < LINES {
        let line = Line::from_index(irq);
        line.mask();
        delete::delete_one(slot(line));
        set_claimed(line, false);
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
