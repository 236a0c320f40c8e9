//! Messages of protected calls: a label and up to 120 words.

use tessera_abi::{MSG_MAX_LENGTH, MessageInfo};

use crate::ipc::Received;

/// A protected call's message or reply: a label (the protocol's own; 0
/// usually means success in a reply) and up to [`Message::CAPACITY`]
/// words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    label: u64,
    len: usize,
    words: [u64; MSG_MAX_LENGTH],
}

impl Message {
    /// The most words a message carries (the kernel's limit).
    pub const CAPACITY: usize = MSG_MAX_LENGTH;

    /// The label of [`Message::unhandled`]: the largest label there is.
    pub const UNHANDLED: u64 = MessageInfo::MAX_LABEL;

    /// A message with `label` and `words` (cut to [`Message::CAPACITY`]).
    pub fn new(label: u64, words: &[u64]) -> Self {
        let mut m = Self::empty(label);
        m.len = words.len().min(Self::CAPACITY);
        m.words[..m.len].copy_from_slice(&words[..m.len]);
        m
    }

    /// A message with `label` and no words.
    pub const fn empty(label: u64) -> Self {
        Self {
            label: label & MessageInfo::MAX_LABEL,
            len: 0,
            words: [0; MSG_MAX_LENGTH],
        }
    }

    /// The reply to a call nobody handles: label [`Message::UNHANDLED`].
    pub const fn unhandled() -> Self {
        Self::empty(Self::UNHANDLED)
    }

    /// What a receive or a call's reply delivered (read the IPC buffer
    /// before the next system call overwrites it).
    pub(crate) fn received(r: &Received) -> Self {
        let mut m = Self::empty(r.info.label);
        m.len = usize::from(r.info.length).min(Self::CAPACITY);
        for i in 0..m.len {
            m.words[i] = r.mr(i);
        }
        m
    }

    /// The label.
    pub fn label(&self) -> u64 {
        self.label
    }

    /// The words.
    pub fn words(&self) -> &[u64] {
        &self.words[..self.len]
    }

    /// Word `i`, or 0 past the end.
    pub fn word(&self, i: usize) -> u64 {
        self.words().get(i).copied().unwrap_or(0)
    }

    /// Appends a word; false if the message is full.
    pub fn push(&mut self, word: u64) -> bool {
        if self.len == Self::CAPACITY {
            return false;
        }
        self.words[self.len] = word;
        self.len += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_kept_and_cut_to_capacity() {
        let m = Message::new(7, &[1, 2, 3]);
        assert_eq!((m.label(), m.words()), (7, &[1, 2, 3][..]));
        assert_eq!(m.word(2), 3);
        assert_eq!(m.word(3), 0);
        let long = [9u64; 200];
        let mut m = Message::new(1, &long);
        assert_eq!(m.words().len(), Message::CAPACITY);
        assert!(!m.push(1));
        let mut e = Message::empty(2);
        assert!(e.push(5));
        assert_eq!(e.words(), [5]);
        assert_eq!(Message::unhandled().label(), Message::UNHANDLED);
    }

    #[test]
    fn received_messages_read_registers_and_buffer() {
        crate::ipc_buffer::set(1);
        crate::ipc_buffer::with(|b| b.msg[4] = 44);
        let r = Received {
            badge: 0,
            info: MessageInfo::new(3, 5),
            regs: [10, 11, 12, 13],
        };
        let m = Message::received(&r);
        assert_eq!(m.words(), [10, 11, 12, 13, 44]);
        assert_eq!(m.label(), 3);
    }
}
