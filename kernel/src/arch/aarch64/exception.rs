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

/// A short name for an exception class (ESR_ELx.EC).
pub fn exception_class_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "unknown reason",
        0x01 => "WFI/WFE",
        0x07 => "FP/SIMD access",
        0x0e => "illegal execution state",
        0x15 => "SVC (AArch64)",
        0x16 => "HVC (AArch64)",
        0x17 => "SMC (AArch64)",
        0x18 => "system register access",
        0x20 => "instruction abort, lower EL",
        0x21 => "instruction abort, same EL",
        0x22 => "PC alignment",
        0x24 => "data abort, lower EL",
        0x25 => "data abort, same EL",
        0x26 => "SP alignment",
        0x2c => "floating-point exception",
        0x2f => "SError",
        0x30 => "breakpoint, lower EL",
        0x31 => "breakpoint, same EL",
        0x32 => "software step, lower EL",
        0x33 => "software step, same EL",
        0x34 => "watchpoint, lower EL",
        0x35 => "watchpoint, same EL",
        0x3c => "BRK instruction",
        _ => "reserved",
    }
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
        exception_class_name(ec),
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
