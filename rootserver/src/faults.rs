//! After the system is built, the rootserver stays out of the way and
//! reports component faults: every component's fault endpoint is the
//! rootserver's, badged with the component's index + 1. A faulted
//! component is reported, then suspended; the others keep running.

use tessera_rt::abi::InitialSlot;
use tessera_rt::fault::Fault;
use tessera_rt::invoke::tcb;
use tessera_rt::{ipc, println};
use tessera_sysdesc::System;

use crate::system::Running;

/// Waits for faults forever.
pub fn serve(system: &System<'_>, running: &Running) -> ! {
    loop {
        let r = ipc::recv(running.fault_ep);
        let index = r.badge.checked_sub(1).and_then(|i| usize::try_from(i).ok());
        let (Some(c), Some(built)) = (
            index.and_then(|i| system.components.get(i)),
            index.and_then(|i| running.components.get(i)),
        ) else {
            // Not from a component: only a failed receive can give this
            // (the rootserver's endpoint capability became unusable).
            println!(
                "rootserver: the fault endpoint gave badge {:#x}, label {}; no longer watching for faults",
                r.badge, r.info.label
            );
            let _ = tcb::suspend(InitialSlot::Tcb.cptr());
            tessera_rt::start::stop_thread()
        };
        let fault = Fault::decode(r.info.label, |i| r.mr(i));
        // The report starts on a line of its own: it may come in the middle
        // of a line a component is printing.
        println!("\nrootserver: component {} faulted: {fault}", c.name);
        match tcb::suspend(built.tcb) {
            Ok(()) => println!("rootserver: component {} stopped", c.name),
            Err(e) => println!("rootserver: component {} could not be stopped: {e}", c.name),
        }
    }
}
