//! The kernel's address space: the boot tables built with the MMU off, and
//! the final linear map built once the device tree has been read.
//!
//! Layout of the upper half (TTBR1_EL2):
//! - `LINEAR_BASE + pa`: a linear map of RAM (normal, write-back) and of the
//!   device windows the kernel drives (device-nGnRE);
//! - `KIMAGE_VBASE`: the kernel image, mapped onto its load address.
//!
//! The lower half (TTBR0_EL2) holds an identity map of the image only while a
//! core turns its MMU on; later it belongs to user address spaces.

use core::ptr::{addr_of, addr_of_mut};

use tessera_paging::{
    Attributes, MAIR_EL2, MapError, Mapper, PageTable, PhysAddr, TableAllocator, VaRange, VirtAddr,
};

use aarch64_cpu::registers::{ID_AA64MMFR0_EL1, Readable};

use super::sysreg;

/// Base of the linear map of physical memory.
pub const LINEAR_BASE: u64 = 0xFFFF_0000_0000_0000;
/// Link address of the kernel image (`linker/kernel.ld`).
pub const KIMAGE_VBASE: u64 = 0xFFFF_FF80_0000_0000;

const SZ_2M: u64 = 2 << 20;
const SZ_1G: u64 = 1 << 30;

/// What `enable_mmu` (head.rs) loads on every core. Read at its physical
/// address with the MMU off, so whoever changes it cleans it to memory.
#[repr(C)]
pub struct MmuConfig {
    pub mair: u64,
    pub tcr: u64,
    pub ttbr0: u64,
    pub ttbr1: u64,
}

pub static mut BOOT_MMU: MmuConfig = MmuConfig {
    mair: 0,
    tcr: 0,
    ttbr0: 0,
    ttbr1: 0,
};

/// Physical address the image was loaded at (set by `early_map`).
static mut IMAGE_PA: u64 = 0;

/// The tables `early_map` fills in: the identity map, the kernel root, the
/// image mapping and a linear-map window over the device tree.
#[repr(C)]
struct EarlyTables {
    id_l0: PageTable,
    id_l1: PageTable,
    root: PageTable,
    image_l1: PageTable,
    image_l2: PageTable,
    linear_l1: PageTable,
}

static mut EARLY: EarlyTables = EarlyTables {
    id_l0: PageTable::zeroed(),
    id_l1: PageTable::zeroed(),
    root: PageTable::zeroed(),
    image_l1: PageTable::zeroed(),
    image_l2: PageTable::zeroed(),
    linear_l1: PageTable::zeroed(),
};

unsafe extern "C" {
    static __image_start: u8;
    static __image_end: u8;
}

// Stage-1 descriptor bits used before the paging crate can run (MMU off).
const DESC_TABLE: u64 = 0b11;
const DESC_BLOCK: u64 = 0b01;
const ATTR_NORMAL: u64 = 1 << 2; // MAIR index 1
const ATTR_INNER_SHAREABLE: u64 = 0b11 << 8;
const ATTR_AF: u64 = 1 << 10;
const ATTR_PXN: u64 = 1 << 53;
const ATTR_UXN: u64 = 1 << 54;
/// Normal memory, EL2 read/write/execute, no EL0 access.
const BLOCK_KERNEL_RWX: u64 = DESC_BLOCK | ATTR_NORMAL | ATTR_INNER_SHAREABLE | ATTR_AF | ATTR_UXN;
/// Normal memory, EL2 read/write, never executable.
const BLOCK_KERNEL_RW: u64 = BLOCK_KERNEL_RWX | ATTR_PXN;

const fn l0_index(va: u64) -> usize {
    ((va >> 39) & 0x1ff) as usize
}
const fn l1_index(va: u64) -> usize {
    ((va >> 30) & 0x1ff) as usize
}
const fn l2_index(va: u64) -> usize {
    ((va >> 21) & 0x1ff) as usize
}

/// Builds the boot tables and `BOOT_MMU`. Runs on the boot core with the MMU
/// off, so every address taken here is physical and the code must not use
/// anything that holds link-time addresses (no trait objects, no formatting).
/// Returns 0, or 1 if the image is not 2 MiB aligned or too large, or the
/// device tree lies outside the first 512 GiB.
///
/// # Safety
/// Called once, from head.rs, before any other code touches these statics.
pub unsafe extern "C" fn early_map(image_pa: u64, dtb_pa: u64) -> u64 {
    let image_size = addr_of!(__image_end) as u64 - addr_of!(__image_start) as u64;
    let blocks = image_size.div_ceil(SZ_2M);
    if !image_pa.is_multiple_of(SZ_2M) || blocks > 512 || l0_index(dtb_pa) != 0 {
        return 1;
    }
    // SAFETY: single-threaded boot with the MMU off; nothing else refers to
    // these statics yet, and the pointers are their physical addresses.
    unsafe {
        let t = addr_of_mut!(EARLY);
        let table_pa = |p: *mut PageTable| p as u64;
        let id_l0 = addr_of_mut!((*t).id_l0) as *mut u64;
        let id_l1 = addr_of_mut!((*t).id_l1) as *mut u64;
        let root = addr_of_mut!((*t).root) as *mut u64;
        let image_l1 = addr_of_mut!((*t).image_l1) as *mut u64;
        let image_l2 = addr_of_mut!((*t).image_l2) as *mut u64;
        let linear_l1 = addr_of_mut!((*t).linear_l1) as *mut u64;

        id_l0
            .add(l0_index(image_pa))
            .write(DESC_TABLE | table_pa(id_l1.cast()));
        id_l1
            .add(l1_index(image_pa))
            .write(image_pa & !(SZ_1G - 1) | BLOCK_KERNEL_RWX);

        root.add(l0_index(KIMAGE_VBASE))
            .write(DESC_TABLE | table_pa(image_l1.cast()));
        image_l1
            .add(l1_index(KIMAGE_VBASE))
            .write(DESC_TABLE | table_pa(image_l2.cast()));
        let mut i = 0;
        while i < blocks {
            image_l2
                .add(l2_index(KIMAGE_VBASE) + i as usize)
                .write((image_pa + i * SZ_2M) | BLOCK_KERNEL_RWX);
            i += 1;
        }

        root.add(l0_index(LINEAR_BASE))
            .write(DESC_TABLE | table_pa(linear_l1.cast()));
        linear_l1
            .add(l1_index(dtb_pa))
            .write(dtb_pa & !(SZ_1G - 1) | BLOCK_KERNEL_RW);

        let cfg = addr_of_mut!(BOOT_MMU);
        (*cfg).mair = MAIR_EL2;
        (*cfg).tcr = sysreg::tcr_el2(ID_AA64MMFR0_EL1.get());
        (*cfg).ttbr0 = table_pa(id_l0.cast());
        (*cfg).ttbr1 = table_pa(root.cast());
        addr_of_mut!(IMAGE_PA).write(image_pa);
    }
    0
}

/// The physical address the kernel image was loaded at.
pub fn image_pa() -> u64 {
    // SAFETY: written once by early_map before the MMU was on, read-only since.
    unsafe { addr_of!(IMAGE_PA).read() }
}

/// The kernel image's size in memory, .bss included.
pub fn image_size() -> u64 {
    addr_of!(__image_end) as u64 - addr_of!(__image_start) as u64
}

/// Distance from a kernel-image virtual address to its physical address.
pub fn kimage_voffset() -> u64 {
    KIMAGE_VBASE.wrapping_sub(image_pa())
}

/// Physical address of a kernel-image symbol (a static or a function).
pub fn kimage_pa(va: u64) -> u64 {
    va.wrapping_sub(kimage_voffset())
}

/// The linear-map address of physical address `pa`. Valid for RAM and the
/// device windows mapped by `build_kernel_map` (before it: the device tree).
pub const fn phys_to_virt(pa: u64) -> u64 {
    LINEAR_BASE.wrapping_add(pa)
}

/// The physical address of linear-map address `va` (the inverse of
/// [`phys_to_virt`]).
pub const fn virt_to_phys(va: u64) -> u64 {
    va.wrapping_sub(LINEAR_BASE)
}

/// Tables for the final kernel map, taken from the image's .bss.
const POOL_TABLES: usize = 32;
static mut POOL: [PageTable; POOL_TABLES] = [const { PageTable::zeroed() }; POOL_TABLES];

struct BootTablePool {
    next: usize,
}

// SAFETY: each table handed out is a distinct, zeroed, 4 KiB-aligned element
// of POOL that nothing else references; table_ptr maps image-resident tables
// (the pool and the early tables) to their kernel-image address, which is
// mapped for as long as the kernel runs.
unsafe impl TableAllocator for BootTablePool {
    fn allocate_table(&mut self) -> Option<PhysAddr> {
        if self.next >= POOL_TABLES {
            return None;
        }
        // SAFETY: only the address is taken; index checked above.
        let va = unsafe { addr_of_mut!(POOL[self.next]) } as u64;
        self.next += 1;
        Some(PhysAddr::new(kimage_pa(va)))
    }

    fn table_ptr(&self, pa: PhysAddr) -> core::ptr::NonNull<PageTable> {
        let pa = pa.as_u64();
        let va = if pa.wrapping_sub(image_pa()) < KIMAGE_SIZE_MAX {
            pa.wrapping_add(kimage_voffset())
        } else {
            phys_to_virt(pa)
        };
        core::ptr::NonNull::new(va as *mut PageTable).unwrap_or(core::ptr::NonNull::dangling())
    }
}

/// Upper bound on the image size, for telling image addresses apart.
const KIMAGE_SIZE_MAX: u64 = 512 * SZ_2M;

/// A region the kernel needs in its linear map.
#[derive(Clone, Copy)]
pub struct KernelRegion {
    pub base: u64,
    pub size: u64,
    pub device: bool,
}

/// Builds the final upper-half map (the image, as in early boot, and the
/// linear map of `regions`), switches this core to it, stops TTBR0 walks on
/// this core, and publishes the new root for the secondary cores.
pub fn build_kernel_map(regions: &[KernelRegion]) -> Result<(), MapError> {
    let mut pool = BootTablePool { next: 0 };
    let root_pa = pool.allocate_table().ok_or(MapError::OutOfTables)?;
    // SAFETY: the root is a fresh pool table and EARLY.root is read-only
    // after early boot; copying the image entry shares its subtree.
    unsafe {
        let early_root = addr_of!(EARLY.root) as *const u64;
        let root = pool.table_ptr(root_pa).as_ptr() as *mut u64;
        let i = l0_index(KIMAGE_VBASE);
        root.add(i).write(early_root.add(i).read());
    }
    // SAFETY: the pool's contract (see its TableAllocator impl) holds, and
    // the tree under root_pa is not in use by any core yet.
    let mut mapper = unsafe { Mapper::new(&mut pool, root_pa, VaRange::Upper) };
    for r in regions {
        let base = r.base & !0xfff;
        let end = r.base.saturating_add(r.size).saturating_add(0xfff) & !0xfff;
        let attrs = if r.device {
            Attributes::device()
        } else {
            Attributes::kernel_data()
        };
        mapper.map(
            VirtAddr::new(phys_to_virt(base)),
            PhysAddr::new(base),
            end - base,
            attrs,
        )?;
    }
    let root = root_pa.as_u64();
    // SAFETY: the new root maps the running image exactly as the old one did,
    // so switching is safe; the barriers make the table writes visible to the
    // walker first and drop translations cached from the early tables.
    unsafe {
        core::arch::asm!("dsb ishst", options(nostack, preserves_flags));
        sysreg::write_ttbr1_el2(root);
        sysreg::write_tcr_el2(sysreg::read_tcr_el2() | sysreg::tcr::EPD0);
        core::arch::asm!(
            "isb",
            "tlbi alle2is",
            "dsb ish",
            "isb",
            options(nostack, preserves_flags)
        );
        let cfg = addr_of_mut!(BOOT_MMU);
        (*cfg).ttbr1 = root;
        clean_to_poc(cfg as u64, core::mem::size_of::<MmuConfig>() as u64);
    }
    Ok(())
}

/// Turns off TTBR0 walks on a secondary core once it runs in the upper half.
pub fn drop_identity_map() {
    // SAFETY: the caller runs from the upper half, so the identity map in
    // TTBR0 is no longer used.
    unsafe {
        sysreg::write_tcr_el2(sysreg::read_tcr_el2() | sysreg::tcr::EPD0);
        core::arch::asm!(
            "isb",
            "tlbi alle2",
            "dsb nsh",
            "isb",
            options(nostack, preserves_flags)
        );
    }
}

/// Cleans [va, va + len) to the point of coherency, for readers with the MMU
/// (and so the caches) off.
fn clean_to_poc(va: u64, len: u64) {
    let line = sysreg::dcache_line_size();
    let mut p = va & !(line - 1);
    while p < va + len {
        // SAFETY: cleaning a line of mapped kernel memory has no effect on
        // its contents.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) p, options(nostack, preserves_flags)) };
        p += line;
    }
    // SAFETY: a barrier only.
    unsafe { core::arch::asm!("dsb sy", options(nostack, preserves_flags)) };
}
