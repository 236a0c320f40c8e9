//! Faults of user threads: sent as messages to the thread's fault handler
//! (an endpoint capability named in its own CSpace), which answers with a
//! reply; a thread without a usable handler is stopped and the fault
//! logged. A fault never stops the kernel.

use tessera_abi::{FaultLabel, MessageInfo, Rights};
use tessera_caps::Cap;
use tessera_esr::{Decoded, Syndrome};

use crate::ipc::{self, SendArgs};
use crate::object::object_ptr;
use crate::object::tcb::{PendingFault, Tcb, ThreadState};
use crate::{cspace, msg, println, sched};

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

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: callers pass live TCBs; under the kernel lock, one reference
    // at a time.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// Delivers `fault` of `thread` (a TCB address, 0 for none).
pub fn deliver(thread: u64, fault: Fault) {
    if thread == 0 {
        return;
    }
    match handler(thread) {
        Some((ep, badge, can_grant)) => {
            record_message(tcb(thread), &fault);
            ipc::send(
                thread,
                ep,
                SendArgs {
                    badge,
                    can_grant,
                    can_grant_reply: true,
                    is_call: true,
                    blocking: true,
                },
            );
        }
        None => {
            report(tcb(thread), &fault);
            let t = tcb(thread);
            t.state = ThreadState::Inactive;
            sched::remove(thread);
        }
    }
}

/// The thread's fault endpoint: an Endpoint cap with Write and Grant or
/// GrantReply, found at its fault-handler CPtr in its own CSpace.
fn handler(thread: u64) -> Option<(u64, u64, bool)> {
    let cptr = tcb(thread).fault_handler;
    let (_, cap) = cspace::lookup(thread, cptr).ok()?;
    match cap {
        Cap::Endpoint {
            paddr,
            badge,
            rights,
        } if rights.contains(Rights::WRITE)
            && rights.intersects(Rights::GRANT.union(Rights::GRANT_REPLY)) =>
        {
            Some((paddr, badge, rights.contains(Rights::GRANT)))
        }
        _ => None,
    }
}

/// Records the fault message in the TCB; `ipc::transfer` sends it from
/// there instead of the thread's message registers.
fn record_message(t: &mut Tcb, fault: &Fault) {
    let pc = t.regs.elr;
    let r = t.regs;
    let (label, pending, values): (FaultLabel, PendingFault, &[u64]) = match *fault {
        Fault::Vm {
            address,
            esr,
            instruction,
        } => (
            FaultLabel::VmFault,
            PendingFault::Vm,
            &[pc, address, u64::from(instruction), esr],
        ),
        Fault::UserException { esr } => (
            FaultLabel::UserException,
            PendingFault::UserException,
            &[pc, r.sp_el0, r.spsr, (esr >> 26) & 0x3f, esr],
        ),
        Fault::UnknownSyscall { number } => (
            FaultLabel::UnknownSyscall,
            PendingFault::UnknownSyscall,
            &[
                r.x[0], r.x[1], r.x[2], r.x[3], r.x[4], r.x[5], r.x[6], r.x[7], pc, r.sp_el0,
                r.x[30], r.spsr, number,
            ],
        ),
    };
    let n = values.len().min(t.fault_mrs.len());
    t.fault_mrs[..n].copy_from_slice(&values[..n]);
    t.fault_len = n as u8;
    t.fault_label = label as u64;
    t.pending_fault = pending;
}

/// Writes `sender`'s recorded fault message into `receiver`.
pub fn transfer_message(sender: &Tcb, receiver: &mut Tcb) {
    let n = usize::from(sender.fault_len).min(msg::capacity(receiver));
    for (i, &v) in sender.fault_mrs.iter().take(n).enumerate() {
        msg::set_mr(receiver, i, v);
    }
    receiver.regs.x[1] = MessageInfo::new(sender.fault_label, n).to_word();
}

/// Applies a fault handler's reply to the faulted thread.
pub fn apply_reply(replier: u64, faulted: u64, pending: PendingFault) {
    let info = msg::info(tcb(replier));
    let len = usize::from(info.length);
    let mrs: [u64; 12] = core::array::from_fn(|i| msg::get_mr(tcb(replier), i));
    let t = tcb(faulted);
    match pending {
        PendingFault::UnknownSyscall if len >= 12 => {
            t.regs.x[..8].copy_from_slice(&mrs[..8]);
            t.regs.elr = mrs[8];
            t.regs.sp_el0 = mrs[9];
            t.regs.x[30] = mrs[10];
            t.regs.spsr = sanitise_spsr(mrs[11]);
        }
        PendingFault::UserException if len >= 3 => {
            t.regs.elr = mrs[0];
            t.regs.sp_el0 = mrs[1];
            t.regs.spsr = sanitise_spsr(mrs[2]);
        }
        // Otherwise the thread resumes as it was: after the system call,
        // or at the faulting instruction.
        _ => {}
    }
}

/// A user-supplied SPSR: only the condition flags are taken; the thread
/// stays at EL0 in AArch64 with interrupts unmasked.
pub fn sanitise_spsr(value: u64) -> u64 {
    value & 0xf000_0000
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
        Fault::UserException { esr } => println!(
            "fault: thread {:?}: {} (pc {:#x}, ESR {:#x}); no fault handler, thread stopped",
            t.name(),
            Syndrome::from_esr(esr).ec.name(),
            pc,
            esr
        ),
        Fault::UnknownSyscall { number } => println!(
            "fault: thread {:?}: unknown system call {:#x} (pc {:#x}); no fault handler, thread stopped",
            t.name(),
            number,
            pc
        ),
    }
}
