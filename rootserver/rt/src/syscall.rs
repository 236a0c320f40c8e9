//! Raw system calls: `SVC #0` with the number in x7 (see `tessera_abi`).

use core::arch::asm;

use tessera_abi::Syscall;

/// The registers a system call returns: x0 (badge or result), x1 (message
/// info) and message registers 0–3 (x2–x5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Returned {
    pub x0: u64,
    pub info: u64,
    pub mr: [u64; 4],
}

/// Makes system call `call` with x0, x1 and message registers 0–3.
#[inline(always)]
pub fn raw(call: Syscall, x0: u64, x1: u64, mr: [u64; 4]) -> Returned {
    let (r0, r1, r2, r3, r4, r5);
    // SAFETY: a system call only changes the registers declared here; the
    // kernel preserves all others and reads user memory only through the
    // thread's IPC buffer, which it checks.
    unsafe {
        asm!("svc #0",
            inlateout("x0") x0 => r0,
            inlateout("x1") x1 => r1,
            inlateout("x2") mr[0] => r2,
            inlateout("x3") mr[1] => r3,
            inlateout("x4") mr[2] => r4,
            inlateout("x5") mr[3] => r5,
            in("x7") call as u64,
            options(nostack));
    }
    Returned {
        x0: r0,
        info: r1,
        mr: [r2, r3, r4, r5],
    }
}

/// Gives up the rest of the time slice to threads of equal priority.
pub fn yield_now() {
    raw(Syscall::Yield, 0, 0, [0; 4]);
}
