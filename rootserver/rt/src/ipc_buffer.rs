//! The calling thread's IPC buffer.
//!
//! Each thread keeps its IPC buffer's address in its thread-pointer
//! register, TPIDR_EL0 (the kernel saves and restores it with the thread),
//! so threads sharing an address space each find their own buffer.

use tessera_abi::IpcBuffer;

/// Records where this thread's IPC buffer is (the start-up code does it; a
/// thread made with [`crate::thread`] gets it from its creator).
pub fn set(address: u64) {
    tp::write(address);
}

/// This thread's IPC buffer address (0 if it has none).
pub fn address() -> u64 {
    tp::read()
}

/// Runs `f` on this thread's IPC buffer; None if it has none.
pub fn with<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> Option<R> {
    let address = address();
    if address == 0 {
        return None;
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: the address is the thread's IPC buffer, mapped read-write
        // by whoever started the thread, aligned, and used by this thread
        // only; the reference does not outlive `f`.
        Some(f(unsafe { &mut *(address as *mut IpcBuffer) }))
    }
    #[cfg(not(target_arch = "aarch64"))]
    {
        Some(tp::with_host_buffer(f))
    }
}

#[cfg(target_arch = "aarch64")]
mod tp {
    pub fn write(value: u64) {
        // SAFETY: TPIDR_EL0 is the thread's own register; nothing else in
        // the runtime or the compiler's code uses it.
        unsafe { core::arch::asm!("msr tpidr_el0, {}", in(reg) value, options(nomem, nostack)) };
    }

    pub fn read() -> u64 {
        let value;
        // SAFETY: reading TPIDR_EL0 has no side effects.
        unsafe { core::arch::asm!("mrs {}, tpidr_el0", out(reg) value, options(nomem, nostack)) };
        value
    }
}

/// On the host a thread-local stands in for the register and the buffer.
#[cfg(not(target_arch = "aarch64"))]
mod tp {
    use std::cell::{Cell, RefCell};

    use tessera_abi::IpcBuffer;

    std::thread_local! {
        static TP: Cell<u64> = const { Cell::new(0) };
        static BUFFER: RefCell<IpcBuffer> = const { RefCell::new(IpcBuffer::zeroed()) };
    }

    pub fn write(value: u64) {
        TP.with(|t| t.set(value));
    }

    pub fn read() -> u64 {
        TP.with(Cell::get)
    }

    pub fn with_host_buffer<R>(f: impl FnOnce(&mut IpcBuffer) -> R) -> R {
        BUFFER.with(|b| f(&mut b.borrow_mut()))
    }
}
