//! Object allocation: an Untyped allocator over the boot Untypeds (first
//! fit by size, retyping into the root CNode with node depth 0), and
//! [`Resources`], which bundles it with a slot allocator and a range of
//! virtual addresses for mapping fresh pages and starting threads.

use tessera_abi::{
    BootInfo, CPtr, InitialSlot, MAX_UNTYPEDS, ObjectType, PAGE_BITS, Rights, SlotRange,
    VmAttributes,
};

use crate::error::InvocationError;
use crate::invoke::{untyped, vspace};
use crate::slots::{Exhausted, SlotAllocator};

pub mod carve;

/// Why an allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// No free slot.
    Slots,
    /// No Untyped with room for the object.
    Memory,
    /// No virtual addresses left.
    Addresses,
    /// The kernel refused an invocation.
    Kernel(InvocationError),
}

impl From<Exhausted> for AllocError {
    fn from(_: Exhausted) -> Self {
        AllocError::Slots
    }
}

impl From<InvocationError> for AllocError {
    fn from(e: InvocationError) -> Self {
        AllocError::Kernel(e)
    }
}

impl core::fmt::Display for AllocError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AllocError::Slots => f.write_str("out of CNode slots"),
            AllocError::Memory => f.write_str("out of Untyped memory"),
            AllocError::Addresses => f.write_str("out of virtual addresses"),
            AllocError::Kernel(e) => write!(f, "kernel: {e}"),
        }
    }
}

/// One Untyped capability and how much of it this allocator has used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UntypedRegion {
    /// Its capability pointer.
    pub cptr: CPtr,
    /// log2 of its size in bytes.
    pub size_bits: u8,
    /// Its physical address.
    pub paddr: u64,
    /// Bytes from its start already used (the kernel's watermark, as far
    /// as this allocator knows).
    pub used: u64,
}

impl UntypedRegion {
    /// The offset an object of 2^bits bytes would go at, if it fits.
    pub fn fit(&self, bits: u8) -> Option<u64> {
        if bits > self.size_bits || bits >= 64 {
            return None;
        }
        let offset = self.used.checked_next_multiple_of(1 << bits)?;
        (offset.checked_add(1 << bits)? <= 1u64 << self.size_bits).then_some(offset)
    }
}

/// First-fit-by-size allocation from RAM Untypeds: the smallest Untyped
/// (in size order, then list order) with room is used.
#[derive(Clone, Debug)]
pub struct UntypedAllocator {
    regions: [UntypedRegion; MAX_UNTYPEDS],
    len: usize,
}

impl Default for UntypedAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl UntypedAllocator {
    /// An allocator with no memory.
    pub const fn new() -> Self {
        Self {
            regions: [UntypedRegion {
                cptr: 0,
                size_bits: 0,
                paddr: 0,
                used: 0,
            }; MAX_UNTYPEDS],
            len: 0,
        }
    }

    /// The RAM Untypeds of the boot-info page.
    pub fn from_boot_info(info: &BootInfo) -> Self {
        Self::from_boot_info_where(info, false)
    }

    /// The device Untypeds of the boot-info page (they make frames only:
    /// use them through [`carve::carve_frame`]).
    pub fn devices_from_boot_info(info: &BootInfo) -> Self {
        Self::from_boot_info_where(info, true)
    }

    fn from_boot_info_where(info: &BootInfo, device: bool) -> Self {
        let mut a = Self::new();
        for (i, u) in info.untypeds().iter().enumerate() {
            if (u.is_device != 0) == device {
                a.add(info.untyped.start + i as u64, u.size_bits, u.paddr);
            }
        }
        a
    }

    /// Adds an unused Untyped; false if the table is full.
    pub fn add(&mut self, cptr: CPtr, size_bits: u8, paddr: u64) -> bool {
        match self.regions.get_mut(self.len) {
            Some(r) => {
                *r = UntypedRegion {
                    cptr,
                    size_bits,
                    paddr,
                    used: 0,
                };
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The regions.
    pub fn regions(&self) -> &[UntypedRegion] {
        &self.regions[..self.len]
    }

    /// Chooses where an object of 2^bits bytes goes and records it: the
    /// region's index and the object's offset in it.
    pub fn plan(&mut self, bits: u8) -> Option<(usize, u64)> {
        let mut best: Option<(usize, u64)> = None;
        for (i, r) in self.regions().iter().enumerate() {
            let Some(offset) = r.fit(bits) else { continue };
            if best.is_none_or(|(b, _)| r.size_bits < self.regions[b].size_bits) {
                best = Some((i, offset));
            }
        }
        let (i, offset) = best?;
        self.regions[i].used = offset + (1 << bits);
        Some((i, offset))
    }

    /// Retypes one object into slot `slot` of CNode `root` (node depth 0).
    pub fn retype(
        &mut self,
        ty: ObjectType,
        size_bits: u64,
        root: CPtr,
        slot: CPtr,
    ) -> Result<(), AllocError> {
        let bits = ty.object_bits(size_bits as u8).ok_or(AllocError::Memory)?;
        let (i, _) = self.plan(bits).ok_or(AllocError::Memory)?;
        let dest = untyped::Destination::root(root, slot);
        untyped::retype(self.regions[i].cptr, ty, size_bits, dest, 1)?;
        Ok(())
    }
}

/// What a program allocates from: its CSpace root (a single-level CNode
/// where a slot number is a capability pointer), its VSpace, the TCB whose
/// priority bounds new threads', free slots, Untyped memory and a range of
/// free virtual addresses.
pub struct Resources {
    /// The CSpace root CNode.
    pub cnode: CPtr,
    /// The VSpace.
    pub vspace: CPtr,
    /// The authority TCB for priorities.
    pub authority: CPtr,
    /// Free slots of `cnode`.
    pub slots: SlotAllocator,
    /// Untyped memory.
    pub untyped: UntypedAllocator,
    /// Next free virtual address.
    pub next_va: u64,
    /// End of the free virtual addresses.
    pub end_va: u64,
}

impl Resources {
    /// The rootserver's resources: its fixed slots, `empty` slots, the boot
    /// Untypeds and virtual addresses `va`.
    pub fn rootserver(info: &BootInfo, empty: SlotRange, va: (u64, u64)) -> Self {
        Self {
            cnode: InitialSlot::CNode.cptr(),
            vspace: InitialSlot::VSpace.cptr(),
            authority: InitialSlot::Tcb.cptr(),
            slots: SlotAllocator::new(empty),
            untyped: UntypedAllocator::from_boot_info(info),
            next_va: va.0,
            end_va: va.1,
        }
    }

    /// A new object of `ty` in a fresh slot.
    pub fn alloc(&mut self, ty: ObjectType, size_bits: u64) -> Result<CPtr, AllocError> {
        let slot = self.slots.alloc()?;
        match self.untyped.retype(ty, size_bits, self.cnode, slot) {
            Ok(()) => Ok(slot),
            Err(e) => {
                self.slots.free(slot);
                Err(e)
            }
        }
    }

    /// Reserves `pages` pages of virtual addresses (2^align_bits-aligned).
    pub fn reserve_va(&mut self, pages: u64, align_bits: u8) -> Result<u64, AllocError> {
        let start = self
            .next_va
            .checked_next_multiple_of(1 << align_bits)
            .ok_or(AllocError::Addresses)?;
        let end = start
            .checked_add(pages << PAGE_BITS)
            .filter(|&e| e <= self.end_va)
            .ok_or(AllocError::Addresses)?;
        self.next_va = end;
        Ok(start)
    }

    /// Maps `frame` at `vaddr` in `vspace` (cacheable, executable where the
    /// rights allow reading), making page tables as needed.
    pub fn map_frame(
        &mut self,
        frame: CPtr,
        vspace: CPtr,
        vaddr: u64,
        rights: Rights,
    ) -> Result<(), AllocError> {
        self.map_frame_with(frame, vspace, vaddr, rights, VmAttributes::DEFAULT)
    }

    /// Maps `frame` at `vaddr` in `vspace` with `attrs`, making page tables
    /// as needed.
    pub fn map_frame_with(
        &mut self,
        frame: CPtr,
        vspace: CPtr,
        vaddr: u64,
        rights: Rights,
        attrs: VmAttributes,
    ) -> Result<(), AllocError> {
        // Each missing level costs one round: at most three tables.
        for _ in 0..4 {
            match vspace::map_frame(frame, vspace, vaddr, rights, attrs) {
                Err(e) if e.error == tessera_abi::Error::FailedLookup => {
                    let pt = self.alloc(ObjectType::PageTable, 0)?;
                    vspace::map_page_table(pt, vspace, vaddr)?;
                }
                other => return Ok(other?),
            }
        }
        Err(AllocError::Memory)
    }

    /// A fresh 4 KiB frame mapped at `vaddr` in `vspace`; returns its cap.
    pub fn map_new_page(
        &mut self,
        vspace: CPtr,
        vaddr: u64,
        rights: Rights,
    ) -> Result<CPtr, AllocError> {
        self.map_new_page_with(vspace, vaddr, rights, VmAttributes::DEFAULT)
    }

    /// A fresh 4 KiB frame mapped at `vaddr` in `vspace` with `attrs`.
    pub fn map_new_page_with(
        &mut self,
        vspace: CPtr,
        vaddr: u64,
        rights: Rights,
        attrs: VmAttributes,
    ) -> Result<CPtr, AllocError> {
        let frame = self.alloc(ObjectType::Frame4K, 0)?;
        self.map_frame_with(frame, vspace, vaddr, rights, attrs)?;
        Ok(frame)
    }

    /// `pages` fresh read-write pages at newly reserved addresses in this
    /// program's VSpace; returns the first address.
    pub fn map_new_pages(&mut self, pages: u64) -> Result<u64, AllocError> {
        let va = self.reserve_va(pages, PAGE_BITS)?;
        for i in 0..pages {
            self.map_new_page(self.vspace, va + (i << PAGE_BITS), Rights::READ_WRITE)?;
        }
        Ok(va)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_aligned_after_the_watermark() {
        let mut r = UntypedRegion {
            cptr: 1,
            size_bits: 16,
            paddr: 0,
            used: 32,
        };
        assert_eq!(r.fit(12), Some(4096));
        r.used = 0xf001;
        assert_eq!(r.fit(12), None);
        assert_eq!(r.fit(4), Some(0xf010));
        assert_eq!(r.fit(17), None);
    }

    #[test]
    fn smallest_region_with_room_wins() {
        let mut a = UntypedAllocator::new();
        assert!(a.add(10, 20, 0x100000));
        assert!(a.add(11, 12, 0x200000));
        assert!(a.add(12, 12, 0x300000));
        assert_eq!(a.plan(12), Some((1, 0)));
        assert_eq!(a.plan(12), Some((2, 0)));
        assert_eq!(a.plan(12), Some((0, 0)));
        assert_eq!(a.plan(5), Some((0, 4096)));
        assert_eq!(a.plan(12), Some((0, 8192)));
        assert_eq!(a.plan(21), None);
    }

    #[test]
    fn the_table_is_bounded() {
        let mut a = UntypedAllocator::new();
        for i in 0..MAX_UNTYPEDS as u64 {
            assert!(a.add(i, 12, 0));
        }
        assert!(!a.add(0, 12, 0));
        assert_eq!(a.regions().len(), MAX_UNTYPEDS);
    }
}
