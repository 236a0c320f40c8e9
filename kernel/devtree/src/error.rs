//! Errors from reading a device tree blob.

use core::fmt;

/// Why a device tree blob was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The header's magic is wrong, its `totalsize` is smaller than a
    /// header, or a block it describes lies outside `totalsize`.
    BadHeader,
    /// The bytes end before the header or before `totalsize`.
    Truncated,
    /// The structure block is not a well-formed tree: a bad token, a name or
    /// property that runs past its block, unbalanced nodes, properties after
    /// child nodes, a second root, or a missing `FDT_END`.
    Malformed,
    /// A valid tree that this crate does not read: a version before 17,
    /// `FDT_NOP` tokens, or nodes nested deeper than
    /// [`MAX_DEPTH`](crate::MAX_DEPTH).
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BadHeader => "device tree header is invalid",
            Self::Truncated => "device tree blob is truncated",
            Self::Malformed => "device tree structure is malformed",
            Self::Unsupported => "device tree uses an unsupported feature",
        })
    }
}

impl core::error::Error for Error {}
