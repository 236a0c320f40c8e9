//! The rootserver: the first user program. The kernel gives it every
//! capability there is (see `tessera_abi::BootInfo`); it will build the
//! system from the system description. Today it checks what it was given
//! and reports it.
#![no_std]
#![no_main]

use tessera_bootarchive::Archive;
use tessera_rt::abi::{BOOT_INFO_MAGIC, BootInfo, InitialSlot};
use tessera_rt::{debug, ipc_buffer, println};

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
    list_archive(info);
    if info
        .cmdline()
        .split(' ')
        .any(|arg| arg == "tessera.test=rootserver")
    {
        debug::shutdown(0);
    }
    println!("rootserver: nothing more to do yet; suspending");
    // Suspending itself does not return; should it fail, the thread stops
    // with a fault instead.
    let _ = tessera_rt::invoke::tcb::suspend(InitialSlot::Tcb.cptr());
    tessera_rt::start::stop_thread()
}

/// Decodes the compiled system description (`system` in the archive) and
/// says what it holds. Building the system from it comes next.
fn describe_system(archive: &Archive) {
    let Some(entry) = archive.get("system") else {
        println!("rootserver: no system description in the boot archive");
        return;
    };
    match tessera_sysdesc::decode(entry.data) {
        Ok(s) => println!(
            "rootserver: system description: {} components, {} memory regions, {} channels, {} interrupts, {} devices",
            s.components.len(),
            s.regions.len(),
            s.channels.len(),
            s.interrupts.len(),
            s.devices.len()
        ),
        Err(e) => println!("rootserver: the system description does not decode: {e:?}"),
    }
}

fn list_archive(info: &BootInfo) {
    // SAFETY: the kernel maps the boot archive read-only at archive_vaddr,
    // archive_size bytes, for the rootserver's lifetime.
    let bytes = unsafe {
        core::slice::from_raw_parts(info.archive_vaddr as *const u8, info.archive_size as usize)
    };
    match Archive::parse(bytes) {
        Ok(archive) => {
            for entry in archive.entries() {
                println!(
                    "rootserver: archive has {} ({} bytes)",
                    entry.name,
                    entry.data.len()
                );
            }
            describe_system(&archive);
        }
        Err(e) => println!("rootserver: cannot read the boot archive: {e}"),
    }
}
