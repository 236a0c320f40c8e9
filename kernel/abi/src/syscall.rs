//! System call numbers (in `x7`).

/// A system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Syscall {
    /// Send a message and wait for the reply through a one-shot reply
    /// capability; also how objects are invoked.
    Call = 0,
    /// Reply to the caller, then wait on the endpoint or notification in `x0`.
    ReplyRecv = 1,
    /// Send on an endpoint, blocking until a receiver takes the message; on a
    /// notification, signal it.
    Send = 2,
    /// Send without blocking: dropped if no receiver waits.
    NBSend = 3,
    /// Wait for a message on an endpoint or a signal on a notification.
    Recv = 4,
    /// Poll: receive only if something is already there.
    NBRecv = 5,
    /// Reply to the caller through the thread's reply capability.
    Reply = 6,
    /// Give up the rest of the time slice to threads of equal priority.
    Yield = 7,
    /// Debug: print the character in `x0` on the kernel console.
    DebugPutChar = 64,
    /// Debug: print `x1` bytes (at most the IPC buffer's message area) from
    /// the IPC buffer's message registers.
    DebugPutString = 65,
    /// Debug, test kernels only: stop the machine with exit status `x0`.
    DebugShutdown = 66,
    /// Debug, test kernels only: make shared interrupt `x0` pending, as if
    /// its device had raised it (to test interrupt delivery).
    DebugTriggerIrq = 67,
}

impl Syscall {
    /// The call for a value of `x7`, if it names one.
    pub const fn from_u64(n: u64) -> Option<Syscall> {
        Some(match n {
            0 => Syscall::Call,
            1 => Syscall::ReplyRecv,
            2 => Syscall::Send,
            3 => Syscall::NBSend,
            4 => Syscall::Recv,
            5 => Syscall::NBRecv,
            6 => Syscall::Reply,
            7 => Syscall::Yield,
            64 => Syscall::DebugPutChar,
            65 => Syscall::DebugPutString,
            66 => Syscall::DebugShutdown,
            67 => Syscall::DebugTriggerIrq,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..=255u64 {
            if let Some(s) = Syscall::from_u64(n) {
                assert_eq!(s as u64, n);
            }
        }
        assert_eq!(Syscall::from_u64(8), None);
        assert_eq!(Syscall::from_u64(u64::MAX), None);
    }
}
