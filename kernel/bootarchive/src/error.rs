//! Errors found while parsing an archive.

use core::fmt;

/// Why [`Archive::parse`](crate::Archive::parse) rejected an archive.
///
/// Every variant except [`Error::MissingTrailer`] names the byte offset, from
/// the start of the archive, of the header of the entry at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The archive ends inside this entry's header, name, data or padding.
    Truncated {
        /// Offset of the entry's header.
        offset: usize,
    },
    /// The header does not start with the newc magic `070701`.
    BadMagic {
        /// Offset of the entry's header.
        offset: usize,
    },
    /// A header field is not eight hexadecimal digits, or has a value the
    /// format does not allow.
    BadField {
        /// Offset of the entry's header.
        offset: usize,
        /// The field's name in the newc header, such as `c_filesize`.
        field: &'static str,
    },
    /// The name is empty, longer than [`MAX_NAME_LEN`](crate::MAX_NAME_LEN),
    /// not NUL-terminated, contains a NUL, or is not UTF-8.
    BadName {
        /// Offset of the entry's header.
        offset: usize,
    },
    /// The archive ends between two entries without a `TRAILER!!!` entry.
    MissingTrailer,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { offset } => {
                write!(f, "boot archive entry at offset {offset:#x} is truncated")
            }
            Self::BadMagic { offset } => {
                write!(
                    f,
                    "boot archive entry at offset {offset:#x} has no newc magic"
                )
            }
            Self::BadField { offset, field } => {
                write!(
                    f,
                    "boot archive entry at offset {offset:#x} has a bad {field}"
                )
            }
            Self::BadName { offset } => {
                write!(f, "boot archive entry at offset {offset:#x} has a bad name")
            }
            Self::MissingTrailer => f.write_str("boot archive has no TRAILER!!! entry"),
        }
    }
}

impl core::error::Error for Error {}
