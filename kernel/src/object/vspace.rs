//! Address spaces: mapping frames and page tables into a VSpace (a stage-1
//! level-0 table with an ASID), one level at a time as user level decides.

use core::arch::asm;

use tessera_abi::{Error, Label, Rights, VmAttributes};
use tessera_caps::{Cap, FrameSize, Mapping, PtMapping, SlotAddr, SyscallError, mdb};
use tessera_paging::{
    Access, Attributes, Descriptor, DescriptorKind, Level, MemoryType, PageTable, PhysAddr,
};

use super::asid;
use super::cnode::KernelSlots;
use crate::arch::aarch64::boot_mmu::phys_to_virt;
use crate::cspace;
use crate::invocation::{Invoker, Outcome};

/// User virtual addresses are below 2^48.
const USER_LIMIT: u64 = 1 << 48;

fn table(pa: u64) -> &'static mut PageTable {
    // SAFETY: `pa` is a VSpace root or a PageTable object reached from one:
    // a live, 4 KiB-aligned table in RAM; under the kernel lock.
    unsafe { &mut *(phys_to_virt(pa) as *mut PageTable) }
}

/// Where a walk for `vaddr` stopped.
struct Walk {
    /// The table holding the entry for `vaddr` at `level`.
    table: u64,
    level: Level,
}

/// Walks from `root` towards `vaddr` down to `target` level; stops early at
/// the first level whose entry is not a table.
fn walk(root: u64, vaddr: u64, target: Level) -> Walk {
    let mut w = Walk {
        table: root,
        level: Level::L0,
    };
    while w.level != target {
        let entry = table(w.table).entries()[w.level.index(vaddr)];
        match (entry.kind(w.level), w.level.next()) {
            (DescriptorKind::Table(next), Some(level)) => {
                w = Walk {
                    table: next.as_u64(),
                    level,
                }
            }
            _ => break,
        }
    }
    w
}

/// A checked invocation.
enum Op {
    MapFrame {
        slot: SlotAddr,
        cap: Cap,
        table: u64,
        index: usize,
        descriptor: Descriptor,
        mapping: Mapping,
    },
    UnmapFrame {
        slot: SlotAddr,
        cap: Cap,
    },
    Address(u64),
    MapTable {
        slot: SlotAddr,
        cap: Cap,
        parent: u64,
        index: usize,
        mapping: PtMapping,
    },
    UnmapTable {
        slot: SlotAddr,
        cap: Cap,
    },
}

pub fn invoke(inv: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Outcome, SyscallError> {
    let op = decode(inv, slot, cap)?;
    Ok(perform(op))
}

fn decode(inv: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Op, SyscallError> {
    let label = inv.label.ok_or(SyscallError::illegal_operation())?;
    match (*cap, label) {
        (Cap::Frame { paddr, .. }, Label::FrameGetAddress) => Ok(Op::Address(paddr)),
        (Cap::Frame { mapping: None, .. }, Label::FrameUnmap) => {
            Err(SyscallError::illegal_operation())
        }
        (Cap::Frame { .. }, Label::FrameUnmap) => Ok(Op::UnmapFrame { slot, cap: *cap }),
        (Cap::Frame { .. }, Label::FrameMap) => decode_map_frame(inv, slot, cap),
        (Cap::PageTable { mapping: None, .. }, Label::PageTableUnmap) => {
            Err(SyscallError::illegal_operation())
        }
        (Cap::PageTable { .. }, Label::PageTableUnmap) => Ok(Op::UnmapTable { slot, cap: *cap }),
        (Cap::PageTable { .. }, Label::PageTableMap) => decode_map_table(inv, slot, cap),
        _ => Err(SyscallError::illegal_operation()),
    }
}

/// The VSpace root and ASID given as extra cap 0.
fn target_vspace(inv: &Invoker) -> Result<(u64, u16), SyscallError> {
    match inv.cap(0)?.1 {
        Cap::VSpace {
            paddr,
            asid: Some(asid),
        } => Ok((paddr, asid)),
        _ => Err(cspace::wrong_extra_cap(0)),
    }
}

fn decode_map_frame(inv: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Op, SyscallError> {
    let Cap::Frame {
        paddr,
        size,
        rights,
        is_device,
        mapping,
    } = *cap
    else {
        return Err(SyscallError::illegal_operation());
    };
    let (vaddr, want, attrs) = (
        inv.mr(0)?,
        Rights::from_word(inv.mr(1)?),
        VmAttributes::from_bits_truncate(inv.mr(2)?),
    );
    let (root, asid) = target_vspace(inv)?;
    if mapping.is_some() {
        return Err(SyscallError {
            error: Error::InvalidCapability,
            details: [0, 0],
        });
    }
    let bits = size.bits();
    if vaddr % (1 << bits) != 0 {
        return Err(SyscallError::plain(Error::AlignmentError));
    }
    if vaddr >= USER_LIMIT
        || vaddr
            .checked_add(1 << bits)
            .is_none_or(|end| end > USER_LIMIT)
    {
        return Err(SyscallError::invalid_argument(0));
    }
    let rights = rights & want;
    let access = match (
        rights.contains(Rights::READ),
        rights.contains(Rights::WRITE),
    ) {
        (_, true) => Access::UserReadWrite,
        (true, false) => Access::UserRead,
        (false, false) => return Err(SyscallError::invalid_argument(1)),
    };
    let level = match size {
        FrameSize::Small => Level::L3,
        FrameSize::Large => Level::L2,
        FrameSize::Huge => Level::L1,
    };
    let w = walk(root, vaddr, level);
    if w.level != level {
        return Err(cspace::missing());
    }
    let index = w.level.index(vaddr);
    if table(w.table).entries()[index].is_valid() {
        return Err(SyscallError::plain(Error::DeleteFirst));
    }
    let memory = if is_device {
        MemoryType::Device
    } else if attrs.contains(VmAttributes::CACHEABLE) {
        MemoryType::Normal
    } else {
        MemoryType::NormalNonCacheable
    };
    let user_exec = !is_device && !attrs.contains(VmAttributes::EXECUTE_NEVER);
    let attributes = Attributes {
        memory,
        access,
        kernel_exec: false,
        user_exec,
        global: false,
    };
    let bits = attributes
        .to_bits()
        .map_err(|_| SyscallError::invalid_argument(2))?;
    let descriptor = Descriptor::leaf(level, PhysAddr::new(paddr), bits)
        .ok_or(SyscallError::invalid_argument(0))?;
    Ok(Op::MapFrame {
        slot,
        cap: *cap,
        table: w.table,
        index,
        descriptor,
        mapping: Mapping { asid, vaddr },
    })
}

fn decode_map_table(inv: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Op, SyscallError> {
    let Cap::PageTable { mapping, .. } = *cap else {
        return Err(SyscallError::illegal_operation());
    };
    let vaddr = inv.mr(0)?;
    let (root, asid) = target_vspace(inv)?;
    if mapping.is_some() {
        return Err(SyscallError {
            error: Error::InvalidCapability,
            details: [0, 0],
        });
    }
    if vaddr >= USER_LIMIT {
        return Err(SyscallError::invalid_argument(0));
    }
    let w = walk(root, vaddr, Level::L3);
    let index = w.level.index(vaddr);
    if w.level == Level::L3 || table(w.table).entries()[index].is_valid() {
        return Err(SyscallError::plain(Error::DeleteFirst));
    }
    let level = w.level.next().map_or(3, |l| l as u8);
    let span_bits = PtMapping::covered_bits(level).unwrap_or(21);
    let base = vaddr & !((1u64 << span_bits) - 1);
    Ok(Op::MapTable {
        slot,
        cap: *cap,
        parent: w.table,
        index,
        mapping: PtMapping {
            asid,
            vaddr: base,
            level,
        },
    })
}

fn perform(op: Op) -> Outcome {
    match op {
        Op::Address(pa) => return Outcome::values(&[pa]),
        Op::MapFrame {
            slot,
            cap,
            table: t,
            index,
            descriptor,
            mapping,
        } => {
            table(t).entries_mut()[index] = descriptor;
            barrier_after_map();
            if let Cap::Frame {
                paddr,
                size,
                rights,
                is_device,
                ..
            } = cap
            {
                let new = Cap::Frame {
                    paddr,
                    size,
                    rights,
                    is_device,
                    mapping: Some(mapping),
                };
                let _ = mdb::update_cap(&mut KernelSlots, slot, new);
            }
        }
        Op::UnmapFrame { slot, cap } => {
            unmap_frame(&cap);
            if let Cap::Frame {
                paddr,
                size,
                rights,
                is_device,
                ..
            } = cap
            {
                let _ = mdb::update_cap(
                    &mut KernelSlots,
                    slot,
                    Cap::Frame {
                        paddr,
                        size,
                        rights,
                        is_device,
                        mapping: None,
                    },
                );
            }
        }
        Op::MapTable {
            slot,
            cap,
            parent,
            index,
            mapping,
        } => {
            if let Cap::PageTable { paddr, .. } = cap {
                if let Some(d) = Descriptor::table(PhysAddr::new(paddr)) {
                    table(parent).entries_mut()[index] = d;
                    barrier_after_map();
                }
                let _ = mdb::update_cap(
                    &mut KernelSlots,
                    slot,
                    Cap::PageTable {
                        paddr,
                        mapping: Some(mapping),
                    },
                );
            }
        }
        Op::UnmapTable { slot, cap } => {
            unmap_table(&cap);
            if let Cap::PageTable { paddr, .. } = cap {
                let _ = mdb::update_cap(
                    &mut KernelSlots,
                    slot,
                    Cap::PageTable {
                        paddr,
                        mapping: None,
                    },
                );
            }
        }
    }
    Outcome::ok()
}

/// Removes a frame's mapping from its address space, if that still maps
/// this very frame there.
fn unmap_frame(cap: &Cap) {
    let Cap::Frame {
        paddr,
        size,
        mapping: Some(Mapping { asid: a, vaddr }),
        ..
    } = *cap
    else {
        return;
    };
    let Some(root) = asid::vspace_of(a) else {
        return;
    };
    let level = match size {
        FrameSize::Small => Level::L3,
        FrameSize::Large => Level::L2,
        FrameSize::Huge => Level::L1,
    };
    let w = walk(root, vaddr, level);
    if w.level != level {
        return;
    }
    let index = w.level.index(vaddr);
    let entry = table(w.table).entries()[index];
    let maps_it = matches!(entry.kind(level), DescriptorKind::Block(pa) | DescriptorKind::Page(pa) if pa.as_u64() == paddr);
    if maps_it {
        table(w.table).entries_mut()[index] = Descriptor::INVALID;
        flush_page(a, vaddr);
    }
}

/// Removes a page table from its parent, if that still holds this table.
fn unmap_table(cap: &Cap) {
    let Cap::PageTable {
        paddr,
        mapping:
            Some(PtMapping {
                asid: a,
                vaddr,
                level,
            }),
    } = *cap
    else {
        return;
    };
    let Some(root) = asid::vspace_of(a) else {
        return;
    };
    let parent_level = match level {
        1 => Level::L0,
        2 => Level::L1,
        _ => Level::L2,
    };
    let w = walk(root, vaddr, parent_level);
    if w.level != parent_level {
        return;
    }
    let index = w.level.index(vaddr);
    if matches!(table(w.table).entries()[index].kind(parent_level), DescriptorKind::Table(t) if t.as_u64() == paddr)
    {
        table(w.table).entries_mut()[index] = Descriptor::INVALID;
        flush_asid(a);
    }
}

/// The last capability to a frame, table or VSpace is gone: take it out of
/// the address space it is in.
pub fn finalise(cap: &Cap) {
    match *cap {
        Cap::Frame { .. } => unmap_frame(cap),
        Cap::PageTable { .. } => unmap_table(cap),
        Cap::VSpace {
            paddr,
            asid: Some(a),
        } => {
            asid::release(a, paddr);
            flush_asid(a);
            // Its tables go back to their Untyped: no core may keep
            // walking them.
            crate::sched::leave_space(paddr);
        }
        _ => {}
    }
}

fn barrier_after_map() {
    // SAFETY: a barrier only: the new entry is visible to table walks before
    // the thread returns to user level (invalid → valid needs no TLBI).
    unsafe { asm!("dsb ishst", "isb", options(nostack, preserves_flags)) };
}

fn flush_page(asid: u16, vaddr: u64) {
    let operand = (u64::from(asid) << 48) | ((vaddr >> 12) & ((1 << 44) - 1));
    // SAFETY: TLB maintenance for one user page of one ASID on every core
    // (with E2H and TGE set, the EL1 TLBI forms act on the EL2&0 regime).
    unsafe {
        asm!("dsb ishst", "tlbi vae1is, {}", "dsb ish", "isb", in(reg) operand, options(nostack, preserves_flags))
    };
}

/// Drops all TLB entries of `asid` on every core.
pub fn flush_asid(asid: u16) {
    let operand = u64::from(asid) << 48;
    // SAFETY: TLB maintenance only, as in flush_page.
    unsafe {
        asm!("dsb ishst", "tlbi aside1is, {}", "dsb ish", "isb", in(reg) operand, options(nostack, preserves_flags))
    };
}
