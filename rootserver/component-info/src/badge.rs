//! Badges: how a component tells apart what wakes it.
//!
//! A component waits with `Recv` on its endpoint, to which its notification
//! is bound. What `Recv` returns in x0 is then either
//!
//! - a notification word (label 0, no message): bit `id` is set for each
//!   notification channel `id` that was signalled and for each interrupt
//!   `id` that fired since the last wait; or
//! - the badge of a protected call: [`PROTECTED_CALL`] | the callee's local
//!   id of the channel the call came through.
//!
//! Local ids stop at 62 ([`crate::MAX_LOCAL_IDS`]), so a notification word
//! never has bit 63 set and the two cannot be confused.

/// Bit 63: the badge of a protected call.
pub const PROTECTED_CALL: u64 = 1 << 63;

/// The badge a signaller's notification capability (or an interrupt's
/// binding) carries for the waiter's channel `id`.
pub const fn notification(id: u8) -> u64 {
    1 << (id & 63)
}

/// The badge a caller's endpoint capability carries for the callee's
/// channel `id`.
pub const fn protected_call(id: u8) -> u64 {
    PROTECTED_CALL | (id & 63) as u64
}

/// What a received badge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A protected call through the channel with this local id.
    Call(u8),
    /// Notifications: each set bit is a local id.
    Notified(Ids),
}

/// Reads the badge (x0) that `Recv` on a component's endpoint returned.
pub const fn event(badge: u64) -> Event {
    if badge & PROTECTED_CALL != 0 {
        Event::Call((badge & 63) as u8)
    } else {
        Event::Notified(Ids(badge))
    }
}

/// The local ids set in a notification word, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids(pub u64);

impl Iterator for Ids {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.0 == 0 {
            return None;
        }
        let id = self.0.trailing_zeros() as u8;
        self.0 &= self.0 - 1;
        Some(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn calls_carry_bit_63_and_the_id() {
        assert_eq!(protected_call(0), 1 << 63);
        assert_eq!(protected_call(62), (1 << 63) | 62);
        assert_eq!(event(protected_call(5)), Event::Call(5));
        assert_eq!(event(protected_call(0)), Event::Call(0));
    }

    #[test]
    fn notification_words_list_their_ids() {
        let word = notification(0) | notification(3) | notification(62);
        let Event::Notified(ids) = event(word) else {
            panic!("a notification word read as a call")
        };
        assert_eq!(ids.collect::<Vec<_>>(), [0, 3, 62]);
        assert_eq!(event(0), Event::Notified(Ids(0)));
        assert_eq!(Ids(0).count(), 0);
    }

    #[test]
    fn no_local_id_reaches_the_call_bit() {
        for id in 0..crate::MAX_LOCAL_IDS as u8 {
            assert_eq!(notification(id) & PROTECTED_CALL, 0);
            assert_eq!(event(notification(id)), Event::Notified(Ids(1 << id)));
        }
    }
}
