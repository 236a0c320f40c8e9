//! The kernel console: formatted output to the PL011 under a lock.
//!
//! Nothing prints from interrupt context except the fatal path, which takes
//! the lock by force if it cannot get it (the holder will never run again).

use core::fmt::Write;

use crate::drivers::pl011::Pl011;

static CONSOLE: spin::Mutex<Option<Pl011>> = spin::Mutex::new(None);

/// Attempts at taking the lock before the fatal path breaks it.
const EMERGENCY_TRIES: u32 = 1_000_000;

/// Starts the console on the PL011 at `base` (a mapped device address).
///
/// # Safety
/// As for [`Pl011::new`].
pub unsafe fn init(base: usize) {
    // SAFETY: the caller's contract.
    *CONSOLE.lock() = Some(unsafe { Pl011::new(base) });
}

#[doc(hidden)]
pub fn print(args: core::fmt::Arguments) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        let _ = uart.write_fmt(args);
    }
}

/// Writes one byte, as it is (for the debug system calls).
pub fn put_byte(byte: u8) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        uart.put_byte(byte);
    }
}

/// Writes bytes, as they are (for the debug system calls).
pub fn write_bytes(bytes: &[u8]) {
    if let Some(uart) = CONSOLE.lock().as_mut() {
        for &b in bytes {
            uart.put_byte(b);
        }
    }
}

#[doc(hidden)]
pub fn emergency_print(args: core::fmt::Arguments) {
    for _ in 0..EMERGENCY_TRIES {
        if let Some(mut guard) = CONSOLE.try_lock() {
            if let Some(uart) = guard.as_mut() {
                let _ = uart.write_fmt(args);
            }
            return;
        }
        core::hint::spin_loop();
    }
    // SAFETY: the fatal path runs once and the machine stops after it; the
    // holder of the lock is stuck and will not write concurrently.
    unsafe { CONSOLE.force_unlock() };
    if let Some(uart) = CONSOLE.lock().as_mut() {
        let _ = uart.write_fmt(args);
    }
}

/// Prints to the kernel console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::console::print(format_args!($($arg)*)) };
}

/// Prints a line to the kernel console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::console::print(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints a line on the fatal path, even if the console lock is stuck.
#[macro_export]
macro_rules! emergency_println {
    ($($arg:tt)*) => { $crate::console::emergency_print(format_args!("{}\n", format_args!($($arg)*))) };
}
