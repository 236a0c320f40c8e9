//! Thread control blocks.

use crate::arch::aarch64::context::{SPSR_EL0T, UserRegs};
use crate::arch::aarch64::fpu::FpuState;

/// What a thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ThreadState {
    /// Not runnable: new, suspended, or stopped after an unhandled fault.
    Inactive = 0,
    /// Runnable (running or in a ready queue).
    Running = 1,
}

/// Timer ticks a thread runs before others of its priority get the core.
pub const TIME_SLICE_TICKS: u32 = 1;

/// A thread. Lives in a 2 KiB object (ObjectType::Tcb).
#[repr(C)]
pub struct Tcb {
    /// Saved registers; the vectors write here while the thread runs.
    pub regs: UserRegs,
    /// FP/SIMD registers, switched lazily.
    pub fpu: FpuState,
    pub state: ThreadState,
    pub priority: u8,
    /// Maximum controlled priority: the highest priority this thread may
    /// give itself or another thread.
    pub mcp: u8,
    /// The core the thread runs on.
    pub core: u8,
    /// Ticks left in its time slice.
    pub time_slice: u32,
    /// Ready-queue links (physical addresses of TCBs, 0 for none).
    pub sched_next: u64,
    pub sched_prev: u64,
    /// Whether it is in a ready queue.
    pub queued: bool,
    /// Set by Yield and by the end of a time slice: the thread goes behind
    /// its equals at the next scheduling decision.
    pub requeue: bool,
    /// The root of its address space (VSpace table) and its ASID; 0 if none.
    pub vspace_root: u64,
    pub asid: u16,
    /// Its IPC buffer's user address and its kernel (linear-map) address;
    /// 0 if none.
    pub ipc_buffer_user: u64,
    pub ipc_buffer_kernel: u64,
    /// A short name for kernel logs.
    pub name: [u8; 16],
}

const _: () = assert!(core::mem::size_of::<Tcb>() <= 1 << 11);

impl Tcb {
    /// A new, inactive thread at priority 0 on core 0.
    pub fn init(&mut self) {
        self.regs = UserRegs::default();
        self.regs.spsr = SPSR_EL0T;
        self.fpu = FpuState::default();
        self.state = ThreadState::Inactive;
        self.priority = 0;
        self.mcp = 0;
        self.core = 0;
        self.time_slice = TIME_SLICE_TICKS;
        self.sched_next = 0;
        self.sched_prev = 0;
        self.queued = false;
        self.requeue = false;
        self.vspace_root = 0;
        self.asid = 0;
        self.ipc_buffer_user = 0;
        self.ipc_buffer_kernel = 0;
        self.name = [0; 16];
    }

    /// Sets the log name (truncated to 16 bytes).
    pub fn set_name(&mut self, name: &str) {
        let n = name.len().min(self.name.len());
        self.name = [0; 16];
        self.name[..n].copy_from_slice(&name.as_bytes()[..n]);
    }

    /// The log name.
    pub fn name(&self) -> &str {
        let len = self
            .name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(self.name.len());
        core::str::from_utf8(&self.name[..len]).unwrap_or("?")
    }

    /// Whether the scheduler may run it.
    pub fn is_runnable(&self) -> bool {
        self.state == ThreadState::Running
    }
}
