//! Kernel objects. Each lives in memory retyped from Untyped and is named by
//! its physical address; the kernel reaches it through the linear map.
//!
//! All object state is changed only under the kernel lock, and references
//! made from an address are kept short: no two live `&mut` to one object.

pub mod asid;
pub mod cnode;
pub mod cnode_ops;
pub mod delete;
pub mod endpoint;
pub mod irq;
pub mod notification;
pub mod tcb;
pub mod tcb_ops;
pub mod untyped;
pub mod vspace;

use crate::arch::aarch64::boot_mmu::phys_to_virt;

/// The kernel's pointer to the object of type `T` at physical address `pa`.
///
/// # Safety
/// An object of type `T` lives at `pa` (a capability to it exists or the
/// kernel made it), and the kernel lock is held while the pointer is used.
pub unsafe fn object_ptr<T>(pa: u64) -> *mut T {
    phys_to_virt(pa) as *mut T
}
