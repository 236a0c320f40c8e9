//! Invocation errors as the runtime returns them.

use core::fmt;

use tessera_abi::{Error, MessageInfo};

/// A failed invocation: the reply's label as an [`Error`] and its first two
/// message registers (what they mean depends on the error; see
/// `docs/api.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvocationError {
    /// The error.
    pub error: Error,
    /// MR0 and MR1 of the reply.
    pub details: [u64; 2],
    /// The raw reply label (differs from `error as u64` only for labels
    /// that are no known error, reported as `IllegalOperation`).
    pub label: u64,
}

/// The result of an invocation.
pub type InvResult<T> = Result<T, InvocationError>;

impl InvocationError {
    /// An error with these details.
    pub const fn new(error: Error, details: [u64; 2]) -> Self {
        Self {
            error,
            details,
            label: error as u64,
        }
    }
}

/// Decodes a reply: Ok for label 0, else the error and its details.
pub fn check(info: u64, mr: [u64; 4]) -> InvResult<MessageInfo> {
    let info = MessageInfo::from_word(info);
    if info.label == 0 {
        return Ok(info);
    }
    let details = [mr[0], mr[1]];
    Err(match Error::from_u64(info.label) {
        Some(error) => InvocationError::new(error, details),
        None => InvocationError {
            error: Error::IllegalOperation,
            details,
            label: info.label,
        },
    })
}

/// Decodes what `Send`/`NBSend` returned: the kernel leaves `x1` as it was
/// sent on success and puts an error's message info there on failure, so an
/// unchanged word (or label 0) is success.
pub fn check_send(sent_info: u64, returned_info: u64, mr: [u64; 4]) -> InvResult<()> {
    if returned_info == sent_info {
        return Ok(());
    }
    check(returned_info, mr).map(|_| ())
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.label != self.error as u64 {
            return write!(f, "unknown error label {}", self.label);
        }
        write!(
            f,
            "{:?} ({}) [{:#x}, {:#x}]",
            self.error, self.error, self.details[0], self.details[1]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_zero_is_success() {
        let info = MessageInfo::new(0, 3).to_word();
        assert_eq!(check(info, [0; 4]).map(|i| i.length), Ok(3));
    }

    #[test]
    fn errors_keep_their_details() {
        let info = MessageInfo::new(Error::RangeError as u64, 2).to_word();
        let e = check(info, [4, 47, 9, 9]).unwrap_err();
        assert_eq!(e, InvocationError::new(Error::RangeError, [4, 47]));
    }

    #[test]
    fn sends_succeed_with_x1_unchanged_or_label_zero() {
        let sent = MessageInfo::new(7, 1).to_word();
        assert_eq!(check_send(sent, sent, [1, 0, 0, 0]), Ok(()));
        assert_eq!(check_send(sent, 0, [0; 4]), Ok(()));
        let failed = MessageInfo::new(Error::FailedLookup as u64, 2).to_word();
        assert_eq!(
            check_send(sent, failed, [1, 2, 0, 0]),
            Err(InvocationError::new(Error::FailedLookup, [1, 2]))
        );
    }

    #[test]
    fn unknown_labels_are_not_lost() {
        let e = check(MessageInfo::new(77, 0).to_word(), [0; 4]).unwrap_err();
        assert_eq!((e.error, e.label), (Error::IllegalOperation, 77));
    }
}
