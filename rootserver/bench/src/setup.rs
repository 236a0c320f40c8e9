//! The client's setup: its priority, the endpoint, the shared page and the
//! server process. Any failure ends the run with `bench: error: <what>`.

use tessera_bootarchive::Archive;
use tessera_rt::abi::{BootInfo, CPtr, InitialSlot, ObjectType, PAGE_BITS, Rights};
use tessera_rt::alloc::Resources;
use tessera_rt::invoke::{cnode, tcb};
use tessera_rt::process::{self, Spawn};
use tessera_rt::syscall;

use crate::shared::{self, STATE_FAILED, STATE_READY};
use crate::{bail, server};

/// The client's and the server's priority.
pub const PRIORITY: u64 = 100;
/// Where the client maps what it allocates (page tables aside): scratch
/// pages for the loader.
const VA_BASE: u64 = 0x0000_0010_0000_0000;
const VA_SIZE: u64 = 1 << 30;
/// The archive entry holding this program.
const IMAGE: &str = "bench";
/// Yields the client gives the server to reach its first Recv (one is
/// enough: both are at the same priority and the server does not block
/// before it).
const START_YIELDS: u32 = 4;

/// Makes the endpoint and the shared page, spawns and starts the server
/// and waits until it blocks in its first Recv; returns the client's
/// endpoint capability and its allocator.
pub fn start_server(info: &'static BootInfo) -> (CPtr, Resources) {
    let me = InitialSlot::Tcb.cptr();
    if let Err(e) = tcb::set_priority(me, me, PRIORITY) {
        bail!("setting the client's priority to {PRIORITY}: {e}");
    }
    let mut res = Resources::rootserver(info, info.empty, (VA_BASE, VA_BASE + VA_SIZE));
    let ep = res
        .alloc(ObjectType::Endpoint, 0)
        .unwrap_or_else(|e| bail!("making the endpoint: {e}"));
    let page = res
        .map_new_page(res.vspace, shared::SHARED_VA, Rights::READ_WRITE)
        .unwrap_or_else(|e| bail!("mapping the shared page: {e}"));
    let scratch_va = res
        .reserve_va(1, PAGE_BITS)
        .unwrap_or_else(|e| bail!("reserving a scratch page: {e}"));
    let spawn = Spawn {
        image: own_image(info),
        priority: PRIORITY,
        cnode_bits: server::CNODE_BITS,
        argument: server::ARGUMENT,
        scratch_va,
        ..Spawn::default()
    };
    let child = process::spawn(&mut res, &spawn).unwrap_or_else(|e| bail!("spawning: {e:?}"));
    share_page(&mut res, page, child.vspace);
    let dest = cnode::Slot {
        root: child.cnode,
        index: server::ENDPOINT,
        depth: server::CNODE_BITS,
    };
    if let Err(e) = cnode::copy(dest, cnode::Slot::new(res.cnode, ep), Rights::ALL) {
        bail!("giving the server the endpoint: {e}");
    }
    if let Err(e) = process::start(&child) {
        bail!("starting the server: {e:?}");
    }
    for _ in 0..START_YIELDS {
        syscall::yield_now();
        match shared::read().state {
            STATE_READY => return (ep, res),
            STATE_FAILED => {
                let r = shared::read();
                bail!(
                    "the server's first Recv returned x0 {:#x}, x1 {:#x}",
                    r.error_badge,
                    r.error_info
                );
            }
            _ => {}
        }
    }
    bail!("the server did not start ({START_YIELDS} yields)")
}

/// Maps a copy of the shared page's capability at the same address in the
/// server's VSpace (a frame capability maps once).
fn share_page(res: &mut Resources, page: CPtr, vspace: CPtr) {
    let copy = res
        .slots
        .alloc()
        .unwrap_or_else(|_| bail!("no slot for the shared page's copy"));
    let src = cnode::Slot::new(res.cnode, page);
    if let Err(e) = cnode::copy(cnode::Slot::new(res.cnode, copy), src, Rights::READ_WRITE) {
        bail!("copying the shared page's capability: {e}");
    }
    if let Err(e) = res.map_frame(copy, vspace, shared::SHARED_VA, Rights::READ_WRITE) {
        bail!("mapping the shared page in the server: {e}");
    }
}

/// This program's ELF image, from the boot archive.
fn own_image(info: &'static BootInfo) -> &'static [u8] {
    // SAFETY: the kernel maps the boot archive read-only at archive_vaddr,
    // archive_size bytes, for the first program's lifetime.
    let bytes = unsafe {
        core::slice::from_raw_parts(info.archive_vaddr as *const u8, info.archive_size as usize)
    };
    let archive = Archive::parse(bytes).unwrap_or_else(|e| bail!("reading the boot archive: {e}"));
    match archive.get(IMAGE) {
        Some(entry) => entry.data,
        None => bail!("no `{IMAGE}` entry in the boot archive"),
    }
}
