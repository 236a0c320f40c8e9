//! Console output through the kernel's debug system calls. (Components will
//! print through the serial driver once it exists.)

use core::fmt;

use tessera_abi::{MSG_MAX_LENGTH, Syscall};

use crate::{ipc_buffer, syscall};

/// Prints one byte.
pub fn put_char(byte: u8) {
    syscall::raw(Syscall::DebugPutChar, u64::from(byte), 0, [0; 4]);
}

/// Prints bytes, through the IPC buffer in chunks, or byte by byte if the
/// thread has no IPC buffer.
pub fn write_bytes(bytes: &[u8]) {
    const CHUNK: usize = MSG_MAX_LENGTH * 8;
    for chunk in bytes.chunks(CHUNK) {
        let copied = ipc_buffer::with(|buf| {
            for (i, word) in chunk.chunks(8).enumerate() {
                let mut w = [0u8; 8];
                w[..word.len()].copy_from_slice(word);
                buf.msg[i] = u64::from_le_bytes(w);
            }
        });
        match copied {
            Some(()) => {
                syscall::raw(Syscall::DebugPutString, 0, chunk.len() as u64, [0; 4]);
            }
            None => chunk.iter().for_each(|&b| put_char(b)),
        }
    }
}

/// A `fmt::Write` sink for the debug console.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Stops the machine with `status` (test kernels only; elsewhere the kernel
/// treats it as an unknown system call and stops the thread).
pub fn shutdown(status: u64) -> ! {
    syscall::raw(Syscall::DebugShutdown, status, 0, [0; 4]);
    crate::start::stop_thread()
}

/// Prints to the debug console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::debug::Console, format_args!($($arg)*));
    }};
}

/// Prints a line to the debug console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::print!("{}\n", format_args!($($arg)*)) };
}

/// Makes shared interrupt `intid` pending as if its device raised it (test
/// kernels only). True if the kernel did.
pub fn trigger_irq(intid: u64) -> bool {
    syscall::raw(Syscall::DebugTriggerIrq, intid, 0, [0; 4]).x0 == 0
}
