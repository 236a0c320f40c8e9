//! Arm semihosting, used only to end QEMU with a chosen exit status.
//! QEMU serves it when started with `-semihosting-config enable=on`; without
//! it, the HLT instruction is undefined and the fatal path falls back to
//! PSCI SYSTEM_OFF (see `fatal`).

const SYS_EXIT: u64 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x2_0026;

/// Asks the host to exit with `status`. Returns only if the host did not.
pub fn exit(status: u32) {
    let block = [ADP_STOPPED_APPLICATION_EXIT, u64::from(status)];
    // SAFETY: the semihosting SYS_EXIT call reads the two-word parameter
    // block that x1 points to and does not return when served.
    unsafe {
        core::arch::asm!("hlt #0xf000",
            inout("x0") SYS_EXIT => _,
            in("x1") block.as_ptr(),
            options(nostack, readonly));
    }
}
