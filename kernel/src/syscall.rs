//! System call dispatch (`SVC #0` from EL0, number in x7).
//!
//! A capability that cannot be used for the call (lookup fails, wrong
//! object type, missing right) makes the call return at once with the
//! error as the reply label; Tessera never turns it into a fault.

use tessera_abi::{Error, MSG_MAX_LENGTH, Rights, Syscall};
use tessera_caps::{Cap, SyscallError};

use crate::fault::{self, Fault};
use crate::ipc::{self, SendArgs};
use crate::object::notification;
use crate::object::object_ptr;
use crate::object::tcb::{self, Tcb};
use crate::{console, cspace, invocation, msg, sched};

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: the current thread of this core is a live TCB; under the
    // kernel lock, one reference at a time.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// Handles the system call of `thread`, the current thread of `core`.
pub fn handle(core: usize, thread: u64) {
    if thread == 0 {
        return;
    }
    let number = tcb(thread).regs.x[7];
    let result = match Syscall::from_u64(number) {
        Some(Syscall::Call) => call(thread),
        Some(Syscall::Send) => send(thread, true),
        Some(Syscall::NBSend) => send(thread, false),
        Some(Syscall::Recv) => recv(thread, true),
        Some(Syscall::NBRecv) => recv(thread, false),
        Some(Syscall::Reply) => {
            ipc::reply_through(thread, tcb::slot_addr(thread, tcb::slot::CALLER));
            Ok(())
        }
        Some(Syscall::ReplyRecv) => {
            ipc::reply_through(thread, tcb::slot_addr(thread, tcb::slot::CALLER));
            recv(thread, true)
        }
        Some(Syscall::Yield) => {
            sched::yield_current(core);
            Ok(())
        }
        Some(Syscall::DebugPutChar) => {
            console::put_byte(tcb(thread).regs.x[0] as u8);
            Ok(())
        }
        Some(Syscall::DebugPutString) => {
            debug_put_string(tcb(thread));
            Ok(())
        }
        #[cfg(feature = "test-hooks")]
        Some(Syscall::DebugTriggerIrq) => {
            let ok = crate::object::irq::trigger(tcb(thread).regs.x[0]);
            tcb(thread).regs.x[0] = if ok { 0 } else { u64::MAX };
            Ok(())
        }
        Some(Syscall::DebugShutdown) if cfg!(feature = "test-hooks") => {
            debug_shutdown(tcb(thread).regs.x[0]);
            Ok(())
        }
        Some(_) | None => {
            fault::deliver(thread, Fault::UnknownSyscall { number });
            Ok(())
        }
    };
    if let Err(e) = result {
        msg::reply_error(tcb(thread), e);
    }
}

/// Call: on an endpoint, send and wait for the reply; on a notification,
/// signal; on any other object, invoke it and reply at once.
fn call(thread: u64) -> Result<(), SyscallError> {
    let (slot, cap) = cspace::lookup(thread, tcb(thread).regs.x[0])?;
    match cap {
        Cap::Endpoint {
            paddr,
            badge,
            rights,
        } => {
            let can_reply = rights.intersects(Rights::GRANT.union(Rights::GRANT_REPLY));
            if !rights.contains(Rights::WRITE) || !can_reply {
                return Err(invalid_cap());
            }
            let args = SendArgs {
                badge,
                can_grant: rights.contains(Rights::GRANT),
                can_grant_reply: true,
                is_call: true,
                blocking: true,
            };
            ipc::send(thread, paddr, args);
            Ok(())
        }
        Cap::Notification {
            paddr,
            badge,
            rights,
        } => signal(thread, paddr, badge, rights),
        Cap::Reply { .. } => Err(SyscallError::illegal_operation()),
        _ => invocation::invoke(thread, slot, cap),
    }
}

/// Send/NBSend: on an endpoint, send; on a notification, signal; on a
/// saved reply capability, reply; on another object, invoke it without a
/// reply.
fn send(thread: u64, blocking: bool) -> Result<(), SyscallError> {
    let (slot, cap) = cspace::lookup(thread, tcb(thread).regs.x[0])?;
    match cap {
        Cap::Endpoint {
            paddr,
            badge,
            rights,
        } => {
            if !rights.contains(Rights::WRITE) {
                return Err(invalid_cap());
            }
            let args = SendArgs {
                badge,
                can_grant: rights.contains(Rights::GRANT),
                can_grant_reply: rights.contains(Rights::GRANT_REPLY),
                is_call: false,
                blocking,
            };
            ipc::send(thread, paddr, args);
            // Done (delivered or dropped): x1 = 0 says "no error". A blocked
            // sender gets it when a receiver takes its message.
            if tcb(thread).state == crate::object::tcb::ThreadState::Running {
                tcb(thread).regs.x[1] = 0;
            }
            Ok(())
        }
        Cap::Notification {
            paddr,
            badge,
            rights,
        } => signal(thread, paddr, badge, rights),
        Cap::Reply { master: false, .. } => {
            ipc::reply_through(thread, slot);
            Ok(())
        }
        Cap::Reply { .. } => Err(SyscallError::illegal_operation()),
        _ => {
            // The invocation's reply lands in the thread's registers; a
            // Send caller simply does not look at it.
            invocation::invoke(thread, slot, cap)
        }
    }
}

fn signal(thread: u64, n: u64, badge: u64, rights: Rights) -> Result<(), SyscallError> {
    if !rights.contains(Rights::WRITE) {
        return Err(invalid_cap());
    }
    notification::signal(n, badge);
    let t = tcb(thread);
    t.regs.x[1] = 0;
    Ok(())
}

/// Recv/NBRecv on an endpoint or a notification.
fn recv(thread: u64, blocking: bool) -> Result<(), SyscallError> {
    let (_, cap) = cspace::lookup(thread, tcb(thread).regs.x[0])?;
    match cap {
        Cap::Endpoint { paddr, rights, .. } if rights.contains(Rights::READ) => {
            ipc::receive(thread, paddr, blocking);
            Ok(())
        }
        Cap::Notification { paddr, rights, .. } if rights.contains(Rights::READ) => {
            let bound = notification::get(paddr).bound;
            if bound != 0 && bound != thread {
                return Err(SyscallError::illegal_operation());
            }
            notification::wait(paddr, thread, blocking);
            Ok(())
        }
        _ => Err(invalid_cap()),
    }
}

fn invalid_cap() -> SyscallError {
    SyscallError::plain(Error::InvalidCapability)
}

/// Prints up to `x1` bytes from the thread's IPC buffer message area.
fn debug_put_string(t: &mut Tcb) {
    let len = (t.regs.x[1] as usize).min(MSG_MAX_LENGTH * 8);
    let Some(buf) = msg::ipc_buffer(t) else {
        t.regs.x[0] = u64::MAX;
        return;
    };
    let mut bytes = [0u8; MSG_MAX_LENGTH * 8];
    for (chunk, word) in bytes.chunks_mut(8).zip(buf.msg.iter()) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    console::write_bytes(&bytes[..len]);
    t.regs.x[0] = 0;
}

#[cfg(feature = "test-hooks")]
fn debug_shutdown(status: u64) {
    crate::println!("tessera: shutdown requested by user level (status {status})");
    if cfg!(feature = "stats") {
        crate::println!(
            "tessera: IPC fastpath taken {} times",
            crate::fastpath::taken()
        );
    }
    if status != 0 {
        crate::arch::aarch64::semihosting::exit(status.min(255) as u32);
    }
    crate::arch::aarch64::psci::system_off();
}

#[cfg(not(feature = "test-hooks"))]
fn debug_shutdown(_status: u64) {}
