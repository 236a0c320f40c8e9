//! Fault delivery: VM faults, undefined instructions and unknown system
//! calls reach the thread's fault endpoint with its badge; replies resume
//! the thread, with register changes; without a valid handler the thread
//! stops.

use tessera_rt::abi::{FaultLabel, ObjectType, Rights, UserExceptionMr, VmFaultMr};
use tessera_rt::ipc::{self, Outgoing, Received};
use tessera_rt::syscall::{self, Args};
use tessera_rt::thread::{Options, Thread};

use crate::harness::{
    Case, Context, Env, Outcome, Reason, get, park, peek, poke, poll_for, put, settle, wait_board,
};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(fault_vm_read_of_unmapped_page),
    case!(fault_vm_write_to_read_only_page),
    case!(fault_undefined_instruction_resumed_past),
    case!(fault_unknown_syscall_with_register_changes),
    case!(fault_without_handler_stops_thread),
    case!(fault_handler_cap_without_grant_stops_thread),
];

const DONE: usize = 1;
const VALUE: usize = 2;
const ADDR: usize = 3;
const X0: usize = 4;
const BADGE: u64 = 0xfa;

/// A thread with a fault endpoint (badged `BADGE`) whose faults the case
/// receives on `ep`.
fn faulting_thread(
    env: &mut Env,
    entry: fn(u64) -> !,
    arg: u64,
    rights: Rights,
) -> Result<(u64, Thread), Reason> {
    let ep = env.alloc(ObjectType::Endpoint)?;
    let fault_cap = env.mint(ep, rights, BADGE)?;
    let t = env.spawn_with(
        entry,
        arg,
        Options {
            fault_ep: fault_cap,
            ..Options::new(env.prio)
        },
    )?;
    Ok((ep, t))
}

fn reader(_: u64) -> ! {
    let v = peek(get(ADDR));
    put(VALUE, v);
    put(DONE, 1);
    park()
}

fn expect_fault(r: &Received, label: FaultLabel) -> Outcome {
    ensure!(
        r.badge == BADGE,
        "fault message badge {:#x}, expected {BADGE:#x}",
        r.badge
    );
    ensure!(
        r.info.label == label as u64,
        "fault label {}, expected {label:?} ({})",
        r.info.label,
        label as u64
    );
    Ok(())
}

fn fault_vm_read_of_unmapped_page(env: &mut Env) -> Outcome {
    let va = env.va(1)?;
    put(ADDR, va + 0x18);
    let (ep, _) = faulting_thread(env, reader, 0, Rights::ALL)?;
    let r = poll_for("the VM fault message", || ipc::nb_recv(ep))?;
    expect_fault(&r, FaultLabel::VmFault)?;
    ensure!(
        r.info.length as usize >= VmFaultMr::LENGTH,
        "fault message length {}",
        r.info.length
    );
    let addr = r.mr(VmFaultMr::ADDRESS);
    ensure!(
        addr == va + 0x18,
        "fault address {addr:#x}, expected {:#x}",
        va + 0x18
    );
    ensure!(
        r.mr(VmFaultMr::PREFETCH) == 0,
        "a data read reported as an instruction fetch"
    );
    let pc = r.mr(VmFaultMr::PC);
    ensure!(
        (0x40_0000..0x100_0000).contains(&pc),
        "fault PC {pc:#x} is not in the program"
    );
    let vs = env.res.vspace;
    env.res
        .map_new_page(vs, va, Rights::READ_WRITE)
        .ctx("mapping the missing page")?;
    poke(va + 0x18, 0x5a5a);
    ipc::reply(Outgoing::new(0, &[]));
    wait_board(DONE, 1, "the thread did not resume after the reply")?;
    ensure!(
        get(VALUE) == 0x5a5a,
        "the resumed read gave {:#x}, expected 0x5a5a",
        get(VALUE)
    );
    Ok(())
}

fn writer(_: u64) -> ! {
    poke(get(ADDR), 0x77);
    put(DONE, 1);
    park()
}

fn fault_vm_write_to_read_only_page(env: &mut Env) -> Outcome {
    let va = env.va(1)?;
    let f = env.alloc(ObjectType::Frame4K)?;
    env.res
        .map_frame(f, env.res.vspace, va, Rights::READ)
        .ctx("map read-only")?;
    put(ADDR, va);
    let (ep, _) = faulting_thread(env, writer, 0, Rights::ALL)?;
    let r = poll_for("the VM fault message", || ipc::nb_recv(ep))?;
    expect_fault(&r, FaultLabel::VmFault)?;
    ensure!(
        r.mr(VmFaultMr::ADDRESS) == va,
        "fault address {:#x}, expected {va:#x}",
        r.mr(VmFaultMr::ADDRESS)
    );
    tessera_rt::invoke::vspace::unmap_frame(f).ctx("unmap")?;
    tessera_rt::invoke::vspace::map_frame(
        f,
        env.res.vspace,
        va,
        Rights::READ_WRITE,
        tessera_rt::abi::VmAttributes::DEFAULT,
    )
    .ctx("map read-write")?;
    ipc::reply(Outgoing::new(0, &[]));
    wait_board(DONE, 1, "the writer did not resume")?;
    ensure!(peek(va) == 0x77, "the resumed write left {:#x}", peek(va));
    Ok(())
}

/// Executes one undefined instruction.
fn undefined_instruction() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: UDF only raises an exception, which the kernel turns into a
    // fault message; the handler resumes the thread after it.
    unsafe {
        core::arch::asm!("udf #7", options(nomem, nostack))
    };
}

fn udf_then_done(_: u64) -> ! {
    undefined_instruction();
    put(DONE, 1);
    park()
}

fn fault_undefined_instruction_resumed_past(env: &mut Env) -> Outcome {
    let (ep, _) = faulting_thread(env, udf_then_done, 0, Rights::ALL)?;
    let r = poll_for("the user-exception message", || ipc::nb_recv(ep))?;
    expect_fault(&r, FaultLabel::UserException)?;
    let pc = r.mr(UserExceptionMr::PC);
    let ec = r.mr(UserExceptionMr::EXCEPTION_CLASS);
    ensure!(ec == 0, "exception class {ec:#x}, expected 0 (unknown/UDF)");
    // UDF is permanently undefined: Arm reports it with EC 0 and no
    // syndrome (ISS is RES0), so its immediate is not in the ESR.
    ensure!(
        r.mr(UserExceptionMr::ESR) >> 26 == 0,
        "ESR {:#x} is not an unknown-reason exception",
        r.mr(UserExceptionMr::ESR)
    );
    let sp = r.mr(UserExceptionMr::SP);
    let spsr = r.mr(UserExceptionMr::SPSR);
    ipc::reply(Outgoing::new(0, &[pc + 4, sp, spsr]));
    wait_board(DONE, 1, "the thread did not resume after the UDF")?;
    Ok(())
}

fn bad_syscall(_: u64) -> ! {
    let r = syscall::raw_number(
        200,
        Args {
            x0: 0x1234,
            x1: 0,
            mr: [0x10, 0x11, 0x12, 0x13],
            x6: 0,
        },
    );
    put(X0, r.x0);
    put(VALUE, r.mr[0]);
    put(DONE, 1);
    park()
}

fn fault_unknown_syscall_with_register_changes(env: &mut Env) -> Outcome {
    let (ep, _) = faulting_thread(env, bad_syscall, 0, Rights::ALL)?;
    let r = poll_for("the unknown-syscall message", || ipc::nb_recv(ep))?;
    expect_fault(&r, FaultLabel::UnknownSyscall)?;
    ensure!(
        r.info.length >= 13,
        "message length {}, expected 13",
        r.info.length
    );
    ensure!(r.mr(12) == 200, "MR12 (number) {}, expected 200", r.mr(12));
    ensure!(
        r.mr(0) == 0x1234 && r.mr(2) == 0x10,
        "MR0 {:#x} MR2 {:#x}, expected x0 0x1234 and x2 0x10",
        r.mr(0),
        r.mr(2)
    );
    let mut regs = [0u64; 12];
    for (i, v) in regs.iter_mut().enumerate() {
        *v = r.mr(i);
    }
    let pc = regs[8];
    regs[0] = 0xabcd;
    regs[2] = 0x99;
    ipc::reply(Outgoing::new(0, &regs));
    if !crate::harness::wait_until(crate::harness::DEFAULT_WAIT, || get(DONE) == 1) {
        let again = ipc::nb_recv(ep);
        if again.info.label == FaultLabel::UnknownSyscall as u64 {
            fail!(
                "the thread faulted again at pc {:#x} (first fault pc {pc:#x}): MR8 names the svc itself?",
                again.mr(8)
            );
        }
        fail!("the thread did not resume after the reply");
    }
    ensure!(
        get(X0) == 0xabcd && get(VALUE) == 0x99,
        "after the reply x0 {:#x} x2 {:#x}, expected 0xabcd and 0x99",
        get(X0),
        get(VALUE)
    );
    Ok(())
}

fn fault_without_handler_stops_thread(env: &mut Env) -> Outcome {
    env.spawn(udf_then_done, 0, 0)?;
    settle(20);
    ensure!(
        get(DONE) == 0,
        "a thread without a fault handler went on past its fault"
    );
    Ok(())
}

fn fault_handler_cap_without_grant_stops_thread(env: &mut Env) -> Outcome {
    let (ep, _) = faulting_thread(env, udf_then_done, 0, Rights::WRITE | Rights::READ)?;
    settle(20);
    let r = ipc::nb_recv(ep);
    ensure!(
        r.info.label == 0 && r.badge == 0,
        "a fault message arrived through a cap without Grant (label {})",
        r.info.label
    );
    ensure!(get(DONE) == 0, "the thread went on past its fault");
    Ok(())
}
