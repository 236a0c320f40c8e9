//! The RTOS guest, which will boot at EL1 under Tessera. For now a
//! placeholder that xtask packs into the boot archive; nothing runs it
//! yet.
#![no_std]
#![no_main]

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
