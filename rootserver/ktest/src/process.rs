//! Starting another program with the runtime's ELF loader: the suite's own
//! image, loaded afresh into a new VSpace with a new CSpace, runs in child
//! mode and signals the notification it was given.

use tessera_bootarchive::Archive;
use tessera_rt::abi::{ObjectType, Rights};
use tessera_rt::invoke::cnode;
use tessera_rt::process::{self, Spawn};
use tessera_rt::{ipc, ipc_buffer};

use crate::harness::{Case, Context, Env, Outcome, poll_for};
use crate::{case, ensure, fail};

pub const CASES: &[Case] = &[
    case!(process_spawn_runs_in_its_own_spaces),
    case!(process_spawn_rejects_a_bad_image),
];

/// x0 that makes the image run as a spawned child.
pub const CHILD_ARGUMENT: u64 = 0x4348_494c_4400_0001;
/// Where the child finds the notification it signals.
const CHILD_NOTIFICATION: u64 = 1;
/// log2 of the child's CNode slots.
const CHILD_CNODE_BITS: u64 = 4;
const BADGE: u64 = 0x77;

/// Where the child finds an endpoint nobody sends on, to block on.
const CHILD_PARKING: u64 = 2;

/// The child: its IPC buffer is where the loader put it; it signals, then
/// blocks for good on an endpoint nobody sends on (its CSpace holds just
/// these two capabilities).
pub fn child_main() -> ! {
    ipc_buffer::set(process::IPC_BUFFER);
    let _ = ipc::signal(CHILD_NOTIFICATION);
    loop {
        ipc::recv(CHILD_PARKING);
    }
}

fn ktest_image(env: &Env) -> Result<&'static [u8], crate::harness::Reason> {
    // SAFETY: the kernel maps the boot archive read-only at archive_vaddr,
    // archive_size bytes, for the program's lifetime.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            env.info.archive_vaddr as *const u8,
            env.info.archive_size as usize,
        )
    };
    let Ok(archive) = Archive::parse(bytes) else {
        fail!("cannot parse the boot archive")
    };
    match archive.get("ktest") {
        Some(entry) => Ok(entry.data),
        None => fail!("no ktest entry in the boot archive"),
    }
}

fn process_spawn_runs_in_its_own_spaces(env: &mut Env) -> Outcome {
    let image = ktest_image(env)?;
    let n = env.alloc(ObjectType::Notification)?;
    let badged = env.mint(n, Rights::ALL, BADGE)?;
    let scratch_va = env.va(1)?;
    let spawn = Spawn {
        image,
        priority: env.prio,
        cnode_bits: CHILD_CNODE_BITS,
        argument: CHILD_ARGUMENT,
        scratch_va,
        ..Spawn::default()
    };
    let child = match process::spawn(&mut env.res, &spawn) {
        Ok(p) => p,
        Err(e) => fail!("spawn: {e:?}"),
    };
    let dest = cnode::Slot {
        root: child.cnode,
        index: CHILD_NOTIFICATION,
        depth: CHILD_CNODE_BITS,
    };
    cnode::copy(dest, env.slot(badged), Rights::ALL).ctx("giving the child its notification")?;
    if let Err(e) = process::start(&child) {
        fail!("start: {e:?}");
    }
    let r = poll_for("the child's signal", || ipc::poll(n))?;
    ensure!(
        r.badge == BADGE,
        "word {:#x}, expected the child's badge {BADGE:#x}",
        r.badge
    );
    Ok(())
}

fn process_spawn_rejects_a_bad_image(env: &mut Env) -> Outcome {
    let scratch_va = env.va(1)?;
    let junk = [0x7fu8, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let spawn = Spawn {
        image: &junk,
        priority: env.prio,
        cnode_bits: CHILD_CNODE_BITS,
        argument: 0,
        scratch_va,
        ..Spawn::default()
    };
    match process::spawn(&mut env.res, &spawn) {
        Err(process::SpawnError::Elf(_)) => Ok(()),
        Err(e) => fail!("spawn of a truncated ELF failed with {e:?}, expected an ELF error"),
        Ok(_) => fail!("spawn accepted a truncated ELF"),
    }
}
