//! TCB invocations.

use tessera_abi::{Error, IPC_BUFFER_ALIGN, Label, UserContext};
use tessera_caps::{Cap, SlotAddr, SlotStore, SyscallError, derive, mdb};

use super::cnode::KernelSlots;
use super::tcb::{self, Tcb, ThreadState};
use super::{delete, notification, object_ptr};
use crate::arch::aarch64::boot_mmu::phys_to_virt;
use crate::arch::aarch64::smp;
use crate::invocation::{Invoker, Outcome};
use crate::{fault, sched};

fn tcb(pa: u64) -> &'static mut Tcb {
    // SAFETY: `pa` comes from a TCB capability or is the invoker; live;
    // under the kernel lock, one reference at a time.
    unsafe { &mut *object_ptr::<Tcb>(pa) }
}

/// New contents for the TCB's own slots: (slot index, source slot, cap).
type SlotUpdate = (usize, SlotAddr, Cap);

/// A checked TCB invocation.
enum Op {
    Space {
        fault_handler: Option<u64>,
        updates: heapless::Vec<SlotUpdate, 3>,
        ipc_buffer: Option<u64>,
    },
    Priority(u8),
    McPriority(u8),
    Suspend,
    Resume,
    Read {
        suspend: bool,
        count: usize,
    },
    Write {
        resume: bool,
        values: heapless::Vec<u64, 35>,
    },
    Copy {
        source: u64,
        suspend: bool,
        resume: bool,
        frame: bool,
        integer: bool,
    },
    Bind(u64),
    Unbind,
    Affinity(u8),
}

pub fn invoke(inv: &Invoker, target: u64) -> Result<Outcome, SyscallError> {
    let op = decode(inv, target)?;
    Ok(perform(inv, target, op))
}

fn decode(inv: &Invoker, target: u64) -> Result<Op, SyscallError> {
    let label = inv.label.ok_or(SyscallError::illegal_operation())?;
    Ok(match label {
        Label::TcbConfigure => {
            let mut updates = heapless::Vec::new();
            let _ = updates.push(cspace_root(inv, 0, inv.mr(1)?)?);
            let _ = updates.push(vspace_root(inv, 1)?);
            let (buffer, frame) = ipc_buffer(inv, inv.mr(2)?, 2)?;
            if let Some(f) = frame {
                let _ = updates.push(f);
            }
            Op::Space {
                fault_handler: Some(inv.mr(0)?),
                updates,
                ipc_buffer: Some(buffer),
            }
        }
        Label::TcbSetSpace => {
            let mut updates = heapless::Vec::new();
            let _ = updates.push(cspace_root(inv, 0, inv.mr(1)?)?);
            let _ = updates.push(vspace_root(inv, 1)?);
            Op::Space {
                fault_handler: Some(inv.mr(0)?),
                updates,
                ipc_buffer: None,
            }
        }
        Label::TcbSetIpcBuffer => {
            let (buffer, frame) = ipc_buffer(inv, inv.mr(0)?, 0)?;
            let updates = frame.into_iter().collect();
            Op::Space {
                fault_handler: None,
                updates,
                ipc_buffer: Some(buffer),
            }
        }
        Label::TcbSetPriority | Label::TcbSetMcPriority => {
            let prio = priority(inv)?;
            if label == Label::TcbSetPriority {
                Op::Priority(prio)
            } else {
                Op::McPriority(prio)
            }
        }
        Label::TcbSuspend => Op::Suspend,
        Label::TcbResume => Op::Resume,
        Label::TcbReadRegisters => Op::Read {
            suspend: inv.mr(0)? != 0,
            count: register_count(inv.mr(1)?)?,
        },
        Label::TcbWriteRegisters => {
            let count = register_count(inv.mr(1)?)?;
            let mut values = heapless::Vec::new();
            for i in 0..count {
                let _ = values.push(inv.mr(2 + i)?);
            }
            Op::Write {
                resume: inv.mr(0)? != 0,
                values,
            }
        }
        Label::TcbCopyRegisters => {
            let (_, cap) = inv.cap(0)?;
            let Cap::Tcb { paddr: source } = cap else {
                return Err(crate::cspace::wrong_extra_cap(0));
            };
            Op::Copy {
                source,
                suspend: inv.mr(0)? != 0,
                resume: inv.mr(1)? != 0,
                frame: inv.mr(2)? != 0,
                integer: inv.mr(3)? != 0,
            }
        }
        Label::TcbBindNotification => {
            let (_, cap) = inv.cap(0)?;
            let Cap::Notification { paddr, .. } = cap else {
                return Err(crate::cspace::wrong_extra_cap(0));
            };
            if tcb(target).bound_notification != 0 || notification::get(paddr).bound != 0 {
                return Err(SyscallError::illegal_operation());
            }
            Op::Bind(paddr)
        }
        Label::TcbUnbindNotification => {
            if tcb(target).bound_notification == 0 {
                return Err(SyscallError::illegal_operation());
            }
            Op::Unbind
        }
        Label::TcbSetAffinity => {
            let core = inv.mr(0)?;
            let cores = smp::core_count() as u64;
            if core >= cores {
                return Err(SyscallError::range(0, cores - 1));
            }
            Op::Affinity(core as u8)
        }
        _ => return Err(SyscallError::illegal_operation()),
    })
}

/// MR0 as a priority, bounded by the MCP of the authority TCB (cap 0).
fn priority(inv: &Invoker) -> Result<u8, SyscallError> {
    let value = inv.mr(0)?;
    let (_, cap) = inv.cap(0)?;
    let Cap::Tcb { paddr: authority } = cap else {
        return Err(crate::cspace::wrong_extra_cap(0));
    };
    let mcp = u64::from(tcb(authority).mcp);
    if value > mcp {
        return Err(SyscallError::range(0, mcp));
    }
    Ok(value as u8)
}

fn register_count(count: u64) -> Result<usize, SyscallError> {
    if count > UserContext::COUNT as u64 {
        return Err(SyscallError::range(0, UserContext::COUNT as u64));
    }
    Ok(count as usize)
}

/// The CSpace root (extra cap `i`, a CNode), with guard data applied.
fn cspace_root(inv: &Invoker, i: usize, guard_data: u64) -> Result<SlotUpdate, SyscallError> {
    let (slot, cap) = inv.cap(i)?;
    if !matches!(cap, Cap::CNode { .. }) {
        return Err(crate::cspace::wrong_extra_cap(i));
    }
    let cap = if guard_data == 0 {
        derive::derive(&cap)?
    } else {
        derive::mint(&cap, tessera_abi::Rights::ALL, guard_data)?
    };
    Ok((tcb::slot::CSPACE, slot, cap))
}

/// The VSpace (extra cap `i`), which must have an ASID.
fn vspace_root(inv: &Invoker, i: usize) -> Result<SlotUpdate, SyscallError> {
    let (slot, cap) = inv.cap(i)?;
    match cap {
        Cap::VSpace { asid: Some(_), .. } => Ok((tcb::slot::VSPACE, slot, derive::derive(&cap)?)),
        _ => Err(crate::cspace::wrong_extra_cap(i)),
    }
}

/// The IPC buffer address and, unless it is 0, its frame (extra cap `i`).
fn ipc_buffer(
    inv: &Invoker,
    address: u64,
    i: usize,
) -> Result<(u64, Option<SlotUpdate>), SyscallError> {
    if address == 0 {
        return Ok((0, None));
    }
    if !address.is_multiple_of(IPC_BUFFER_ALIGN) {
        return Err(SyscallError::plain(Error::AlignmentError));
    }
    let (slot, cap) = inv.cap(i)?;
    let Cap::Frame {
        is_device: false, ..
    } = cap
    else {
        return Err(crate::cspace::wrong_extra_cap(i));
    };
    Ok((
        address,
        Some((tcb::slot::IPC_BUFFER, slot, derive::derive(&cap)?)),
    ))
}

fn perform(inv: &Invoker, target: u64, op: Op) -> Outcome {
    match op {
        Op::Space {
            fault_handler,
            updates,
            ipc_buffer,
        } => {
            // Empty the slots first, restarting the call if that takes
            // more than one entry (an old CSpace root may be the last cap
            // to a large CNode); nothing else has changed by then.
            let mut budget = delete::DELETE_BUDGET;
            for (index, _, _) in &updates {
                if delete::delete(tcb::slot_addr(target, *index), &mut budget).is_err() {
                    return inv.restart();
                }
            }
            for (index, src, cap) in updates {
                let _ = mdb::insert(&mut KernelSlots, src, tcb::slot_addr(target, index), cap);
            }
            if let Some(f) = fault_handler {
                tcb(target).fault_handler = f;
            }
            if let Some(address) = ipc_buffer {
                set_ipc_buffer(target, address);
            }
            refresh_vspace(target);
        }
        Op::Priority(p) => set_priority(target, p),
        Op::McPriority(p) => tcb(target).mcp = p,
        Op::Suspend => delete::stop(target),
        Op::Resume => resume(target),
        Op::Read { suspend, count } => {
            if suspend && target != inv.thread {
                delete::stop(target);
            } else {
                sched::stall(target);
            }
            let ctx = context_of(tcb(target));
            let values: heapless::Vec<u64, 40> = (0..count).filter_map(|i| ctx.get(i)).collect();
            return Outcome::Reply(values);
        }
        Op::Write { resume: r, values } => {
            sched::stall(target);
            let mut ctx = context_of(tcb(target));
            for (i, v) in values.iter().enumerate() {
                ctx.set(i, *v);
            }
            set_context(tcb(target), &ctx);
            if r {
                resume(target);
            }
        }
        Op::Copy {
            source,
            suspend,
            resume: r,
            frame,
            integer,
        } => {
            if suspend && source != inv.thread {
                delete::stop(source);
            } else {
                sched::stall(source);
            }
            sched::stall(target);
            let from = context_of(tcb(source));
            let mut to = context_of(tcb(target));
            if frame {
                (to.pc, to.sp, to.spsr) = (from.pc, from.sp, from.spsr);
            }
            if integer {
                to.x = from.x;
                to.tpidr_el0 = from.tpidr_el0;
            }
            set_context(tcb(target), &to);
            if r {
                resume(target);
            }
        }
        Op::Bind(n) => {
            tcb(target).bound_notification = n;
            notification::get(n).bound = target;
        }
        Op::Unbind => {
            let n = tcb(target).bound_notification;
            notification::get(n).bound = 0;
            tcb(target).bound_notification = 0;
        }
        Op::Affinity(core) => {
            // Off every queue and every core first: a thread running on a
            // third core must have left it before another core may pick it.
            sched::remove(target);
            tcb(target).core = core;
            if tcb(target).is_runnable() {
                sched::make_ready(target);
            }
        }
    }
    Outcome::ok()
}

fn context_of(t: &Tcb) -> UserContext {
    UserContext {
        pc: t.regs.elr,
        sp: t.regs.sp_el0,
        spsr: t.regs.spsr,
        x: t.regs.x,
        tpidr_el0: t.regs.tpidr_el0,
    }
}

fn set_context(t: &mut Tcb, c: &UserContext) {
    t.regs.elr = c.pc;
    t.regs.sp_el0 = c.sp;
    t.regs.spsr = fault::sanitise_spsr(c.spsr);
    t.regs.x = c.x;
    t.regs.tpidr_el0 = c.tpidr_el0;
}

/// Makes an inactive thread runnable (a blocked or running one is left as
/// it is).
fn resume(target: u64) {
    let t = tcb(target);
    if t.state == ThreadState::Inactive {
        t.state = ThreadState::Running;
        sched::make_ready(target);
    }
}

fn set_priority(target: u64, prio: u8) {
    let queued = tcb(target).queued;
    sched::dequeue(target);
    tcb(target).priority = prio;
    if queued {
        sched::enqueue(target);
    }
}

/// Caches the IPC buffer's kernel address from the frame cap in the TCB.
fn set_ipc_buffer(target: u64, address: u64) {
    let t = tcb(target);
    t.ipc_buffer_user = address;
    t.ipc_buffer_kernel = 0;
    t.ipc_buffer_frame = 0;
    if address == 0 {
        return;
    }
    if let Cap::Frame { paddr, size, .. } = KernelSlots
        .read(tcb::slot_addr(target, tcb::slot::IPC_BUFFER))
        .cap
    {
        let offset = address & ((1u64 << size.bits()) - 1);
        t.ipc_buffer_kernel = phys_to_virt(paddr + offset);
        t.ipc_buffer_frame = paddr;
    }
}

/// Caches the VSpace root and ASID from the VSpace cap in the TCB.
pub fn refresh_vspace(target: u64) {
    let t = tcb(target);
    match KernelSlots
        .read(tcb::slot_addr(target, tcb::slot::VSPACE))
        .cap
    {
        Cap::VSpace {
            paddr,
            asid: Some(asid),
        } => {
            t.vspace_root = paddr;
            t.asid = asid;
        }
        _ => {
            t.vspace_root = 0;
            t.asid = 0;
        }
    }
    t.ttbr0 = crate::arch::aarch64::vspace::ttbr0(t.vspace_root, t.asid);
}
