//! Writing archives on the host (`std` feature).

use core::fmt;
use std::collections::BTreeSet;
use std::vec::Vec;

use crate::header::{
    FILESIZE, Header, INO, MAX_NAME_LEN, MODE, NAMESIZE, NLINK, TRAILER_NAME, align4,
};

/// The mode of every written entry: a regular file, `rw-r--r--`.
const FILE_MODE: u32 = 0o100_644;

/// Why [`write()`] refused its entries. `index` is the entry's position in
/// the slice given to [`write()`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The name is empty.
    EmptyName {
        /// Position of the entry.
        index: usize,
    },
    /// The name is longer than [`MAX_NAME_LEN`] bytes.
    NameTooLong {
        /// Position of the entry.
        index: usize,
    },
    /// The name contains a NUL byte.
    NulInName {
        /// Position of the entry.
        index: usize,
    },
    /// The name is `TRAILER!!!`, which would end the archive.
    ReservedName {
        /// Position of the entry.
        index: usize,
    },
    /// An earlier entry has the same name.
    DuplicateName {
        /// Position of the second entry with the name.
        index: usize,
    },
    /// The data is 4 GiB or larger, more than `c_filesize` can hold.
    DataTooLarge {
        /// Position of the entry.
        index: usize,
    },
    /// There are more entries than `c_ino` can number.
    TooManyEntries,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (index, problem) = match *self {
            Self::EmptyName { index } => (index, "has an empty name"),
            Self::NameTooLong { index } => (index, "has a name longer than 4095 bytes"),
            Self::NulInName { index } => (index, "has a NUL byte in its name"),
            Self::ReservedName { index } => (index, "is named TRAILER!!!, which ends an archive"),
            Self::DuplicateName { index } => (index, "has the name of an earlier entry"),
            Self::DataTooLarge { index } => (index, "has 4 GiB of data or more"),
            Self::TooManyEntries => return f.write_str("too many boot archive entries"),
        };
        write!(f, "boot archive entry {index} {problem}")
    }
}

impl std::error::Error for WriteError {}

/// Writes a newc archive of regular files (mode `0o100644`, inode = index
/// + 1, one link, mtime 0) followed by the trailer.
///
/// The archive ends right after the trailer's padding; it is not padded to
/// a 512-byte block.
pub fn write(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, WriteError> {
    check_entries(entries)?;
    let mut out = Vec::new();
    for (index, &(name, data)) in entries.iter().enumerate() {
        let ino = index
            .checked_add(1)
            .and_then(|ino| u32::try_from(ino).ok())
            .ok_or(WriteError::TooManyEntries)?;
        let size = u32::try_from(data.len()).map_err(|_| WriteError::DataTooLarge { index })?;
        push_entry(&mut out, header(ino, FILE_MODE, size, name), name, data);
    }
    push_entry(&mut out, header(0, 0, 0, TRAILER_NAME), TRAILER_NAME, &[]);
    Ok(out)
}

/// Checks every name and data length before anything is written.
fn check_entries(entries: &[(&str, &[u8])]) -> Result<(), WriteError> {
    let mut seen = BTreeSet::new();
    for (index, &(name, data)) in entries.iter().enumerate() {
        check_name(index, name)?;
        if u32::try_from(data.len()).is_err() {
            return Err(WriteError::DataTooLarge { index });
        }
        if !seen.insert(name) {
            return Err(WriteError::DuplicateName { index });
        }
    }
    Ok(())
}

/// Checks one name against what [`Archive::parse`](crate::Archive::parse)
/// accepts.
fn check_name(index: usize, name: &str) -> Result<(), WriteError> {
    if name.is_empty() {
        Err(WriteError::EmptyName { index })
    } else if name.len() > MAX_NAME_LEN {
        Err(WriteError::NameTooLong { index })
    } else if name.contains('\0') {
        Err(WriteError::NulInName { index })
    } else if name == TRAILER_NAME {
        Err(WriteError::ReservedName { index })
    } else {
        Ok(())
    }
}

/// The header of an entry; `name` is at most [`MAX_NAME_LEN`] bytes.
fn header(ino: u32, mode: u32, size: u32, name: &str) -> Header {
    let mut header = Header::default();
    header.fields[INO] = ino;
    header.fields[MODE] = mode;
    header.fields[NLINK] = 1;
    header.fields[FILESIZE] = size;
    // A checked name is shorter than 4096 bytes, so this cannot saturate.
    header.fields[NAMESIZE] = u32::try_from(name.len() + 1).unwrap_or(u32::MAX);
    header
}

/// Appends one entry: header, padded name, padded data.
fn push_entry(out: &mut Vec<u8>, header: Header, name: &str, data: &[u8]) {
    header.encode(out);
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

/// Appends zeros up to the next multiple of 4 bytes.
fn pad4(out: &mut Vec<u8>) {
    let len = align4(out.len()).unwrap_or(out.len());
    out.resize(len, 0);
}

#[cfg(test)]
mod tests;
