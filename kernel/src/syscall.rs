//! System call dispatch (`SVC #0` from EL0, number in x7).

use tessera_abi::{MSG_MAX_LENGTH, Syscall};

use crate::fault::{self, Fault};
use crate::object::object_ptr;
use crate::object::tcb::Tcb;
use crate::{console, sched};

/// Handles the system call of `thread`, the current thread of `core`.
pub fn handle(core: usize, thread: u64) {
    if thread == 0 {
        return;
    }
    // SAFETY: the current thread of this core is a live TCB.
    let t = unsafe { &mut *object_ptr::<Tcb>(thread) };
    let number = t.regs.x[7];
    match Syscall::from_u64(number) {
        Some(Syscall::Yield) => sched::yield_current(core),
        Some(Syscall::DebugPutChar) => console::put_byte(t.regs.x[0] as u8),
        Some(Syscall::DebugPutString) => debug_put_string(t),
        Some(Syscall::DebugShutdown) if cfg!(feature = "test-hooks") => debug_shutdown(t.regs.x[0]),
        // Not implemented yet: the thread learns it through its fault
        // handler (or is stopped), never through a silent success.
        Some(_) | None => fault::deliver(thread, Fault::UnknownSyscall { number }),
    }
}

/// Prints up to `x1` bytes from the thread's IPC buffer message area.
fn debug_put_string(t: &mut Tcb) {
    let len = (t.regs.x[1] as usize).min(MSG_MAX_LENGTH * 8);
    if t.ipc_buffer_kernel == 0 {
        t.regs.x[0] = u64::MAX;
        return;
    }
    let msg = t.ipc_buffer_kernel + core::mem::offset_of!(tessera_abi::IpcBuffer, msg) as u64;
    // SAFETY: ipc_buffer_kernel is the linear-map address of the thread's
    // IPC buffer, which lies in a frame the thread holds and which stays
    // mapped in the kernel's linear map; `len` is bounded by the message
    // area. The bytes may change under us (another thread can write the
    // frame) but are only copied to the console.
    let bytes = unsafe { core::slice::from_raw_parts(msg as *const u8, len) };
    console::write_bytes(bytes);
    t.regs.x[0] = 0;
}

#[cfg(feature = "test-hooks")]
fn debug_shutdown(status: u64) {
    crate::println!("tessera: shutdown requested by user level (status {status})");
    if status != 0 {
        crate::arch::aarch64::semihosting::exit(status.min(255) as u32);
    }
    crate::arch::aarch64::psci::system_off();
}

#[cfg(not(feature = "test-hooks"))]
fn debug_shutdown(_status: u64) {}
