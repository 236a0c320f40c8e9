//! Message registers: the first four travel in x2–x5, the rest in the IPC
//! buffer's `msg` array at the same index. Pure functions, tested on the
//! host.

use tessera_abi::{CPtr, IpcBuffer, MAX_EXTRA_CAPS, MSG_MAX_LENGTH, MSG_REGISTERS_IN_CPU};

/// A message to send: label, up to [`MSG_MAX_LENGTH`] registers and up to
/// [`MAX_EXTRA_CAPS`] capability pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing<'a> {
    /// The label (an invocation label or a protocol's own).
    pub label: u64,
    /// The message registers.
    pub mrs: &'a [u64],
    /// The extra capabilities.
    pub caps: &'a [CPtr],
}

impl<'a> Outgoing<'a> {
    /// A message without capabilities.
    pub const fn new(label: u64, mrs: &'a [u64]) -> Self {
        Self {
            label,
            mrs,
            caps: &[],
        }
    }

    /// The same message carrying `caps`.
    pub const fn with_caps(self, caps: &'a [CPtr]) -> Self {
        Self { caps, ..self }
    }

    /// Writes the registers beyond the fourth and the capability pointers
    /// into `buf`; returns the four register values and the message-info
    /// word (length and cap count clamped to what fits).
    pub fn pack(&self, buf: Option<&mut IpcBuffer>) -> ([u64; 4], u64) {
        let length = self.mrs.len().min(MSG_MAX_LENGTH);
        let ncaps = self.caps.len().min(MAX_EXTRA_CAPS);
        let regs = cpu_registers(self.mrs);
        if let Some(buf) = buf {
            store_overflow(buf, &self.mrs[..length]);
            buf.caps_or_badges[..ncaps].copy_from_slice(&self.caps[..ncaps]);
        }
        let info = tessera_abi::MessageInfo::new(self.label, length).with_caps(ncaps);
        (regs, info.to_word())
    }
}

/// The first four registers, zero-padded.
pub fn cpu_registers(mrs: &[u64]) -> [u64; 4] {
    let mut regs = [0; MSG_REGISTERS_IN_CPU];
    for (r, v) in regs.iter_mut().zip(mrs) {
        *r = *v;
    }
    regs
}

/// Copies `mrs[4..]` to `buf.msg[4..]`.
pub fn store_overflow(buf: &mut IpcBuffer, mrs: &[u64]) {
    let n = mrs.len().min(MSG_MAX_LENGTH);
    if n > MSG_REGISTERS_IN_CPU {
        buf.msg[MSG_REGISTERS_IN_CPU..n].copy_from_slice(&mrs[MSG_REGISTERS_IN_CPU..n]);
    }
}

/// Message register `i` of a received message whose first four arrived in
/// `regs` and whose others are in `buf`; 0 past the buffer's end.
pub fn read_mr(regs: &[u64; 4], buf: Option<&IpcBuffer>, i: usize) -> u64 {
    match i {
        0..MSG_REGISTERS_IN_CPU => regs[i],
        _ => buf.and_then(|b| b.msg.get(i).copied()).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_abi::MessageInfo;

    #[test]
    fn short_messages_stay_in_registers() {
        let mut buf = IpcBuffer::zeroed();
        let (regs, info) = Outgoing::new(7, &[1, 2]).pack(Some(&mut buf));
        assert_eq!(regs, [1, 2, 0, 0]);
        assert_eq!(MessageInfo::from_word(info), MessageInfo::new(7, 2));
        assert!(buf.msg.iter().all(|&w| w == 0));
    }

    #[test]
    fn long_messages_spill_at_the_same_index() {
        let mrs: [u64; 10] = core::array::from_fn(|i| 100 + i as u64);
        let mut buf = IpcBuffer::zeroed();
        let (regs, info) = Outgoing::new(1, &mrs).pack(Some(&mut buf));
        assert_eq!(regs, [100, 101, 102, 103]);
        assert_eq!(&buf.msg[..4], &[0; 4]);
        assert_eq!(&buf.msg[4..10], &mrs[4..]);
        assert_eq!(MessageInfo::from_word(info).length, 10);
        for i in 0..10 {
            assert_eq!(read_mr(&regs, Some(&buf), i), 100 + i as u64);
        }
        assert_eq!(read_mr(&regs, Some(&buf), 500), 0);
        assert_eq!(read_mr(&regs, None, 5), 0);
    }

    #[test]
    fn caps_and_lengths_are_clamped() {
        let mrs = [9u64; 200];
        let mut buf = IpcBuffer::zeroed();
        let (_, info) = Outgoing::new(1, &mrs)
            .with_caps(&[5, 6, 7, 8])
            .pack(Some(&mut buf));
        let info = MessageInfo::from_word(info);
        assert_eq!((info.length, info.extra_caps), (120, 3));
        assert_eq!(buf.caps_or_badges, [5, 6, 7]);
        assert_eq!(buf.msg[119], 9);
    }

    #[test]
    fn without_a_buffer_only_registers_are_sent() {
        let (regs, info) = Outgoing::new(3, &[1, 2, 3, 4, 5]).pack(None);
        assert_eq!(regs, [1, 2, 3, 4]);
        assert_eq!(MessageInfo::from_word(info).length, 5);
    }
}
