//! Messages: the message-info word and the IPC buffer.

/// Message registers passed in CPU registers (`x2`–`x5`).
pub const MSG_REGISTERS_IN_CPU: usize = 4;
/// The most message registers a message carries.
pub const MSG_MAX_LENGTH: usize = 120;
/// The most capabilities a message carries.
pub const MAX_EXTRA_CAPS: usize = 3;
/// Required alignment of a thread's IPC buffer.
pub const IPC_BUFFER_ALIGN: u64 = 1024;

/// The message-info word (`x1`): label, length, extra caps, unwrapped mask.
///
/// Layout: `length` bits 0–6, `extra_caps` bits 7–8, `caps_unwrapped`
/// bits 9–11, `label` bits 12–63.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct MessageInfo {
    /// What the message means (an invocation label, error code, fault kind).
    pub label: u64,
    /// For a receiver: bit i set if extra cap i was unwrapped into its
    /// badge rather than transferred.
    pub caps_unwrapped: u8,
    /// Number of capabilities carried (at most [`MAX_EXTRA_CAPS`]).
    pub extra_caps: u8,
    /// Number of message registers (at most [`MSG_MAX_LENGTH`]).
    pub length: u8,
}

impl MessageInfo {
    /// The largest label that fits.
    pub const MAX_LABEL: u64 = (1 << 52) - 1;

    /// A message with `label` and `length` registers, no caps. Out-of-range
    /// values are clamped (the kernel clamps what user level sends too).
    pub const fn new(label: u64, length: usize) -> MessageInfo {
        MessageInfo {
            label: if label > Self::MAX_LABEL {
                Self::MAX_LABEL
            } else {
                label
            },
            caps_unwrapped: 0,
            extra_caps: 0,
            length: if length > MSG_MAX_LENGTH {
                MSG_MAX_LENGTH as u8
            } else {
                length as u8
            },
        }
    }

    /// The same message carrying `n` extra capabilities (clamped).
    pub const fn with_caps(mut self, n: usize) -> MessageInfo {
        self.extra_caps = if n > MAX_EXTRA_CAPS {
            MAX_EXTRA_CAPS as u8
        } else {
            n as u8
        };
        self
    }

    /// Decodes `x1`. A length above [`MSG_MAX_LENGTH`] is clamped to it, as
    /// seL4 does.
    pub const fn from_word(w: u64) -> MessageInfo {
        let length = (w & 0x7f) as u8;
        MessageInfo {
            label: w >> 12,
            caps_unwrapped: ((w >> 9) & 0x7) as u8,
            extra_caps: ((w >> 7) & 0x3) as u8,
            length: if length as usize > MSG_MAX_LENGTH {
                MSG_MAX_LENGTH as u8
            } else {
                length
            },
        }
    }

    /// Encodes for `x1`.
    pub const fn to_word(self) -> u64 {
        (self.label << 12)
            | (((self.caps_unwrapped & 0x7) as u64) << 9)
            | (((self.extra_caps & 0x3) as u64) << 7)
            | (self.length & 0x7f) as u64
    }
}

/// A thread's IPC buffer: one per thread, in a frame it maps, aligned to
/// [`IPC_BUFFER_ALIGN`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IpcBuffer {
    /// Unused by the kernel (seL4 keeps the tag here for user code).
    pub tag: u64,
    /// Message registers; the first [`MSG_REGISTERS_IN_CPU`] travel in CPU
    /// registers and their entries here are not read.
    pub msg: [u64; MSG_MAX_LENGTH],
    /// For user code (thread-local pointer).
    pub user_data: u64,
    /// On send: capability pointers of the extra caps. On receive: the
    /// badges of unwrapped caps.
    pub caps_or_badges: [u64; MAX_EXTRA_CAPS],
    /// Where a received capability goes: CNode (a CPtr in the receiver's
    /// CSpace), index and depth within it.
    pub receive_cnode: u64,
    /// See `receive_cnode`.
    pub receive_index: u64,
    /// See `receive_cnode`; 0 means "receive no capability".
    pub receive_depth: u64,
}

impl IpcBuffer {
    /// An all-zero buffer.
    pub const fn zeroed() -> IpcBuffer {
        IpcBuffer {
            tag: 0,
            msg: [0; MSG_MAX_LENGTH],
            user_data: 0,
            caps_or_badges: [0; MAX_EXTRA_CAPS],
            receive_cnode: 0,
            receive_index: 0,
            receive_depth: 0,
        }
    }
}

const _: () = assert!(core::mem::size_of::<IpcBuffer>() <= IPC_BUFFER_ALIGN as usize);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn word_round_trip(label in 0..=MessageInfo::MAX_LABEL, unwrapped in 0u8..8, caps in 0u8..4, len in 0u8..=120) {
            let mi = MessageInfo { label, caps_unwrapped: unwrapped, extra_caps: caps, length: len };
            prop_assert_eq!(MessageInfo::from_word(mi.to_word()), mi);
        }

        #[test]
        fn any_word_decodes_in_range(w: u64) {
            let mi = MessageInfo::from_word(w);
            prop_assert!(mi.length as usize <= MSG_MAX_LENGTH);
            prop_assert!(mi.extra_caps as usize <= MAX_EXTRA_CAPS);
        }
    }

    #[test]
    fn clamps() {
        assert_eq!(MessageInfo::from_word(127).length, 120);
        assert_eq!(MessageInfo::new(u64::MAX, 500).length, 120);
        assert_eq!(MessageInfo::new(u64::MAX, 0).label, MessageInfo::MAX_LABEL);
        assert_eq!(MessageInfo::new(1, 0).with_caps(9).extra_caps, 3);
    }

    #[test]
    fn buffer_fits_its_alignment() {
        assert_eq!(core::mem::size_of::<IpcBuffer>(), (1 + 120 + 1 + 3 + 3) * 8);
    }
}
