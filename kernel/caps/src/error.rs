//! The error an invocation replies with: an ABI error code and the detail
//! words that go with it.

use tessera_abi::Error;

/// A failed invocation as the kernel replies it: the reply's label is
/// `error` and its first message registers are `details`.
///
/// What the details mean depends on the code (see [`Error`]):
///
/// | `error` | `details[0]` | `details[1]` |
/// |---|---|---|
/// | `InvalidArgument` | index of the argument | 0 |
/// | `RangeError` | smallest allowed value | largest allowed value |
/// | `NotEnoughMemory` | bytes available | 0 |
/// | anything else | 0 | 0 |
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyscallError {
    /// The error code (the reply's label).
    pub error: Error,
    /// Message registers 0 and 1 of the reply.
    pub details: [u64; 2],
}

impl SyscallError {
    /// An error without details.
    pub const fn plain(error: Error) -> SyscallError {
        SyscallError {
            error,
            details: [0, 0],
        }
    }

    /// `IllegalOperation`: the object or its state does not allow this.
    pub const fn illegal_operation() -> SyscallError {
        SyscallError::plain(Error::IllegalOperation)
    }

    /// `InvalidArgument` naming the argument (message register) at `index`.
    pub const fn invalid_argument(index: u64) -> SyscallError {
        SyscallError {
            error: Error::InvalidArgument,
            details: [index, 0],
        }
    }

    /// `RangeError` with the allowed range `min..=max`.
    pub const fn range(min: u64, max: u64) -> SyscallError {
        SyscallError {
            error: Error::RangeError,
            details: [min, max],
        }
    }

    /// `NotEnoughMemory` with the bytes that are still available.
    pub const fn not_enough_memory(available: u64) -> SyscallError {
        SyscallError {
            error: Error::NotEnoughMemory,
            details: [available, 0],
        }
    }

    /// `RevokeFirst`: the capability still has children.
    pub const fn revoke_first() -> SyscallError {
        SyscallError::plain(Error::RevokeFirst)
    }
}

impl From<SyscallError> for Error {
    fn from(e: SyscallError) -> Error {
        e.error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_fill_the_detail_words() {
        assert_eq!(SyscallError::invalid_argument(3).details, [3, 0]);
        assert_eq!(SyscallError::range(1, 256).details, [1, 256]);
        assert_eq!(SyscallError::not_enough_memory(4096).details, [4096, 0]);
        assert_eq!(SyscallError::revoke_first().error, Error::RevokeFirst);
        assert_eq!(
            Error::from(SyscallError::illegal_operation()),
            Error::IllegalOperation
        );
    }
}
