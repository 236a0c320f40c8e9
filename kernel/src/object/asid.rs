//! ASIDs: the kernel's table of ASID pools. An ASID's high bits pick a pool
//! (made by ASIDControl), its low 9 bits an entry of the pool, which holds
//! the VSpace root it belongs to.

use tessera_caps::cap::ASID_POOL_BITS;

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
    let index = usize::from(asid) >> ASID_POOL_BITS;
    // SAFETY: under the kernel lock (or single-threaded boot); index < POOLS.
    let pool = unsafe { core::ptr::addr_of!(POOL_TABLE[index]).read() };
    if pool == 0 {
        return false;
    }
    let entry = pool + 8 * (u64::from(asid) & ((1 << ASID_POOL_BITS) - 1));
    // SAFETY: the pool is a live 4 KiB object of 512 entries in RAM.
    unsafe { (crate::arch::aarch64::boot_mmu::phys_to_virt(entry) as *mut u64).write(vspace) };
    true
}
