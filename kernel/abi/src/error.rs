//! Error codes returned by invocations (as the reply's label).

/// Why an invocation failed. The numbers are seL4's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Error {
    /// An argument is invalid (MR 0 of the reply: the argument's index).
    InvalidArgument = 1,
    /// A capability argument is of the wrong kind or lacks rights
    /// (MR 0: which capability: 0 the invoked one, 1… the extra caps).
    InvalidCapability = 2,
    /// The operation is not allowed on this object or in this state.
    IllegalOperation = 3,
    /// A value is out of range (MR 0, MR 1: the allowed minimum and maximum).
    RangeError = 4,
    /// An address or size is not aligned as required.
    AlignmentError = 5,
    /// Looking up a capability failed (MR 0: 1 for a source, 0 for a
    /// destination; MR 1: the lookup failure kind).
    FailedLookup = 6,
    /// The message is too short for the invocation.
    TruncatedMessage = 7,
    /// The destination slot is not empty.
    DeleteFirst = 8,
    /// The object still has derived capabilities (revoke them first).
    RevokeFirst = 9,
    /// Not enough memory in the Untyped (MR 0: bytes available).
    NotEnoughMemory = 10,
}

impl Error {
    /// The error for a reply label, if it is one (0 means success).
    pub const fn from_u64(n: u64) -> Option<Error> {
        Some(match n {
            1 => Error::InvalidArgument,
            2 => Error::InvalidCapability,
            3 => Error::IllegalOperation,
            4 => Error::RangeError,
            5 => Error::AlignmentError,
            6 => Error::FailedLookup,
            7 => Error::TruncatedMessage,
            8 => Error::DeleteFirst,
            9 => Error::RevokeFirst,
            10 => Error::NotEnoughMemory,
            _ => return None,
        })
    }
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Error::InvalidArgument => "invalid argument",
            Error::InvalidCapability => "invalid capability",
            Error::IllegalOperation => "illegal operation",
            Error::RangeError => "out of range",
            Error::AlignmentError => "misaligned",
            Error::FailedLookup => "capability lookup failed",
            Error::TruncatedMessage => "message too short",
            Error::DeleteFirst => "destination slot not empty",
            Error::RevokeFirst => "object has derived capabilities",
            Error::NotEnoughMemory => "not enough memory",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        assert_eq!(Error::from_u64(0), None);
        for n in 1..=10 {
            assert_eq!(Error::from_u64(n).map(|e| e as u64), Some(n));
        }
        assert_eq!(Error::from_u64(11), None);
    }
}
