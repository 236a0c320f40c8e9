//! Building the first user thread, the rootserver, from the boot archive.
//!
//! This is the only place the kernel allocates memory: on the boot core,
//! before any user thread runs, from the RAM that nothing else uses. What
//! is left afterwards goes to the rootserver as Untyped capabilities.

use tessera_abi::{BootInfo, IpcBuffer, PAGE_BITS};
use tessera_bootmem::{FreeMemory, Range};
use tessera_devtree::Platform;
use tessera_elf::{Program, Segment};
use tessera_paging::{
    Access, Attributes, MapError, Mapper, MemoryType, PageTable, PhysAddr, TableAllocator, VaRange,
    VirtAddr,
};

use crate::arch::aarch64::boot_mmu::{self, phys_to_virt};
use crate::object::object_ptr;
use crate::object::tcb::{Tcb, ThreadState};
use crate::{bootcaps, println, sched};

/// Where the kernel puts things in the rootserver's address space. The
/// rootserver's own image must lie below `ARCHIVE_VADDR`.
pub const ARCHIVE_VADDR: u64 = 0x0000_7e00_0000_0000;
pub const BOOT_INFO_VADDR: u64 = 0x0000_7f00_0000_0000;
pub const IPC_BUFFER_VADDR: u64 = BOOT_INFO_VADDR + 0x1000;
pub const STACK_TOP: u64 = 0x0000_7fff_0000_0000;
/// 128 KiB: decoding the system description (about 12 KiB, copied a few
/// times on the way out of the decoder) and building it need more than 64.
pub const STACK_PAGES: u64 = 32;
/// The rootserver runs at the highest priority on the boot core.
const ROOTSERVER_PRIORITY: u8 = 255;
/// The rootserver's ASID (ASID 0 means "no address space").
pub const ROOTSERVER_ASID: u16 = 1;
const PAGE: u64 = 1 << PAGE_BITS;

/// Why the rootserver could not be built.
#[derive(Debug)]
pub enum RootserverError {
    NoArchive,
    NoRootserver,
    BadElf(tessera_elf::ElfError),
    ImageTooHigh,
    OutOfMemory,
    Map(MapError),
    Memory(tessera_bootmem::BootMemError),
}

impl core::fmt::Display for RootserverError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RootserverError::NoArchive => f.write_str("no boot archive"),
            RootserverError::NoRootserver => f.write_str("the boot archive has no such program"),
            RootserverError::BadElf(e) => {
                write!(f, "the rootserver is not a loadable program: {e}")
            }
            RootserverError::ImageTooHigh => {
                write!(f, "the rootserver's image reaches above {ARCHIVE_VADDR:#x}")
            }
            RootserverError::OutOfMemory => f.write_str("out of memory or slots"),
            RootserverError::Map(e) => write!(f, "mapping failed: {e}"),
            RootserverError::Memory(e) => write!(f, "boot memory: {e:?}"),
        }
    }
}

impl From<MapError> for RootserverError {
    fn from(e: MapError) -> Self {
        RootserverError::Map(e)
    }
}

impl From<tessera_bootmem::BootMemError> for RootserverError {
    fn from(e: tessera_bootmem::BootMemError) -> Self {
        RootserverError::Memory(e)
    }
}

/// Boot allocations: zeroed memory out of the free RAM.
pub struct BootAllocator {
    pub free: FreeMemory,
    /// Translation tables made for the rootserver's VSpace (for its caps).
    pub tables: heapless::Vec<u64, 64>,
}

impl BootAllocator {
    /// Takes `2^bits` zeroed bytes.
    pub fn zeroed(&mut self, bits: u8) -> Result<u64, RootserverError> {
        let pa = self.free.allocate(bits)?;
        // SAFETY: the range was free RAM, so nothing else uses it; the linear
        // map covers all RAM.
        unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0, 1 << bits) };
        Ok(pa)
    }
}

// SAFETY: tables come zeroed from free RAM that nothing else uses, and the
// linear map makes every RAM table reachable at phys_to_virt.
unsafe impl TableAllocator for BootAllocator {
    fn allocate_table(&mut self) -> Option<PhysAddr> {
        let pa = self.zeroed(PAGE_BITS).ok()?;
        self.tables.push(pa).ok()?;
        Some(PhysAddr::new(pa))
    }

    fn table_ptr(&self, pa: PhysAddr) -> core::ptr::NonNull<PageTable> {
        core::ptr::NonNull::new(phys_to_virt(pa.as_u64()) as *mut PageTable)
            .unwrap_or(core::ptr::NonNull::dangling())
    }
}

/// The RAM nothing uses yet: the device tree's memory minus the kernel
/// image, the device tree, the boot archive and reserved regions.
pub fn free_memory(
    platform: &Platform,
    dtb_pa: u64,
    dtb_size: u64,
) -> Result<FreeMemory, RootserverError> {
    let mut free = FreeMemory::new();
    for m in &platform.memory {
        if let Some(r) = Range::from_base_size(m.base, m.size) {
            free.add(page_inward(r))?;
        }
    }
    let image_start = boot_mmu::image_pa();
    let used = [
        Range::from_base_size(image_start, boot_mmu::image_size()),
        Range::from_base_size(dtb_pa, dtb_size),
        platform
            .initrd
            .and_then(|i| Range::from_base_size(i.base, i.size)),
    ];
    let reserved = platform
        .reserved
        .iter()
        .map(|r| Range::from_base_size(r.base, r.size));
    for r in used.into_iter().chain(reserved).flatten() {
        free.remove(page_outward(r))?;
    }
    Ok(free)
}

fn page_inward(r: Range) -> Range {
    Range {
        start: r.start.next_multiple_of(PAGE),
        end: r.end & !(PAGE - 1),
    }
}

fn page_outward(r: Range) -> Range {
    Range {
        start: r.start & !(PAGE - 1),
        end: r.end.saturating_add(PAGE - 1) & !(PAGE - 1),
    }
}

/// Builds the rootserver from the archive entry `rootserver` and makes it
/// runnable on the boot core.
pub fn create(platform: &Platform, mut alloc: BootAllocator) -> Result<(), RootserverError> {
    let archive = crate::boot::archive(platform).ok_or(RootserverError::NoArchive)?;
    // `tessera.rootserver=NAME` starts another archive entry first (the
    // kernel test suite, in test images).
    let name =
        tessera_devtree::bootarg(platform.bootargs, "tessera.rootserver").unwrap_or("rootserver");
    let entry = archive.get(name).ok_or(RootserverError::NoRootserver)?;
    let program = Program::parse(entry.data).map_err(RootserverError::BadElf)?;
    if program.extent().1 > ARCHIVE_VADDR {
        return Err(RootserverError::ImageTooHigh);
    }

    let vspace = alloc.zeroed(PAGE_BITS)?;
    let tcb = alloc.zeroed(11)?;
    let boot_info = alloc.zeroed(PAGE_BITS)?;
    let ipc_buffer = alloc.zeroed(PAGE_BITS)?;
    let mut frames: heapless::Vec<(u64, u64), 512> = heapless::Vec::new();
    // SAFETY: tcb is a zeroed 2 KiB block of free RAM taken above, now the
    // rootserver's TCB; boot holds the kernel lock.
    unsafe { &mut *object_ptr::<Tcb>(tcb) }.init();

    for segment in program.segments() {
        load_segment(&mut alloc, vspace, &segment, &mut frames)?;
    }
    let stack_base = STACK_TOP - STACK_PAGES * PAGE;
    for page in 0..STACK_PAGES {
        let va = stack_base + page * PAGE;
        let pa = alloc.zeroed(PAGE_BITS)?;
        unsafe_mapper(&mut alloc, vspace).map(
            VirtAddr::new(va),
            PhysAddr::new(pa),
            PAGE,
            user(Access::UserReadWrite, false),
        )?;
        push_frame(&mut frames, va, pa)?;
    }
    // The boot-info page and IPC buffer get capabilities at fixed slots
    // (InitialSlot), not in the image-frame range.
    unsafe_mapper(&mut alloc, vspace).map(
        VirtAddr::new(BOOT_INFO_VADDR),
        PhysAddr::new(boot_info),
        PAGE,
        user(Access::UserRead, false),
    )?;
    unsafe_mapper(&mut alloc, vspace).map(
        VirtAddr::new(IPC_BUFFER_VADDR),
        PhysAddr::new(ipc_buffer),
        PAGE,
        user(Access::UserReadWrite, false),
    )?;
    let archive_frames = map_archive(&mut alloc, vspace, platform)?;

    // SAFETY: boot_info is a zeroed page of free RAM taken above and
    // reached through the linear map; nothing else refers to it yet.
    let info = unsafe { &mut *(phys_to_virt(boot_info) as *mut BootInfo) };
    info.magic = tessera_abi::BOOT_INFO_MAGIC;
    info.num_cores = crate::arch::aarch64::smp::core_count() as u64;
    info.ipc_buffer = IPC_BUFFER_VADDR;
    info.archive_vaddr = archive_frames.vaddr;
    info.archive_size = platform.initrd.map_or(0, |i| i.size);

    let objects = bootcaps::InitialObjects {
        tcb,
        vspace,
        boot_info,
        ipc_buffer,
        asid: ROOTSERVER_ASID,
    };
    bootcaps::install(
        &mut alloc,
        info,
        &objects,
        &frames,
        &archive_frames,
        platform,
    )?;

    // SAFETY: tcb is a zeroed 2 KiB block of free RAM taken above, now the
    // rootserver's TCB; the kernel lock is held during boot.
    let t = unsafe { &mut *object_ptr::<Tcb>(tcb) };
    t.set_name(name);
    t.regs.elr = program.entry();
    t.regs.sp_el0 = STACK_TOP;
    t.regs.x[0] = BOOT_INFO_VADDR;
    t.priority = ROOTSERVER_PRIORITY;
    t.mcp = ROOTSERVER_PRIORITY;
    t.vspace_root = vspace;
    t.asid = ROOTSERVER_ASID;
    t.ttbr0 = crate::arch::aarch64::vspace::ttbr0(vspace, ROOTSERVER_ASID);
    t.ipc_buffer_user = IPC_BUFFER_VADDR;
    t.ipc_buffer_kernel = phys_to_virt(ipc_buffer);
    t.ipc_buffer_frame = ipc_buffer;
    t.state = ThreadState::Running;
    sched::make_ready(tcb);
    println!(
        "rootserver: entry {:#x}, {} frames, {} page tables, {} untyped ({} MiB)",
        program.entry(),
        frames.len(),
        alloc.tables.len(),
        info.untyped.len(),
        bootcaps::untyped_bytes(info) >> 20
    );
    Ok(())
}

fn unsafe_mapper(alloc: &mut BootAllocator, vspace: u64) -> Mapper<'_, BootAllocator> {
    // SAFETY: the VSpace root is a zeroed table the allocator's contract
    // covers (a RAM page reachable through the linear map); no core uses it
    // yet.
    unsafe { Mapper::new(alloc, PhysAddr::new(vspace), VaRange::Lower) }
}

fn user(access: Access, execute: bool) -> Attributes {
    Attributes {
        memory: MemoryType::Normal,
        access,
        kernel_exec: false,
        user_exec: execute,
        global: false,
    }
}

fn push_frame(
    frames: &mut heapless::Vec<(u64, u64), 512>,
    va: u64,
    pa: u64,
) -> Result<(), RootserverError> {
    frames
        .push((va, pa))
        .map_err(|_| RootserverError::OutOfMemory)
}

/// Copies one ELF segment into fresh frames and maps them with the
/// segment's permissions. A page shared with the previous segment (same
/// permissions, checked by tessera-elf) is reused.
fn load_segment(
    alloc: &mut BootAllocator,
    vspace: u64,
    segment: &Segment<'_>,
    frames: &mut heapless::Vec<(u64, u64), 512>,
) -> Result<(), RootserverError> {
    let (start, end) = segment.page_range();
    let access = if segment.flags.write {
        Access::UserReadWrite
    } else {
        Access::UserRead
    };
    let attrs = user(access, segment.flags.execute);
    let mut page = start;
    while page < end {
        let mapped = unsafe_mapper(alloc, vspace).translate(VirtAddr::new(page));
        let pa = match mapped {
            Some(t) => t.pa.as_u64(),
            None => {
                let pa = alloc.zeroed(PAGE_BITS)?;
                unsafe_mapper(alloc, vspace).map(
                    VirtAddr::new(page),
                    PhysAddr::new(pa),
                    PAGE,
                    attrs,
                )?;
                push_frame(frames, page, pa)?;
                pa
            }
        };
        copy_into_page(segment, page, pa);
        page += PAGE;
    }
    Ok(())
}

/// Copies the part of the segment's file bytes that falls in `page`.
fn copy_into_page(segment: &Segment<'_>, page: u64, pa: u64) {
    let data_end = segment.vaddr + segment.data.len() as u64;
    let from = segment.vaddr.max(page);
    let to = data_end.min(page + PAGE);
    if from >= to {
        return;
    }
    let src = &segment.data[(from - segment.vaddr) as usize..(to - segment.vaddr) as usize];
    // SAFETY: pa is a frame the loader owns, reached through the linear map;
    // [from, to) lies inside the page.
    unsafe {
        let dst = (phys_to_virt(pa) + (from - page)) as *mut u8;
        core::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len());
    }
}

/// The boot archive's pages as mapped into the rootserver.
pub struct ArchivePages {
    /// Physical address of the first page.
    pub first: u64,
    /// Number of pages.
    pub count: u64,
    /// Where the archive's first byte is in the rootserver.
    pub vaddr: u64,
}

/// Maps the boot archive's pages read-only from ARCHIVE_VADDR.
fn map_archive(
    alloc: &mut BootAllocator,
    vspace: u64,
    platform: &Platform,
) -> Result<ArchivePages, RootserverError> {
    let Some(initrd) = platform.initrd else {
        return Ok(ArchivePages {
            first: 0,
            count: 0,
            vaddr: 0,
        });
    };
    let r = page_outward(
        Range::from_base_size(initrd.base, initrd.size).ok_or(RootserverError::NoArchive)?,
    );
    unsafe_mapper(alloc, vspace).map(
        VirtAddr::new(ARCHIVE_VADDR),
        PhysAddr::new(r.start),
        r.size(),
        user(Access::UserRead, false),
    )?;
    Ok(ArchivePages {
        first: r.start,
        count: r.size() / PAGE,
        vaddr: ARCHIVE_VADDR + (initrd.base - r.start),
    })
}

/// The IPC buffer layout the kernel assumes.
const _: () = assert!(core::mem::size_of::<IpcBuffer>() <= PAGE as usize);
