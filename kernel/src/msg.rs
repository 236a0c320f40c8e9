//! A thread's message: its message-info word, message registers (the first
//! four in x2–x5, the rest in its IPC buffer) and extra-cap pointers.

use tessera_abi::{Error, IpcBuffer, MSG_MAX_LENGTH, MSG_REGISTERS_IN_CPU, MessageInfo};
use tessera_caps::SyscallError;

use tessera_caps::raw;

use crate::arch::aarch64::boot_mmu::{phys_to_virt, virt_to_phys};
use crate::object::tcb::{self, Tcb};

/// The thread's IPC buffer, if it has one: its cached address, while the
/// TCB's IPC-buffer slot still holds the frame it points into.
pub fn ipc_buffer(t: &Tcb) -> Option<&'static mut IpcBuffer> {
    if !has_ipc_buffer(t) {
        return None;
    }
    // SAFETY: ipc_buffer_kernel is the linear-map address of an IPC buffer
    // inside the frame the TCB's IPC-buffer slot holds a capability to
    // (checked just above, so the frame is alive), aligned to 1 KiB; the
    // kernel lock is held and the reference is used briefly by the caller.
    Some(unsafe { &mut *(t.ipc_buffer_kernel as *mut IpcBuffer) })
}

/// Whether `t` has a usable IPC buffer: one was set, and the frame it is
/// in is still the one in the TCB's IPC-buffer slot.
fn has_ipc_buffer(t: &Tcb) -> bool {
    if t.ipc_buffer_kernel == 0 {
        return false;
    }
    let pa = virt_to_phys(t as *const Tcb as u64);
    let slot = tcb::slot_addr(pa, tcb::slot::IPC_BUFFER);
    // SAFETY: a TCB's own slot, in RAM under the linear map; the kernel
    // lock is held.
    let words = unsafe { &*(phys_to_virt(slot) as *const [u64; 4]) };
    raw::object_of(words, raw::word0::TAG_FRAME) == Some(t.ipc_buffer_frame)
}

/// The sender's message info, as it wrote it in x1.
pub fn info(t: &Tcb) -> MessageInfo {
    MessageInfo::from_word(t.regs.x[1])
}

/// Message register `i` of `t`, which sent `length` registers;
/// TruncatedMessage when the message is shorter.
pub fn mr(t: &Tcb, length: u8, i: usize) -> Result<u64, SyscallError> {
    if i >= usize::from(length) {
        return Err(SyscallError::plain(Error::TruncatedMessage));
    }
    Ok(get_mr(t, i))
}

/// Message register `i` without a length check (0 if there is none).
pub fn get_mr(t: &Tcb, i: usize) -> u64 {
    if i < MSG_REGISTERS_IN_CPU {
        t.regs.x[2 + i]
    } else {
        ipc_buffer(t)
            .and_then(|b| b.msg.get(i).copied())
            .unwrap_or(0)
    }
}

/// Sets message register `i`; false if it has no place (no IPC buffer).
pub fn set_mr(t: &mut Tcb, i: usize, value: u64) -> bool {
    if i < MSG_REGISTERS_IN_CPU {
        t.regs.x[2 + i] = value;
        true
    } else {
        match ipc_buffer(t).and_then(|b| b.msg.get_mut(i)) {
            Some(r) => {
                *r = value;
                true
            }
            None => false,
        }
    }
}

/// How many message registers can reach `t` (4 without an IPC buffer).
pub fn capacity(t: &Tcb) -> usize {
    if has_ipc_buffer(t) {
        MSG_MAX_LENGTH
    } else {
        MSG_REGISTERS_IN_CPU
    }
}

/// Writes a reply into `t`'s registers: x0 = 0, x1 = info, MRs.
pub fn reply(t: &mut Tcb, label: u64, values: &[u64]) {
    let n = values.len().min(capacity(t));
    for (i, &v) in values.iter().take(n).enumerate() {
        set_mr(t, i, v);
    }
    t.regs.x[0] = 0;
    t.regs.x[1] = MessageInfo::new(label, n).to_word();
}

/// Writes an error reply: the error code as label, its two detail words.
pub fn reply_error(t: &mut Tcb, e: SyscallError) {
    reply(t, e.error as u64, &e.details);
}
