//! The console protocol: how a component prints through the serial driver
//! (or any console server), and where this program's `println!` output
//! goes.
//!
//! A write is a protected call with label [`WRITE`], MR0 the number of
//! bytes and MR1 onwards the bytes, eight to a register, little-endian
//! (the first byte in the low bits). The server replies with label 0 and
//! MR0 the number of bytes it wrote; other labels are errors.
//!
//! A program's output goes to the kernel's debug console until
//! [`set_channel`] names the endpoint capability of its console channel;
//! the component runtime does that at start-up when the system
//! description gives the component a `console`, and the rootserver does it
//! once the console server runs (its channel [`ROOTSERVER_CHANNEL`]). A
//! write the server does not confirm goes to the kernel's debug console
//! instead (`debug::write_bytes`), so no line is lost.

use core::sync::atomic::{AtomicU64, Ordering};

use tessera_abi::{CPtr, MSG_MAX_LENGTH};

use crate::ipc::{self, Outgoing};

/// The label of a write.
pub const WRITE: u64 = 1;

/// The most bytes one write carries.
pub const MAX_WRITE: usize = (MSG_MAX_LENGTH - 1) * 8;

/// The registers of one write.
pub type WriteMessage = [u64; MSG_MAX_LENGTH];

/// The name, in the console server's info page, of the channel the
/// rootserver prints through (an endpoint channel, the server its `to`).
pub const ROOTSERVER_CHANNEL: &str = "rootserver_console";

/// The console channel's capability; 0 while output goes to the kernel.
static CHANNEL: AtomicU64 = AtomicU64::new(0);

/// How many bytes console servers have confirmed writing for this program.
static CONFIRMED: AtomicU64 = AtomicU64::new(0);

/// Sends this program's console output through the endpoint capability
/// `cap` (0: back to the kernel's debug console).
pub fn set_channel(cap: CPtr) {
    CHANNEL.store(cap, Ordering::Relaxed);
}

/// The console channel's capability, if output goes through one.
pub fn channel() -> Option<CPtr> {
    match CHANNEL.load(Ordering::Relaxed) {
        0 => None,
        cap => Some(cap),
    }
}

/// How many bytes console servers have confirmed writing for this program
/// so far (the sum of their replies' MR0): output that went to the
/// kernel's debug console does not count.
pub fn confirmed() -> u64 {
    CONFIRMED.load(Ordering::Relaxed)
}

/// Packs up to [`MAX_WRITE`] bytes of `bytes` into `regs`; returns how many
/// registers the write uses and how many bytes it carries.
pub fn pack(bytes: &[u8], regs: &mut WriteMessage) -> (usize, usize) {
    let n = bytes.len().min(MAX_WRITE);
    regs[0] = n as u64;
    let mut words = 1;
    for chunk in bytes[..n].chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        regs[words] = u64::from_le_bytes(w);
        words += 1;
    }
    (words, n)
}

/// The bytes of a received write: MR0 is the count, the rest the bytes;
/// a count larger than the registers hold is cut to what they hold.
pub fn unpack(regs: &[u64]) -> impl Iterator<Item = u8> + '_ {
    let (count, data) = match regs.split_first() {
        Some((&count, data)) => (count, data),
        None => (0, &[][..]),
    };
    let held = data.len().saturating_mul(8);
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(held);
    data.iter().flat_map(|w| w.to_le_bytes()).take(n)
}

/// Writes `bytes` through the console channel `cap`, in as many calls as
/// needed; returns how many of them were sent in calls the server
/// answered with label 0. A failed call (a capability that is no
/// endpoint, a server that replies with an error label) ends the write
/// early: the caller decides what to do with the rest.
pub fn write_through(cap: CPtr, bytes: &[u8]) -> usize {
    let mut sent = 0;
    let mut regs = [0u64; MSG_MAX_LENGTH];
    while sent < bytes.len() {
        let (words, n) = pack(&bytes[sent..], &mut regs);
        let reply = ipc::call(cap, Outgoing::new(WRITE, &regs[..words]));
        if reply.info.label != 0 {
            break;
        }
        CONFIRMED.fetch_add(reply.mr(0).min(n as u64), Ordering::Relaxed);
        sent += n;
    }
    sent
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn bytes_round_trip() {
        let mut regs = [0u64; MSG_MAX_LENGTH];
        let text = b"ping: 1000 round trips\n";
        let (words, n) = pack(text, &mut regs);
        assert_eq!((words, n), (1 + 3, text.len()));
        assert_eq!(regs[0], text.len() as u64);
        assert_eq!(regs[1], u64::from_le_bytes(*b"ping: 10"));
        assert_eq!(unpack(&regs[..words]).collect::<Vec<u8>>(), text);
    }

    #[test]
    fn long_writes_are_cut_to_one_message() {
        let mut regs = [0u64; MSG_MAX_LENGTH];
        let text = [b'x'; 2000];
        assert_eq!(pack(&text, &mut regs), (MSG_MAX_LENGTH, MAX_WRITE));
        assert_eq!(pack(&[], &mut regs), (1, 0));
    }

    #[test]
    fn a_count_beyond_the_registers_is_cut() {
        let regs = [100, u64::from_le_bytes(*b"abcdefgh")];
        assert_eq!(unpack(&regs).collect::<Vec<u8>>(), b"abcdefgh");
        assert_eq!(unpack(&[]).count(), 0);
        assert_eq!(unpack(&[u64::MAX]).count(), 0);
        assert_eq!(unpack(&[3, 0x0063_6261]).collect::<Vec<u8>>(), b"abc");
    }
}
