//! Console output: through the program's console channel when it has one
//! (see [`crate::console`]: components print through the serial driver),
//! otherwise through the kernel's debug system calls.

use core::fmt;

use tessera_abi::{MSG_MAX_LENGTH, Syscall};

use crate::{ipc_buffer, syscall};

/// Prints one byte.
pub fn put_char(byte: u8) {
    syscall::raw(Syscall::DebugPutChar, u64::from(byte), 0, [0; 4]);
}

/// Prints bytes: through the console channel if there is one, otherwise
/// to the kernel's debug console. What the console server does not take
/// (its call failed) goes to the kernel's debug console too.
pub fn write_bytes(bytes: &[u8]) {
    let sent = match crate::console::channel() {
        Some(cap) => crate::console::write_through(cap, bytes),
        None => 0,
    };
    if sent < bytes.len() {
        write_to_kernel(&bytes[sent..]);
    }
}

/// Prints bytes on the kernel's debug console, through the IPC buffer in
/// chunks, or byte by byte if the thread has no IPC buffer.
pub fn write_to_kernel(bytes: &[u8]) {
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

/// A `fmt::Write` sink for this program's console.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Bytes one [`Buffered`] holds before it writes them out.
pub const LINE_BUFFER: usize = 256;

/// A `fmt::Write` sink that gathers what one `print!` formats and writes it
/// out in one piece (when full, and when flushed or dropped), so a line
/// costs one console call and lines of different programs do not mix.
pub struct Buffered {
    buf: [u8; LINE_BUFFER],
    len: usize,
}

impl Buffered {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; LINE_BUFFER],
            len: 0,
        }
    }

    /// Writes out what the buffer holds.
    pub fn flush(&mut self) {
        if self.len > 0 {
            write_bytes(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Default for Buffered {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for Buffered {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == LINE_BUFFER {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl Drop for Buffered {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Stops the machine with `status` (test kernels only; elsewhere the kernel
/// treats it as an unknown system call and stops the thread).
pub fn shutdown(status: u64) -> ! {
    syscall::raw(Syscall::DebugShutdown, status, 0, [0; 4]);
    crate::start::stop_thread()
}

/// Prints to this program's console (its console channel, or the kernel's
/// debug console).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let mut out = $crate::debug::Buffered::new();
        let _ = core::fmt::Write::write_fmt(&mut out, format_args!($($arg)*));
        out.flush();
    }};
}

/// Prints a line to this program's console.
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
