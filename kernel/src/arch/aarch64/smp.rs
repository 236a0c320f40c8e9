//! Secondary cores: stacks, start-up through PSCI CPU_ON, and the record of
//! which cores are online.

use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::{boot_mmu, psci, timer};

/// The most cores the kernel runs on.
pub const MAX_CPUS: usize = 8;
/// Size of each core's kernel stack.
pub const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(4096))]
pub struct Stacks(pub [[u8; STACK_SIZE]; MAX_CPUS]);

/// Kernel stacks, one per core (head.rs picks the core's own).
pub static mut STACKS: Stacks = Stacks([[0; STACK_SIZE]; MAX_CPUS]);

static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
static MPIDRS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static CORE_COUNT: AtomicUsize = AtomicUsize::new(1);

unsafe extern "C" {
    fn secondary_entry();
}

/// Marks the calling core online.
pub fn mark_online(core: usize) {
    if let Some(flag) = ONLINE.get(core) {
        flag.store(true, Ordering::Release);
    }
}

/// Whether `core` has come up.
pub fn is_online(core: usize) -> bool {
    ONLINE.get(core).is_some_and(|f| f.load(Ordering::Acquire))
}

/// Number of cores online.
pub fn online_count() -> usize {
    ONLINE.iter().filter(|f| f.load(Ordering::Acquire)).count()
}

/// Number of cores the kernel knows (from the device tree, at most MAX_CPUS).
pub fn core_count() -> usize {
    CORE_COUNT.load(Ordering::Relaxed)
}

/// The affinity of `core`.
pub fn mpidr_of(core: usize) -> u64 {
    MPIDRS.get(core).map_or(0, |m| m.load(Ordering::Relaxed))
}

/// Numbers the cores: the boot core is 0, the others follow in device-tree
/// order. Returns how many the tree lists (possibly more than MAX_CPUS).
pub fn assign_indices(boot_mpidr: u64, tree_cpus: &[u64]) -> usize {
    MPIDRS[0].store(boot_mpidr, Ordering::Relaxed);
    let mut next = 1;
    for &mpidr in tree_cpus.iter().filter(|&&m| m != boot_mpidr) {
        if next >= MAX_CPUS {
            break;
        }
        MPIDRS[next].store(mpidr, Ordering::Relaxed);
        next += 1;
    }
    CORE_COUNT.store(next, Ordering::Relaxed);
    tree_cpus.len().max(1)
}

/// Starts every secondary core and waits (bounded) for each to come online.
/// Returns the number of cores online, boot core included.
pub fn start_secondaries(timeout_ns: u64) -> usize {
    let entry = boot_mmu::kimage_pa(secondary_entry as *const () as u64);
    for core in 1..core_count() {
        if let Err(e) = psci::cpu_on(mpidr_of(core), entry, core as u64) {
            crate::println!(
                "smp: core {core} (mpidr {:#x}) did not start: {e:?}",
                mpidr_of(core)
            );
        }
    }
    let deadline = timer::now().saturating_add(timer::ns_to_ticks(timeout_ns));
    while online_count() < core_count() && timer::now() < deadline {
        core::hint::spin_loop();
    }
    online_count()
}
