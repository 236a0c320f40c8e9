//! Threads in the caller's CSpace and VSpace, each with its own stack and
//! IPC buffer, running a Rust `fn(u64) -> !`.

use tessera_abi::{CPtr, ObjectType, PAGE_BITS, UserContext};

use crate::alloc::{AllocError, Resources};
use crate::invoke::tcb;

/// Stack size of a new thread, in pages.
pub const STACK_PAGES: u64 = 8;

/// A started thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thread {
    /// Its TCB.
    pub tcb: CPtr,
    /// Its IPC buffer's address.
    pub ipc_buffer: u64,
    /// The top of its stack.
    pub stack_top: u64,
    /// The IPC buffer's frame.
    pub ipc_frame: CPtr,
}

/// How to start a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Its priority (bounded by the authority's MCP).
    pub priority: u64,
    /// Its fault endpoint, a CPtr in the shared CSpace (0: none).
    pub fault_ep: CPtr,
    /// Whether to resume it.
    pub start: bool,
    /// Its VSpace (0: the caller's, `Resources::vspace`). Its stack and IPC
    /// buffer are mapped there, at addresses reserved in `Resources`.
    pub vspace: CPtr,
    /// Its CSpace root (0: the caller's, `Resources::cnode`).
    pub cspace: CPtr,
    /// Guard data for its CSpace root (0: none).
    pub cspace_data: u64,
}

impl Options {
    /// Runnable at `priority` in the caller's CSpace and VSpace, no fault
    /// endpoint.
    pub const fn new(priority: u64) -> Self {
        Self {
            priority,
            fault_ep: 0,
            start: true,
            vspace: 0,
            cspace: 0,
            cspace_data: 0,
        }
    }
}

/// The first instructions of a new thread: x0 its argument, x1 the
/// function (as set by [`spawn`]).
extern "C" fn thread_start(arg: u64, entry: u64) -> ! {
    let entry = entry_fn(entry);
    entry(arg)
}

fn entry_fn(address: u64) -> fn(u64) -> ! {
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: `spawn` puts the address of a `fn(u64) -> !` in x1 and
        // nothing else calls `thread_start`; function pointers and u64
        // have the same size on AArch64.
        unsafe { core::mem::transmute::<u64, fn(u64) -> !>(address) }
    }
    #[cfg(not(target_arch = "aarch64"))]
    {
        panic!("no threads on the host ({address:#x})")
    }
}

/// The registers a new thread starts with.
pub fn initial_context(
    entry: fn(u64) -> !,
    arg: u64,
    stack_top: u64,
    ipc_buffer: u64,
) -> UserContext {
    let mut ctx = UserContext {
        pc: thread_start as *const () as u64,
        sp: stack_top & !0xf,
        tpidr_el0: ipc_buffer,
        ..UserContext::default()
    };
    ctx.x[0] = arg;
    ctx.x[1] = entry as *const () as u64;
    ctx
}

/// Makes a TCB sharing `res`'s CSpace and VSpace, with a fresh stack and
/// IPC buffer, set to run `entry(arg)`.
pub fn spawn(
    res: &mut Resources,
    entry: fn(u64) -> !,
    arg: u64,
    opts: Options,
) -> Result<Thread, AllocError> {
    let tcb_cap = res.alloc(ObjectType::Tcb, 0)?;
    let vspace = if opts.vspace == 0 {
        res.vspace
    } else {
        opts.vspace
    };
    let cspace = if opts.cspace == 0 {
        res.cnode
    } else {
        opts.cspace
    };
    // Guard page, stack, guard page, IPC buffer.
    let base = res.reserve_va(STACK_PAGES + 3, PAGE_BITS)?;
    let stack = base + (1 << PAGE_BITS);
    for i in 0..STACK_PAGES {
        res.map_new_page(
            vspace,
            stack + (i << PAGE_BITS),
            tessera_abi::Rights::READ_WRITE,
        )?;
    }
    let stack_top = stack + (STACK_PAGES << PAGE_BITS);
    let ipc_buffer = stack_top + (1 << PAGE_BITS);
    let ipc_frame = res.map_new_page(vspace, ipc_buffer, tessera_abi::Rights::READ_WRITE)?;
    tcb::configure(
        tcb_cap,
        tcb::Config {
            fault_ep: opts.fault_ep,
            cspace,
            cspace_data: opts.cspace_data,
            vspace,
            ipc_buffer,
            ipc_buffer_frame: ipc_frame,
        },
    )?;
    tcb::set_priority(tcb_cap, res.authority, opts.priority)?;
    let ctx = initial_context(entry, arg, stack_top, ipc_buffer);
    tcb::write_registers(tcb_cap, false, UserContext::COUNT, &ctx)?;
    if opts.start {
        tcb::resume(tcb_cap)?;
    }
    Ok(Thread {
        tcb: tcb_cap,
        ipc_buffer,
        stack_top,
        ipc_frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(_: u64) -> ! {
        panic!()
    }

    #[test]
    fn new_threads_get_argument_function_stack_and_buffer() {
        let ctx = initial_context(never, 42, 0x1_0008, 0x2_0000);
        assert_eq!(ctx.x[0], 42);
        assert_eq!(ctx.x[1], never as *const () as u64);
        assert_eq!(ctx.sp, 0x1_0000);
        assert_eq!(ctx.tpidr_el0, 0x2_0000);
        assert_eq!(ctx.pc, thread_start as *const () as u64);
    }
}
