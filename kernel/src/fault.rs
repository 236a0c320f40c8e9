//! Faults of user threads.
//!
//! Fault messages to a handler endpoint come with IPC; until then, and
//! whenever a thread has no handler, the thread is stopped and the fault is
//! logged. A fault never stops the kernel.

use tessera_esr::{Decoded, ExceptionClass, Syndrome};

use crate::object::object_ptr;
use crate::object::tcb::{Tcb, ThreadState};
use crate::{println, sched};

/// What went wrong in a thread.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// A translation or permission fault.
    Vm {
        address: u64,
        esr: u64,
        instruction: bool,
    },
    /// An exception that is not a memory fault (undefined instruction,
    /// alignment, breakpoint, …).
    UserException { esr: u64 },
    /// A system call number the kernel does not know.
    UnknownSyscall { number: u64 },
}

/// Delivers `fault` of `thread` (a TCB address, 0 for none).
pub fn deliver(thread: u64, fault: Fault) {
    if thread == 0 {
        return;
    }
    // SAFETY: `thread` is the current thread of this core, a live TCB.
    let t = unsafe { &mut *object_ptr::<Tcb>(thread) };
    report(t, &fault);
    t.state = ThreadState::Inactive;
    sched::remove(thread);
}

fn report(t: &Tcb, fault: &Fault) {
    let pc = t.regs.elr;
    match *fault {
        Fault::Vm {
            address,
            esr,
            instruction,
        } => {
            let what = match tessera_esr::decode(esr) {
                Decoded::DataAbort(d) => d.fault.name(),
                Decoded::InstructionAbort(a) => a.fault.name(),
                _ => "memory fault",
            };
            println!(
                "fault: thread {:?}: {} {} at {:#x} (pc {:#x}, ESR {:#x}); no fault handler, thread stopped",
                t.name(),
                if instruction {
                    "instruction fetch"
                } else {
                    "data access"
                },
                what,
                address,
                pc,
                esr
            );
        }
        Fault::UserException { esr } => {
            let ec: ExceptionClass = Syndrome::from_esr(esr).ec;
            println!(
                "fault: thread {:?}: {} (pc {:#x}, ESR {:#x}); no fault handler, thread stopped",
                t.name(),
                ec.name(),
                pc,
                esr
            );
        }
        Fault::UnknownSyscall { number } => {
            println!(
                "fault: thread {:?}: unknown system call {:#x} (pc {:#x}); no fault handler, thread stopped",
                t.name(),
                number,
                pc
            );
        }
    }
}
