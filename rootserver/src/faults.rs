//! After the system is built, the rootserver stays out of the way and
//! reports component faults: every component's fault endpoint is the
//! rootserver's, badged with the component's index + 1. A faulted
//! component is reported, then suspended; the others keep running.
//!
//! Reports go through the rootserver's console channel when it has one
//! (the last line of a report then ends "; reported through SERVER"); a
//! write the server does not take falls back to the kernel's debug
//! console, and a fault of the console server itself sends this and every
//! later line there (the server waits for the fault's reply, so a write
//! to it would block the rootserver for good).

use tessera_rt::abi::InitialSlot;
use tessera_rt::fault::Fault;
use tessera_rt::invoke::tcb;
use tessera_rt::{console, ipc, println};
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
        let server = running.console.as_ref().map(|s| s.server);
        if server == index && console::channel().is_some() {
            // The console server itself faulted: it waits for the fault's
            // reply and would never answer a write. Back to the kernel's
            // debug console, for good (it stays stopped).
            console::set_channel(0);
        }
        let before = console::confirmed();
        // The report starts on a line of its own: it may come in the middle
        // of a line a component is printing.
        println!("\nrootserver: component {} faulted: {fault}", c.name);
        // Said when the console server confirmed writing the report (so a
        // test can tell it did not go to the kernel's debug console).
        let through = match server.and_then(|s| system.components.get(s)) {
            Some(s) if console::confirmed() > before => s.name,
            _ => "",
        };
        let sep = if through.is_empty() {
            ""
        } else {
            "; reported through "
        };
        match tcb::suspend(built.tcb) {
            Ok(()) => println!("rootserver: component {} stopped{sep}{through}", c.name),
            Err(e) => println!(
                "rootserver: component {} could not be stopped: {e}{sep}{through}",
                c.name
            ),
        }
    }
}
