//! The calling thread's IPC buffer.

use core::sync::atomic::{AtomicUsize, Ordering};

use tessera_abi::IpcBuffer;

static IPC_BUFFER: AtomicUsize = AtomicUsize::new(0);

/// Records where this thread's IPC buffer is (the start-up code does it).
pub fn set(address: u64) {
    IPC_BUFFER.store(address as usize, Ordering::Relaxed);
}

/// Runs `f` on this thread's IPC buffer; None if it has none.
pub fn with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> Option<R> {
    let address = IPC_BUFFER.load(Ordering::Relaxed);
    if address == 0 {
        return None;
    }
    // SAFETY: the address is the thread's IPC buffer, mapped read-write by
    // whoever started the thread, aligned, and used by this thread only; the
    // reference does not outlive `f`.
    Some(f(unsafe { &mut *(address as *mut IpcBuffer) }))
}
