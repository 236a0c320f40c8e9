//! A component that faults on purpose, for the fault scenario
//! (`systems/tests/fault.toml`): it reads an unmapped address in `init`.
//! The rootserver must report it and stop it while the others keep
//! running.
#![no_std]
#![no_main]

use tessera_rt::component::{Component, Context};
use tessera_rt::println;

/// An address no component has mapped (below the 4 MiB where images start).
const UNMAPPED: u64 = 0x10;

struct Faulty;

impl Component for Faulty {
    fn init(ctx: &Context) -> Self {
        println!(
            "faulty: reading address {UNMAPPED:#x} on core {}",
            ctx.core()
        );
        read(UNMAPPED);
        println!("faulty: the read returned; it should have faulted");
        Faulty
    }
}

/// Loads from `address`, which faults when nothing is mapped there.
fn read(address: u64) {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a plain load through inline assembly, so the compiler assumes
    // nothing about the address; if it is unmapped the kernel turns the
    // access into a fault message and this thread never resumes.
    unsafe {
        core::arch::asm!("ldr {v}, [{a}]", a = in(reg) address, v = out(reg) _, options(nostack, readonly));
    }
    #[cfg(not(target_arch = "aarch64"))]
    let _ = address;
}

tessera_rt::component!(Faulty);
