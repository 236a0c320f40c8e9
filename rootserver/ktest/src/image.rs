//! The suite's own image mapped into another VSpace: copies of the image
//! frame capabilities at the addresses the kernel mapped them, so a thread
//! in that VSpace runs the same code and shares the statics (the board).

use tessera_bootarchive::Archive;
use tessera_elf::Program;
use tessera_rt::abi::{ObjectType, Rights};
use tessera_rt::invoke::cnode;

use crate::fail;
use crate::harness::{Context, Env, Reason};

/// Maps the image into `vspace` (page tables from the case's Untyped).
pub fn map_into(env: &mut Env, vspace: u64) -> Result<(), Reason> {
    let info = env.info;
    // SAFETY: the kernel maps the boot archive read-only at archive_vaddr,
    // archive_size bytes, for the program's lifetime.
    let bytes = unsafe {
        core::slice::from_raw_parts(info.archive_vaddr as *const u8, info.archive_size as usize)
    };
    let Ok(archive) = Archive::parse(bytes) else {
        fail!("cannot parse the boot archive")
    };
    let Some(entry) = archive.get("ktest") else {
        fail!("no ktest entry in the boot archive")
    };
    let Ok(program) = Program::parse(entry.data) else {
        fail!("cannot parse the ktest ELF")
    };
    // The kernel made one frame per page, segment by segment, skipping
    // pages an earlier segment had already mapped.
    let mut next_cap = info.user_image_frames.start;
    let mut mapped_end = 0;
    for seg in program.segments() {
        let (start, end) = seg.page_range();
        let rights = if seg.flags.write {
            Rights::READ_WRITE
        } else {
            Rights::READ
        };
        let mut page = start.max(mapped_end);
        while page < end {
            if next_cap >= info.user_image_frames.end {
                fail!("ran out of image frame caps at {page:#x}");
            }
            let copy = env.free_slot()?;
            cnode::copy(env.slot(copy), env.slot(next_cap), Rights::ALL)
                .ctx("copying an image frame cap")?;
            env.res
                .map_frame(copy, vspace, page, rights)
                .ctx("mapping an image frame")?;
            next_cap += 1;
            page += 4096;
        }
        mapped_end = mapped_end.max(end);
    }
    let _ = ObjectType::Frame4K;
    Ok(())
}
