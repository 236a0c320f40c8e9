//! What the kernel does with each exception it takes.
//!
//! For now the kernel only expects IRQs (its timer); anything else taken at
//! EL2 is a kernel bug and stops the machine with a decoded report.

use aarch64_cpu::registers::{ESR_EL2, FAR_EL2, Readable};

use super::cpu;
use super::vectors::{TrapFrame, VectorKind};

/// Called by the vectors with the slot taken and the saved frame.
pub extern "C" fn handle_exception(slot: u64, frame: &mut TrapFrame) {
    match VectorKind::from_slot(slot) {
        Some(VectorKind::CurrentSpxIrq) => handle_irq(),
        kind => unexpected(kind, slot, frame),
    }
}

/// An IRQ taken in the kernel: only while a core waits during boot with
/// IRQs unmasked (afterwards the kernel runs with them masked).
fn handle_irq() {
    crate::irq::handle_pending(cpu::core_index());
}

fn unexpected(kind: Option<VectorKind>, slot: u64, frame: &TrapFrame) -> ! {
    let esr = ESR_EL2.get();
    let far = FAR_EL2.get();
    let ec = (esr >> 26) & 0x3f;
    crate::fatal::begin();
    crate::emergency_println!(
        "FATAL: unexpected exception on core {}: EC {:#x} ({}), vector {} ({:?})",
        cpu::core_index(),
        ec,
        tessera_esr::ExceptionClass::from_esr(esr).name(),
        slot,
        kind.unwrap_or(VectorKind::CurrentSp0Sync),
    );
    crate::emergency_println!(
        "FATAL:   ESR {:#x} FAR {:#x} ELR {:#x} SPSR {:#x}",
        esr,
        far,
        frame.elr,
        frame.spsr
    );
    crate::emergency_println!(
        "FATAL:   x0 {:#x} x1 {:#x} x29 {:#x} x30 {:#x}",
        frame.x[0],
        frame.x[1],
        frame.x[29],
        frame.x[30]
    );
    crate::fatal::stop()
}
