//! The timer service's protocol (`components/timer`), for its clients.
//!
//! A client has two channels with the timer: an endpoint channel from the
//! client to the timer, on which it makes protected calls, and a
//! notification channel from the timer back to the client, named like the
//! first with `_wake` added, which the timer signals when the client's
//! timeout expires. Each client has one timeout at a time: setting a new
//! one replaces it.
//!
//! | call label | words sent | reply |
//! |---|---|---|
//! | [`SET`] | 0: delay in ns | label 0; 0: the deadline (system counter) |
//! | [`CANCEL`] | none | label 0 |
//! | [`NOW`] | none | label 0; 0: the counter, 1: its frequency in Hz |
//!
//! A reply label [`NO_WAKE_CHANNEL`] means the timer has no `_wake`
//! channel to pair with the calling one.

/// Set (or replace) the caller's timeout.
pub const SET: u64 = 1;
/// Cancel the caller's timeout.
pub const CANCEL: u64 = 2;
/// Read the system counter.
pub const NOW: u64 = 3;
/// Reply label: the caller's channel has no `_wake` partner.
pub const NO_WAKE_CHANNEL: u64 = 1;
/// What the wake-up channel's name adds to the calling channel's.
pub const WAKE_SUFFIX: &str = "_wake";

/// Whether `wake` is the wake-up channel paired with `call`.
pub fn is_wake_channel_of(wake: &str, call: &str) -> bool {
    wake.strip_suffix(WAKE_SUFFIX) == Some(call)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_channels_pair_by_name() {
        assert!(is_wake_channel_of("sleeper_timer_wake", "sleeper_timer"));
        assert!(!is_wake_channel_of("sleeper_timer", "sleeper_timer"));
        assert!(!is_wake_channel_of("other_wake", "sleeper_timer"));
    }
}
