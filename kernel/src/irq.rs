//! Interrupts taken by the kernel: its timer, the reschedule SGI, and the
//! lines user level claimed, which become notification signals.

use crate::arch::aarch64::{gic, timer};
use crate::sched;

/// Interrupts handled per call at most, so a stuck line cannot hold a core
/// in the kernel.
const MAX_PER_ENTRY: usize = 8;

/// Acknowledges and handles what is pending on this core.
pub fn handle_pending(core: usize) {
    for _ in 0..MAX_PER_ENTRY {
        let Some(intid) = gic::acknowledge() else {
            return;
        };
        if intid == timer::intid() {
            timer::handle_tick(core);
            sched::tick(core);
        } else if !crate::object::irq::deliver(intid) && intid < gic::FIRST_SPI {
            // A private line nobody claimed, such as the EL2 virtual timer
            // that any thread may program: keep it quiet. (Unclaimed SPIs
            // are never unmasked.)
            gic::mask_ppi(core, intid);
        }
        // The reschedule SGI needs nothing more: the core reschedules on
        // its way out of the kernel.
        gic::end_of_interrupt(intid);
    }
}
