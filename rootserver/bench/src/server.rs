//! Server mode: the benchmark's own image, spawned by the client into a new
//! VSpace and CSpace (`tessera_rt::process`), answering every Call with an
//! empty reply and reporting its timestamps in the shared page.

use tessera_rt::abi::{CPtr, Syscall};
use tessera_rt::{ipc_buffer, process};

use crate::shared::{self, STATE_FAILED, STATE_READY};
use crate::timing::{self, Stamped};

/// x0 that makes the image run as the server ("SERVER" and a version).
pub const ARGUMENT: u64 = 0x5345_5256_4552_0001;
/// log2 of the server's CNode slots.
pub const CNODE_BITS: u64 = 4;
/// The endpoint's slot in the server's CSpace (a plain slot number is a
/// capability pointer there).
pub const ENDPOINT: CPtr = 1;

/// A receive delivered what the client sends: an empty message, label 0,
/// through an unbadged capability.
fn received_empty(s: &Stamped) -> bool {
    s.info == timing::EMPTY_MESSAGE && s.badge == 0
}

/// Reports a bad receive and stops; the client sees the state after its
/// Call or yield returns.
fn failed(s: &Stamped) -> ! {
    shared::set_state(STATE_FAILED, s.info, s.badge);
    tessera_rt::start::stop_thread()
}

/// The server's loop; see `shared` for what is stored when.
pub fn main() -> ! {
    // Not used for the empty messages; set so that a Recv with a
    // message would not fault.
    ipc_buffer::set(process::IPC_BUFFER);
    shared::set_state(STATE_READY, 0, 0);
    let first = timing::recv_then_stamp(ENDPOINT);
    if !received_empty(&first) {
        failed(&first);
    }
    let mut round = 1;
    shared::publish(round, first.after, 0);
    loop {
        let s = timing::stamp_around(Syscall::ReplyRecv, ENDPOINT);
        if !received_empty(&s) {
            failed(&s);
        }
        round += 1;
        // `s.before` was read before the svc that has just returned: it
        // opened the previous round's ReplyRecv window.
        shared::publish(round, s.after, s.before);
    }
}
