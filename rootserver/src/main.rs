//! The rootserver: the first user program. The kernel gives it every
//! capability there is (see `tessera_abi::BootInfo`). It reads the system
//! description from the boot archive (`system`, or `system.NAME` with
//! `tessera.system=NAME` on the kernel command line), builds and starts
//! every component it describes ([`system`]), and then reports the faults
//! of components ([`faults`]). Until the system runs it prints on the
//! kernel's debug console; then, if the system has a console server (the
//! serial driver), through its own channel to it.
#![no_std]
#![no_main]

mod faults;
mod system;

use tessera_bootarchive::Archive;
use tessera_rt::abi::{BOOT_INFO_MAGIC, BootInfo, InitialSlot};
use tessera_rt::{debug, ipc_buffer, println};
use tessera_sysdesc::System;

tessera_rt::entry!(main);

fn main(boot_info: u64) -> ! {
    // SAFETY: the kernel maps the boot-info page read-only at the address
    // it passes in x0, for the rootserver's lifetime.
    let info = unsafe { &*(boot_info as *const BootInfo) };
    if info.magic != BOOT_INFO_MAGIC {
        println!("rootserver: bad boot info at {boot_info:#x}");
        tessera_rt::start::stop_thread();
    }
    ipc_buffer::set(info.ipc_buffer);
    println!("rootserver: running at EL0 on {} cores", info.num_cores);
    let memory: u64 = info
        .untypeds()
        .iter()
        .filter(|u| u.is_device == 0)
        .map(|u| 1u64 << u.size_bits)
        .sum();
    println!(
        "rootserver: {} untyped capabilities, {} MiB of RAM; {} free slots from {}",
        info.untyped.len(),
        memory >> 20,
        info.empty.len(),
        info.empty.start
    );
    // SAFETY: the kernel maps the boot archive read-only at archive_vaddr,
    // archive_size bytes, for the rootserver's lifetime.
    let bytes = unsafe {
        core::slice::from_raw_parts(info.archive_vaddr as *const u8, info.archive_size as usize)
    };
    let archive = match Archive::parse(bytes) {
        Ok(archive) => archive,
        Err(e) => stop(format_args!("cannot read the boot archive: {e}")),
    };
    for entry in archive.entries() {
        println!(
            "rootserver: archive has {} ({} bytes)",
            entry.name,
            entry.data.len()
        );
    }
    let (name, system) = system_description(info, &archive);
    if bootarg(info, "tessera.test") == Some("rootserver") {
        debug::shutdown(0);
    }
    match system::build(info, &archive, system) {
        Ok(running) => {
            for c in &system.components {
                println!(
                    "rootserver: started {} (program {}, core {}, priority {})",
                    c.name, c.program, c.core, c.priority
                );
            }
            // From here on the rootserver prints through the console
            // server (the serial driver), which now runs: the kernel's
            // debug console only keeps the lines before this one.
            if let Some(console) = &running.console {
                tessera_rt::console::set_channel(console.cap);
            }
            println!(
                "rootserver: system {name:?} running, {} components; reporting their faults",
                system.components.len()
            );
            faults::serve(system, &running)
        }
        Err(e) => stop(format_args!(
            "cannot build system {name:?}: {e}; no component started"
        )),
    }
}

/// The value of `key=value` on the kernel command line.
fn bootarg<'i>(info: &'i BootInfo, key: &str) -> Option<&'i str> {
    info.cmdline()
        .split(' ')
        .find_map(|arg| arg.strip_prefix(key)?.strip_prefix('='))
}

/// The decoded system description: about 12 KiB, kept out of the stack,
/// which building the system needs too.
static SYSTEM: spin::Once<System<'static>> = spin::Once::new();

/// The system description to build: archive entry `system`, or
/// `system.NAME` with `tessera.system=NAME`; its name and decoded form.
fn system_description(
    info: &BootInfo,
    archive: &Archive<'static>,
) -> (&'static str, &'static System<'static>) {
    let chosen = bootarg(info, "tessera.system").unwrap_or("default");
    let entry = archive
        .entries()
        .find(|e| match e.name.strip_prefix("system") {
            Some("") => chosen == "default",
            Some(rest) => rest.strip_prefix('.') == Some(chosen),
            None => false,
        });
    let Some(entry) = entry else {
        stop(format_args!(
            "no system description {chosen:?} in the boot archive"
        ))
    };
    let name = entry.name.strip_prefix("system.").unwrap_or("default");
    let s = SYSTEM.call_once(|| match tessera_sysdesc::decode(entry.data) {
        Ok(s) => s,
        Err(e) => stop(format_args!(
            "the system description {name:?} does not decode: {e}"
        )),
    });
    println!(
        "rootserver: system description {name:?}: {} components, {} memory regions, {} channels, {} interrupts, {} devices",
        s.components.len(),
        s.regions.len(),
        s.channels.len(),
        s.interrupts.len(),
        s.devices.len()
    );
    (name, s)
}

/// Reports why the rootserver cannot go on, and stops it.
fn stop(why: core::fmt::Arguments<'_>) -> ! {
    println!("rootserver: {why}");
    // Suspending itself does not return; should it fail, the thread stops
    // with a fault instead.
    let _ = tessera_rt::invoke::tcb::suspend(InitialSlot::Tcb.cptr());
    tessera_rt::start::stop_thread()
}
