//! The boot-info page the kernel gives the rootserver.

use crate::CPtr;

/// `BootInfo::magic`.
pub const BOOT_INFO_MAGIC: u64 = u64::from_le_bytes(*b"TESSERA\0");
/// Room for Untyped descriptors in the boot-info page.
pub const MAX_UNTYPEDS: usize = 200;
/// Room for the kernel command line in the boot-info page.
pub const CMDLINE_MAX: usize = 256;

/// Capabilities the rootserver finds at fixed slots of its CNode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum InitialSlot {
    /// Always empty.
    Null = 0,
    /// The rootserver's TCB.
    Tcb = 1,
    /// The rootserver's CNode (its CSpace root).
    CNode = 2,
    /// The rootserver's VSpace.
    VSpace = 3,
    /// Authority to claim interrupt lines.
    IrqControl = 4,
    /// Authority to make ASID pools.
    AsidControl = 5,
    /// The ASID pool the rootserver's VSpace came from.
    AsidPool = 6,
    /// The frame holding the boot-info page.
    BootInfoFrame = 7,
    /// The frame holding the rootserver's IPC buffer.
    IpcBuffer = 8,
}

impl InitialSlot {
    /// The slot's capability pointer in the rootserver's CSpace.
    pub const fn cptr(self) -> CPtr {
        self as CPtr
    }
    /// The first slot after the fixed ones.
    pub const FIRST_FREE: u64 = 16;
}

/// A half-open range of slots in the rootserver's CNode.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot.
    pub start: u64,
    /// One past the last slot.
    pub end: u64,
}

impl SlotRange {
    /// Number of slots.
    pub const fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    /// Whether the range is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One Untyped capability handed to the rootserver.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UntypedDesc {
    /// Physical address.
    pub paddr: u64,
    /// log2 of its size in bytes.
    pub size_bits: u8,
    /// 1 for device memory (frames only), 0 for RAM.
    pub is_device: u8,
    /// Zero.
    pub padding: [u8; 6],
}

/// The boot-info page, mapped read-only into the rootserver; its address is
/// in the rootserver's `x0` at entry.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct BootInfo {
    /// [`BOOT_INFO_MAGIC`].
    pub magic: u64,
    /// Number of cores the kernel runs on.
    pub num_cores: u64,
    /// The rootserver's IPC buffer address.
    pub ipc_buffer: u64,
    /// log2 of the number of slots of the rootserver's CNode.
    pub cnode_size_bits: u64,
    /// Empty slots of the rootserver's CNode.
    pub empty: SlotRange,
    /// Frames of the rootserver's own image, stack, IPC buffer and
    /// boot-info page, as mapped.
    pub user_image_frames: SlotRange,
    /// The page tables of the rootserver's VSpace.
    pub user_image_paging: SlotRange,
    /// Frames holding the boot archive, mapped read-only at `archive_vaddr`.
    pub archive_frames: SlotRange,
    /// Where the boot archive is mapped in the rootserver.
    pub archive_vaddr: u64,
    /// The boot archive's size in bytes.
    pub archive_size: u64,
    /// Length of `cmdline`.
    pub cmdline_len: u64,
    /// The kernel command line (`/chosen/bootargs`), truncated to fit.
    pub cmdline: [u8; CMDLINE_MAX],
    /// Untyped capabilities; `untyped_list[i]` describes slot
    /// `untyped.start + i`.
    pub untyped: SlotRange,
    /// See `untyped`.
    pub untyped_list: [UntypedDesc; MAX_UNTYPEDS],
}

impl BootInfo {
    /// The kernel command line (empty if it is not UTF-8).
    pub fn cmdline(&self) -> &str {
        let len = (self.cmdline_len as usize).min(CMDLINE_MAX);
        core::str::from_utf8(self.cmdline.get(..len).unwrap_or(&[])).unwrap_or("")
    }

    /// The descriptors of the Untyped capabilities given.
    pub fn untypeds(&self) -> &[UntypedDesc] {
        let n = (self.untyped.len() as usize).min(MAX_UNTYPEDS);
        self.untyped_list.get(..n).unwrap_or(&[])
    }
}

const _: () = assert!(core::mem::size_of::<BootInfo>() <= 4096);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_a_page() {
        assert!(core::mem::size_of::<BootInfo>() <= 4096);
        assert_eq!(core::mem::size_of::<UntypedDesc>(), 16);
    }

    #[test]
    fn slot_range() {
        assert_eq!(SlotRange { start: 3, end: 10 }.len(), 7);
        assert!(SlotRange { start: 10, end: 3 }.is_empty());
    }
}
