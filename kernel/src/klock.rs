//! The big kernel lock: one ticket lock taken on every kernel entry and
//! released on the way back to user level (just before `restore_user`
//! loads the thread's registers, once they are published in
//! `PerCore::user_regs`) or when a core goes idle.
//!
//! A ticket lock serves cores in arrival order, so a core waits for at most
//! the other cores' kernel paths, each bounded (see docs/architecture.md).

use core::sync::atomic::{AtomicU32, Ordering};

#[repr(C, align(64))]
pub(crate) struct TicketLock {
    next: AtomicU32,
    serving: AtomicU32,
}

/// The lock (the Call fastpath, in assembly, takes and releases it too).
pub(crate) static KERNEL_LOCK: TicketLock = TicketLock {
    next: AtomicU32::new(0),
    serving: AtomicU32::new(0),
};

/// Where `serving` is in the lock, for the assembly.
pub(crate) const SERVING_OFFSET: usize = core::mem::offset_of!(TicketLock, serving);

/// Takes the kernel lock.
pub fn acquire() {
    let ticket = KERNEL_LOCK.next.fetch_add(1, Ordering::Relaxed);
    while KERNEL_LOCK.serving.load(Ordering::Acquire) != ticket {
        core::hint::spin_loop();
    }
}

/// Releases the kernel lock (the caller holds it).
#[inline(always)]
pub fn release() {
    let serving = KERNEL_LOCK.serving.load(Ordering::Relaxed);
    KERNEL_LOCK
        .serving
        .store(serving.wrapping_add(1), Ordering::Release);
}
