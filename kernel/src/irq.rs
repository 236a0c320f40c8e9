//! Interrupts the kernel takes: today only its own timer.

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
        } else {
            // A line user level claimed: masked and signalled.
            crate::object::irq::deliver(intid);
        }
        // The reschedule SGI needs nothing more: the core reschedules on
        // its way out of the kernel.
        gic::end_of_interrupt(intid);
    }
}
