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
    /// Waiting to receive on an endpoint (`blocked_on`).
    BlockedOnReceive = 2,
    /// Waiting to send on an endpoint (`blocked_on`).
    BlockedOnSend = 3,
    /// Waiting for the reply to a Call or a fault message.
    BlockedOnReply = 4,
    /// Waiting for a signal on a notification (`blocked_on`).
    BlockedOnNotification = 5,
}

/// The capability slots a TCB holds itself.
pub mod slot {
    /// The CSpace root (a CNode cap).
    pub const CSPACE: usize = 0;
    /// The VSpace (a VSpace cap with an ASID).
    pub const VSPACE: usize = 1;
    /// The IPC buffer's frame.
    pub const IPC_BUFFER: usize = 2;
    /// The thread's master reply capability: the root of the reply caps
    /// handed to the threads it calls.
    pub const REPLY: usize = 3;
    /// The one-shot reply capability of the thread that last called it.
    pub const CALLER: usize = 4;
    /// Number of slots.
    pub const COUNT: usize = 5;
}

/// The longest fault message.
pub const FAULT_MRS: usize = 13;

/// A fault the thread is waiting to have answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PendingFault {
    None = 0,
    UnknownSyscall = 1,
    UserException = 2,
    Vm = 3,
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
    /// TTBR0_EL2 for the thread (root | ASID << 48, 0 for none), so a
    /// thread switch compares one word.
    pub ttbr0: u64,
    /// Its IPC buffer's user address and its kernel (linear-map) address;
    /// 0 if none.
    pub ipc_buffer_user: u64,
    pub ipc_buffer_kernel: u64,
    /// The frame `ipc_buffer_kernel` points into (physical address). The
    /// IPC-buffer slot may lose its capability (a Revoke from elsewhere),
    /// after which the frame may be reused: `msg::ipc_buffer` uses the
    /// cached address only while the slot still holds this frame.
    pub ipc_buffer_frame: u64,
    /// A short name for kernel logs.
    pub name: [u8; 16],
    /// Endpoint or notification queue links (TCB addresses, 0 for none).
    pub ep_next: u64,
    pub ep_prev: u64,
    /// The endpoint or notification it is blocked on (0 for none).
    pub blocked_on: u64,
    /// For a blocked sender: the badge and rights of the capability it
    /// sends with, and whether it is a Call.
    pub ipc_badge: u64,
    pub ipc_can_grant: bool,
    pub ipc_can_grant_reply: bool,
    pub ipc_is_call: bool,
    /// The fault waiting for an answer, if the thread is BlockedOnReply
    /// because it faulted.
    pub pending_fault: PendingFault,
    /// The fault message being sent (label and registers), kept here so the
    /// thread's own registers stay as they were for its resumption.
    pub fault_label: u64,
    pub fault_len: u8,
    pub fault_mrs: [u64; FAULT_MRS],
    /// Its fault handler: a capability pointer in its own CSpace.
    pub fault_handler: u64,
    /// The notification bound to it (0 for none).
    pub bound_notification: u64,
    /// Capability slots (see [`slot`]), 64 bytes each.
    pub slots: [[u64; 8]; slot::COUNT],
}

const _: () = assert!(core::mem::size_of::<Tcb>() <= 1 << 11);

/// Whether `thread`'s cached address space (`vspace_root`, `ttbr0`) is
/// still the one in its VSpace slot. The slot can lose its capability (a
/// Revoke from elsewhere) and the VSpace then be destroyed and its memory
/// reused, so the cache is used only while this holds (as seL4 checks the
/// TCB's VSpace capability when it switches to a thread). Comparing the
/// slot's object word is enough: only a VSpace capability is ever put in
/// that slot (TcbConfigure and TcbSetSpace check), and an emptied slot
/// reads 0 there.
#[inline(always)]
pub fn space_is_current(thread: u64) -> bool {
    // SAFETY: `thread` is a live TCB; its own slot, in RAM under the linear
    // map; the kernel lock is held.
    unsafe {
        let t = &*super::object_ptr::<Tcb>(thread);
        let slot = slot_addr(thread, slot::VSPACE);
        let words = &*(crate::arch::aarch64::boot_mmu::phys_to_virt(slot) as *const [u64; 4]);
        t.vspace_root == 0 || words[1] == t.vspace_root
    }
}

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
        self.ttbr0 = 0;
        self.ipc_buffer_user = 0;
        self.ipc_buffer_kernel = 0;
        self.ipc_buffer_frame = 0;
        self.name = [0; 16];
        self.ep_next = 0;
        self.ep_prev = 0;
        self.blocked_on = 0;
        self.ipc_badge = 0;
        self.ipc_can_grant = false;
        self.ipc_can_grant_reply = false;
        self.ipc_is_call = false;
        self.pending_fault = PendingFault::None;
        self.fault_label = 0;
        self.fault_len = 0;
        self.fault_mrs = [0; FAULT_MRS];
        self.fault_handler = 0;
        self.bound_notification = 0;
        self.slots = [[0; 8]; slot::COUNT];
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

/// The address of the TCB's own slot `index` (see [`slot`]).
pub fn slot_addr(tcb: u64, index: usize) -> u64 {
    tcb + core::mem::offset_of!(Tcb, slots) as u64 + (index as u64) * 64
}
