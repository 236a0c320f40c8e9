//! The rootserver's initial capabilities: its CNode, filled with a
//! capability to every object the kernel made for it and with Untyped
//! capabilities for all remaining memory, described in the boot-info page.

use tessera_abi::{
    BootInfo, CMDLINE_MAX, InitialSlot, MAX_UNTYPEDS, MIN_UNTYPED_BITS, PAGE_BITS, Rights,
    SlotRange, UntypedDesc,
};
use tessera_bootmem::{FreeMemory, Range};
use tessera_caps::{Cap, FrameSize, Mapping, PtMapping, SlotStore, derive, mdb};
use tessera_devtree::Platform;
use tessera_paging::{DescriptorKind, Level, PageTable};

use crate::arch::aarch64::boot_mmu::phys_to_virt;
use crate::object::asid;
use crate::object::cnode::{KernelSlots, slot_addr};
use crate::object::tcb;
use crate::rootserver::{ArchivePages, BootAllocator, RootserverError};

/// log2 of the rootserver's CNode slots: 4096 slots, 256 KiB.
pub const ROOT_CNODE_BITS: u8 = 12;

/// The objects the kernel made for the rootserver.
pub struct InitialObjects {
    pub tcb: u64,
    pub vspace: u64,
    pub boot_info: u64,
    pub ipc_buffer: u64,
    pub asid: u16,
}

/// Fills slots from `next` on, in order.
struct SlotFiller {
    cnode: u64,
    next: u64,
}

impl SlotFiller {
    fn put(&mut self, cap: Cap) -> Result<u64, RootserverError> {
        if self.next >= 1 << ROOT_CNODE_BITS {
            return Err(RootserverError::OutOfMemory);
        }
        let index = self.next;
        put_at(self.cnode, index, cap)?;
        self.next += 1;
        Ok(index)
    }
}

fn put_at(cnode: u64, index: u64, cap: Cap) -> Result<(), RootserverError> {
    mdb::insert_root(&mut KernelSlots, slot_addr(cnode, index), cap)
        .map_err(|_| RootserverError::OutOfMemory)
}

fn small_frame(paddr: u64, rights: Rights, mapping: Option<Mapping>) -> Cap {
    Cap::Frame {
        paddr,
        size: FrameSize::Small,
        rights,
        is_device: false,
        mapping,
    }
}

/// Makes the rootserver's CNode and ASID pool and fills the CNode; fills
/// in `info`'s slot ranges and the Untyped list.
pub fn install(
    alloc: &mut BootAllocator,
    info: &mut BootInfo,
    objects: &InitialObjects,
    frames: &[(u64, u64)],
    archive: &ArchivePages,
    platform: &Platform,
) -> Result<(), RootserverError> {
    let cnode = alloc.zeroed(ROOT_CNODE_BITS + tessera_abi::CNODE_SLOT_BITS)?;
    let pool = alloc.zeroed(PAGE_BITS)?;
    asid::set_pool(0, pool);
    if !asid::assign(objects.asid, objects.vspace) {
        return Err(RootserverError::OutOfMemory);
    }
    let mapped = |vaddr| {
        Some(Mapping {
            asid: objects.asid,
            vaddr,
        })
    };
    let fixed = [
        (InitialSlot::Tcb, Cap::Tcb { paddr: objects.tcb }),
        (
            InitialSlot::CNode,
            Cap::CNode {
                paddr: cnode,
                radix_bits: ROOT_CNODE_BITS,
                guard_bits: 64 - ROOT_CNODE_BITS,
                guard: 0,
            },
        ),
        (
            InitialSlot::VSpace,
            Cap::VSpace {
                paddr: objects.vspace,
                asid: Some(objects.asid),
            },
        ),
        (InitialSlot::IrqControl, Cap::IrqControl),
        (InitialSlot::AsidControl, Cap::AsidControl),
        (
            InitialSlot::AsidPool,
            Cap::AsidPool {
                paddr: pool,
                base: 0,
            },
        ),
        (
            InitialSlot::BootInfoFrame,
            small_frame(
                objects.boot_info,
                Rights::READ,
                mapped(crate::rootserver::BOOT_INFO_VADDR),
            ),
        ),
        (
            InitialSlot::IpcBuffer,
            small_frame(
                objects.ipc_buffer,
                Rights::READ_WRITE,
                mapped(crate::rootserver::IPC_BUFFER_VADDR),
            ),
        ),
    ];
    for (slot, cap) in fixed {
        put_at(cnode, slot as u64, cap)?;
    }

    let mut filler = SlotFiller {
        cnode,
        next: InitialSlot::FIRST_FREE,
    };
    let start = filler.next;
    for &(vaddr, paddr) in frames {
        filler.put(small_frame(paddr, Rights::READ_WRITE, mapped(vaddr)))?;
    }
    info.user_image_frames = SlotRange {
        start,
        end: filler.next,
    };

    let start = filler.next;
    page_table_caps(objects.vspace, objects.asid, &mut filler)?;
    info.user_image_paging = SlotRange {
        start,
        end: filler.next,
    };

    let start = filler.next;
    for page in 0..archive.count {
        let vaddr = crate::rootserver::ARCHIVE_VADDR + (page << PAGE_BITS);
        filler.put(small_frame(
            archive.first + (page << PAGE_BITS),
            Rights::READ,
            mapped(vaddr),
        ))?;
    }
    info.archive_frames = SlotRange {
        start,
        end: filler.next,
    };

    give_tcb_its_caps(objects, cnode)?;
    untyped_caps(&alloc.free, platform, info, &mut filler)?;
    info.empty = SlotRange {
        start: filler.next,
        end: 1 << ROOT_CNODE_BITS,
    };
    info.cnode_size_bits = u64::from(ROOT_CNODE_BITS);
    copy_cmdline(info, platform.bootargs);
    Ok(())
}

/// The rootserver's TCB holds copies of its CSpace root, VSpace and IPC
/// buffer caps, and its master reply cap, as any configured thread does.
fn give_tcb_its_caps(objects: &InitialObjects, cnode: u64) -> Result<(), RootserverError> {
    let copies = [
        (InitialSlot::CNode, tcb::slot::CSPACE),
        (InitialSlot::VSpace, tcb::slot::VSPACE),
        (InitialSlot::IpcBuffer, tcb::slot::IPC_BUFFER),
    ];
    for (from, to) in copies {
        let src = slot_addr(cnode, from as u64);
        let cap =
            derive::derive(&KernelSlots.read(src).cap).map_err(|_| RootserverError::OutOfMemory)?;
        mdb::insert(&mut KernelSlots, src, tcb::slot_addr(objects.tcb, to), cap)
            .map_err(|_| RootserverError::OutOfMemory)?;
    }
    let master = Cap::Reply {
        tcb: objects.tcb,
        master: true,
        can_grant: true,
    };
    mdb::insert_root(
        &mut KernelSlots,
        tcb::slot_addr(objects.tcb, tcb::slot::REPLY),
        master,
    )
    .map_err(|_| RootserverError::OutOfMemory)
}

/// A PageTable capability for every table under the rootserver's VSpace
/// root, found by walking it (the mapper made them as it needed them).
fn page_table_caps(vspace: u64, asid: u16, filler: &mut SlotFiller) -> Result<(), RootserverError> {
    walk(vspace, Level::L0, 0, &mut |table, level, vaddr| {
        filler.put(Cap::PageTable {
            paddr: table,
            mapping: Some(PtMapping { asid, vaddr, level }),
        })?;
        Ok(())
    })
}

/// Calls `f(table, level, vaddr)` for each table below `table` (at
/// `level`, covering from `base`). Depth is bounded by the four levels.
fn walk(
    table: u64,
    level: Level,
    base: u64,
    f: &mut dyn FnMut(u64, u8, u64) -> Result<(), RootserverError>,
) -> Result<(), RootserverError> {
    let Some(next) = level.next() else {
        return Ok(());
    };
    // SAFETY: `table` is a translation table the boot allocator made, in RAM
    // under the linear map; boot is single-threaded.
    let entries = unsafe { &*(phys_to_virt(table) as *const PageTable) }.entries();
    for (i, d) in entries.iter().enumerate() {
        if let DescriptorKind::Table(child) = d.kind(level) {
            let vaddr = base + ((i as u64) << level.shift());
            f(child.as_u64(), next as u8, vaddr)?;
            walk(child.as_u64(), next, vaddr, f)?;
        }
    }
    Ok(())
}

/// Untyped capabilities for the free RAM and for device memory (the
/// physical address space below RAM, except the interrupt controller, which
/// the kernel drives itself). The console UART is included: the user-level
/// serial driver owns it, and the kernel only writes its own log lines to
/// it, which needs no exclusive use of the device.
fn untyped_caps(
    free: &FreeMemory,
    platform: &Platform,
    info: &mut BootInfo,
    filler: &mut SlotFiller,
) -> Result<(), RootserverError> {
    let start = filler.next;
    let (ram, _) = free.blocks::<MAX_UNTYPEDS>(MIN_UNTYPED_BITS);
    let devices = device_memory(platform);
    let (dev, _) = devices.blocks::<MAX_UNTYPEDS>(PAGE_BITS);
    let all = ram
        .iter()
        .map(|b| (b, false))
        .chain(dev.iter().map(|b| (b, true)));
    for (count, (block, is_device)) in all.take(MAX_UNTYPEDS).enumerate() {
        filler.put(Cap::Untyped {
            paddr: block.paddr,
            size_bits: block.size_bits,
            free_index: 0,
            zeroed_to: 0,
            is_device,
        })?;
        info.untyped_list[count] = UntypedDesc {
            paddr: block.paddr,
            size_bits: block.size_bits,
            is_device: u8::from(is_device),
            padding: [0; 6],
        };
    }
    info.untyped = SlotRange {
        start,
        end: filler.next,
    };
    Ok(())
}

fn device_memory(platform: &Platform) -> FreeMemory {
    let mut devices = FreeMemory::new();
    let ram_base = platform.memory.iter().map(|m| m.base).min().unwrap_or(0);
    let _ = devices.add(Range {
        start: 0,
        end: ram_base,
    });
    let kernel_owned = platform
        .gic
        .iter()
        .flat_map(|g| core::iter::once(g.dist).chain(g.redists.iter().copied()));
    for r in kernel_owned {
        if let Some(range) = Range::from_base_size(r.base & !0xfff, r.size + (r.base & 0xfff)) {
            let _ = devices.remove(Range {
                start: range.start,
                end: range.end.next_multiple_of(0x1000),
            });
        }
    }
    devices
}

fn copy_cmdline(info: &mut BootInfo, cmdline: &str) {
    let n = cmdline.len().min(CMDLINE_MAX);
    info.cmdline[..n].copy_from_slice(&cmdline.as_bytes()[..n]);
    info.cmdline_len = n as u64;
}

/// Bytes of RAM handed out as Untyped.
pub fn untyped_bytes(info: &BootInfo) -> u64 {
    info.untypeds()
        .iter()
        .filter(|u| u.is_device == 0)
        .map(|u| 1u64 << u.size_bits)
        .sum()
}
