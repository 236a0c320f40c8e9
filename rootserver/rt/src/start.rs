//! Program start-up and ending.
//!
//! A program defines `main` with [`entry!`](crate::entry!); `_start` (the ELF entry) sets
//! up nothing the kernel did not: the stack pointer is given, x0 carries the
//! program's start argument (the boot-info page for the rootserver).

/// Declares the program's entry: `entry!(main)` with `fn main(arg: u64) -> !`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        #[unsafe(link_section = ".text.start")]
        pub extern "C" fn _start(arg: u64) -> ! {
            let main: fn(u64) -> ! = $main;
            main(arg)
        }

        #[panic_handler]
        fn panic(info: &core::panic::PanicInfo) -> ! {
            $crate::println!("panic: {}", info);
            $crate::start::stop_thread()
        }
    };
}

/// Stops this thread for good: an undefined instruction, which the kernel
/// reports to the thread's fault handler (or logs, and stops the thread).
// On the host the body panics at once; on AArch64 it loops.
#[cfg_attr(not(target_arch = "aarch64"), allow(clippy::never_loop))]
pub fn stop_thread() -> ! {
    loop {
        #[cfg(target_arch = "aarch64")]
        // SAFETY: UDF only raises an exception that the kernel handles.
        unsafe {
            core::arch::asm!("udf #0", options(nomem, nostack))
        };
        #[cfg(not(target_arch = "aarch64"))]
        panic!("stop_thread on a host build");
    }
}
