//! Raw system calls: `SVC #0` with the number in x7 (see `tessera_abi`).
//! This is the only place that issues `svc`; everything else in the runtime
//! goes through [`raw`] or [`raw_number`].

use tessera_abi::Syscall;

/// The registers a system call returns: x0 (badge or result), x1 (message
/// info) and message registers 0–3 (x2–x5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Returned {
    /// x0: the sender's badge on receives, 0 on invocation replies.
    pub x0: u64,
    /// x1: the message-info word.
    pub info: u64,
    /// x2–x5: message registers 0–3.
    pub mr: [u64; 4],
}

/// The registers a system call takes besides its number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// x0: the capability pointer (or the first argument).
    pub x0: u64,
    /// x1: the message-info word.
    pub x1: u64,
    /// x2–x5: message registers 0–3.
    pub mr: [u64; 4],
    /// x6: the receive capability of receive-side calls.
    pub x6: u64,
}

/// Makes system call `call` with x0, x1 and message registers 0–3; x6
/// carries x0 too, so receive-side calls name their capability in both.
#[inline(always)]
pub fn raw(call: Syscall, x0: u64, x1: u64, mr: [u64; 4]) -> Returned {
    raw_number(call as u64, Args { x0, x1, mr, x6: x0 })
}

/// Makes the system call numbered `number` (any value, valid or not: the
/// fuzz test uses this).
#[cfg(target_arch = "aarch64")]
#[inline(always)]
pub fn raw_number(number: u64, args: Args) -> Returned {
    let (r0, r1, r2, r3, r4, r5);
    // SAFETY: a system call only changes the registers declared here (x6
    // and x7 are declared clobbered in case the kernel does not keep them);
    // the kernel reads user memory only through the thread's IPC buffer,
    // which it checks.
    unsafe {
        core::arch::asm!("svc #0",
            inlateout("x0") args.x0 => r0,
            inlateout("x1") args.x1 => r1,
            inlateout("x2") args.mr[0] => r2,
            inlateout("x3") args.mr[1] => r3,
            inlateout("x4") args.mr[2] => r4,
            inlateout("x5") args.mr[3] => r5,
            inlateout("x6") args.x6 => _,
            inlateout("x7") number => _,
            options(nostack));
    }
    Returned {
        x0: r0,
        info: r1,
        mr: [r2, r3, r4, r5],
    }
}

/// Host builds have no kernel to call: only the pure logic of the runtime
/// is tested there.
#[cfg(not(target_arch = "aarch64"))]
pub fn raw_number(number: u64, args: Args) -> Returned {
    panic!("system call {number} ({args:?}) on a host build")
}

/// Gives up the rest of the time slice to threads of equal priority.
pub fn yield_now() {
    raw(Syscall::Yield, 0, 0, [0; 4]);
}
