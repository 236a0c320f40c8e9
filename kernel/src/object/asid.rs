//! ASIDs: the kernel's table of ASID pools. An ASID's high bits pick a pool
//! (made by ASIDControl), its low 9 bits an entry of the pool, which holds
//! the VSpace root it belongs to.

use tessera_abi::{Error, Label};
use tessera_caps::cap::ASID_POOL_BITS;
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, mdb};

use super::cnode::KernelSlots;
use crate::cspace;
use crate::invocation::{Invoker, Outcome};

/// 16-bit ASIDs in pools of 512.
pub const POOLS: usize = 1 << (16 - ASID_POOL_BITS);

/// Physical addresses of the pools (0 where none is made yet).
static mut POOL_TABLE: [u64; POOLS] = [0; POOLS];

/// Records the pool at `pool` as pool number `index`.
pub fn set_pool(index: usize, pool: u64) {
    if index < POOLS {
        // SAFETY: under the kernel lock (or single-threaded boot).
        unsafe { core::ptr::addr_of_mut!(POOL_TABLE[index]).write(pool) };
    }
}

/// Records `vspace` as the owner of `asid` in its pool.
pub fn assign(asid: u16, vspace: u64) -> bool {
    let pool = pool_of(asid);
    if pool == 0 {
        return false;
    }
    // SAFETY: the pool is a live 4 KiB object of 512 entries in RAM.
    unsafe { entry(pool, asid).write(vspace) };
    // Entries a core may have cached for this ASID since its last VSpace
    // was destroyed (speculative walks of a root still in some core's
    // TTBR0) must not survive into the new one.
    crate::object::vspace::flush_asid(asid);
    true
}

fn pool_of(asid: u16) -> u64 {
    let index = usize::from(asid) >> ASID_POOL_BITS;
    // SAFETY: under the kernel lock; index < POOLS for a 16-bit ASID.
    unsafe { core::ptr::addr_of!(POOL_TABLE[index]).read() }
}

fn entry(pool: u64, asid: u16) -> *mut u64 {
    let offset = 8 * (u64::from(asid) & ((1 << ASID_POOL_BITS) - 1));
    crate::arch::aarch64::boot_mmu::phys_to_virt(pool + offset) as *mut u64
}

/// The VSpace root `asid` belongs to, if any.
pub fn vspace_of(asid: u16) -> Option<u64> {
    let pool = pool_of(asid);
    if pool == 0 {
        return None;
    }
    // SAFETY: the pool is a live 4 KiB object of 512 entries in RAM.
    let root = unsafe { entry(pool, asid).read() };
    (root != 0).then_some(root)
}

/// Frees `asid` if it still belongs to `vspace`.
pub fn release(asid: u16, vspace: u64) {
    let pool = pool_of(asid);
    if pool != 0 {
        // SAFETY: as in vspace_of.
        unsafe {
            let e = entry(pool, asid);
            if e.read() == vspace {
                e.write(0);
            }
        }
    }
}

/// A destroyed pool: its ASIDs stop resolving (their VSpaces can no longer
/// be activated or mapped into).
pub fn destroy_pool(pool: u64, base: u16) {
    let index = usize::from(base) >> ASID_POOL_BITS;
    if index < POOLS {
        // SAFETY: under the kernel lock.
        unsafe {
            let p = core::ptr::addr_of_mut!(POOL_TABLE[index]);
            if p.read() == pool {
                p.write(0);
            }
        }
    }
    for i in 0..(1u16 << ASID_POOL_BITS) {
        crate::object::vspace::flush_asid(base | i);
    }
}

/// ASID control and ASID pool invocations.
pub fn invoke(inv: &Invoker, slot: SlotAddr, cap: &Cap) -> Result<Outcome, SyscallError> {
    match (*cap, inv.label) {
        (Cap::AsidControl, Some(Label::AsidControlMakePool)) => make_pool(inv),
        (Cap::AsidPool { paddr, base }, Some(Label::AsidPoolAssign)) => {
            assign_from(inv, slot, paddr, base)
        }
        _ => Err(SyscallError::illegal_operation()),
    }
}

fn make_pool(inv: &Invoker) -> Result<Outcome, SyscallError> {
    let (ut_slot, ut) = inv.cap(0)?;
    let Cap::Untyped {
        paddr,
        size_bits: 12,
        is_device: false,
        ..
    } = ut
    else {
        return Err(cspace::wrong_extra_cap(0));
    };
    if mdb::has_children(&KernelSlots, ut_slot) {
        return Err(SyscallError::plain(Error::RevokeFirst));
    }
    let (_, root) = inv.cap(1)?;
    if !matches!(root, Cap::CNode { .. }) {
        return Err(cspace::wrong_extra_cap(1));
    }
    let dest = cspace::resolve_slot(&root, inv.mr(0)?, inv.mr(1)?)?;
    if !KernelSlots.read(dest).is_empty() {
        return Err(SyscallError::plain(Error::DeleteFirst));
    }
    // SAFETY: under the kernel lock.
    let free = (0..POOLS).find(|&i| unsafe { core::ptr::addr_of!(POOL_TABLE[i]).read() } == 0);
    let Some(index) = free else {
        return Err(SyscallError::plain(Error::DeleteFirst));
    };
    // Perform: nothing below can fail.
    // SAFETY: the Untyped has no children, so its 4 KiB are unused RAM.
    unsafe {
        core::ptr::write_bytes(
            crate::arch::aarch64::boot_mmu::phys_to_virt(paddr) as *mut u8,
            0,
            4096,
        )
    };
    let base = (index << ASID_POOL_BITS) as u16;
    let pool = Cap::AsidPool { paddr, base };
    let _ = mdb::insert_new_object(&mut KernelSlots, ut_slot, dest, pool);
    let full = Cap::Untyped {
        paddr,
        size_bits: 12,
        free_index: 4096,
        is_device: false,
        zeroed_to: 4096,
    };
    let _ = mdb::update_cap(&mut KernelSlots, ut_slot, full);
    set_pool(index, paddr);
    Ok(Outcome::ok())
}

fn assign_from(
    inv: &Invoker,
    _slot: SlotAddr,
    pool: u64,
    base: u16,
) -> Result<Outcome, SyscallError> {
    let (vs_slot, vs) = inv.cap(0)?;
    let Cap::VSpace {
        paddr: root,
        asid: None,
    } = vs
    else {
        return Err(cspace::wrong_extra_cap(0));
    };
    // ASID 0 means "none": pool 0 starts at 1.
    let first = if base == 0 { 1 } else { 0 };
    // SAFETY: the pool object is live (its capability was just looked up).
    let free =
        (first..(1u16 << ASID_POOL_BITS)).find(|&i| unsafe { entry(pool, base | i).read() } == 0);
    let Some(i) = free else {
        return Err(SyscallError::plain(Error::DeleteFirst));
    };
    let asid = base | i;
    // SAFETY: as above.
    unsafe { entry(pool, asid).write(root) };
    let _ = mdb::update_cap(
        &mut KernelSlots,
        vs_slot,
        Cap::VSpace {
            paddr: root,
            asid: Some(asid),
        },
    );
    Ok(Outcome::ok())
}
