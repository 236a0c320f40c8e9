//! The newc header: layout, hexadecimal fields and padding.

use crate::Error;

/// The magic at the start of every newc header.
pub(crate) const MAGIC: &[u8; 6] = b"070701";

/// The length of a newc header in bytes.
pub(crate) const HEADER_LEN: usize = 110;

/// The name of the entry that ends an archive.
pub const TRAILER_NAME: &str = "TRAILER!!!";

/// The longest name, in bytes and without its terminating NUL, that an entry
/// may have (the `PATH_MAX` of Linux, 4096, counts the NUL).
pub const MAX_NAME_LEN: usize = 4095;

/// Names of the thirteen header fields, in header order.
pub(crate) const FIELD_NAMES: [&str; FIELD_COUNT] = [
    "c_ino",
    "c_mode",
    "c_uid",
    "c_gid",
    "c_nlink",
    "c_mtime",
    "c_filesize",
    "c_devmajor",
    "c_devminor",
    "c_rdevmajor",
    "c_rdevminor",
    "c_namesize",
    "c_check",
];

const FIELD_COUNT: usize = 13;
/// Index of `c_ino` in [`FIELD_NAMES`].
#[cfg(any(test, feature = "std"))]
pub(crate) const INO: usize = 0;
/// Index of `c_mode` in [`FIELD_NAMES`].
pub(crate) const MODE: usize = 1;
/// Index of `c_nlink` in [`FIELD_NAMES`].
#[cfg(any(test, feature = "std"))]
pub(crate) const NLINK: usize = 4;
/// Index of `c_filesize` in [`FIELD_NAMES`].
pub(crate) const FILESIZE: usize = 6;
/// Index of `c_namesize` in [`FIELD_NAMES`].
pub(crate) const NAMESIZE: usize = 11;

/// The decoded fields of one header, indexed like [`FIELD_NAMES`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) fields: [u32; FIELD_COUNT],
}

impl Header {
    /// Decodes the header at `offset` of `archive`.
    pub(crate) fn read(archive: &[u8], offset: usize) -> Result<Self, Error> {
        let bytes = archive
            .get(offset..)
            .and_then(<[u8]>::first_chunk::<HEADER_LEN>)
            .ok_or(Error::Truncated { offset })?;
        let (magic, rest) = bytes
            .split_first_chunk::<6>()
            .ok_or(Error::Truncated { offset })?;
        if magic != MAGIC {
            return Err(Error::BadMagic { offset });
        }
        let (digits, _) = rest.as_chunks::<8>();
        let mut header = Self::default();
        for ((value, name), digits) in header.fields.iter_mut().zip(FIELD_NAMES).zip(digits) {
            *value = parse_hex(digits).ok_or(Error::BadField {
                offset,
                field: name,
            })?;
        }
        Ok(header)
    }

    /// Encodes the header as newc text, magic included.
    #[cfg(any(test, feature = "std"))]
    pub(crate) fn encode(&self, out: &mut std::vec::Vec<u8>) {
        use std::io::Write as _;
        out.extend_from_slice(MAGIC);
        for value in self.fields {
            // Writing to a Vec cannot fail.
            let _ = write!(out, "{value:08X}");
        }
    }
}

/// Parses eight ASCII hexadecimal digits, in either case.
fn parse_hex(digits: &[u8; 8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &digit| {
        let nibble = char::from(digit).to_digit(16)?;
        Some(value << 4 | nibble)
    })
}

/// Rounds `offset` up to the next multiple of 4, or `None` on overflow.
pub(crate) fn align4(offset: usize) -> Option<usize> {
    Some(offset.checked_add(3)? & !3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_accepts_both_cases() {
        assert_eq!(parse_hex(b"0000aBcD"), Some(0xabcd));
        assert_eq!(parse_hex(b"FFFFFFFF"), Some(u32::MAX));
    }

    #[test]
    fn hex_rejects_non_digits() {
        assert_eq!(parse_hex(b"0000000g"), None);
        assert_eq!(parse_hex(b" 0000000"), None);
        assert_eq!(parse_hex(b"+0000001"), None);
    }

    #[test]
    fn align4_rounds_up_and_checks_overflow() {
        assert_eq!(align4(0), Some(0));
        assert_eq!(align4(1), Some(4));
        assert_eq!(align4(4), Some(4));
        assert_eq!(align4(usize::MAX), None);
    }

    #[test]
    fn field_table_matches_indices() {
        assert_eq!(FIELD_NAMES[INO], "c_ino");
        assert_eq!(FIELD_NAMES[MODE], "c_mode");
        assert_eq!(FIELD_NAMES[NLINK], "c_nlink");
        assert_eq!(FIELD_NAMES[FILESIZE], "c_filesize");
        assert_eq!(FIELD_NAMES[NAMESIZE], "c_namesize");
        assert_eq!(HEADER_LEN, MAGIC.len() + 8 * FIELD_NAMES.len());
    }
}
