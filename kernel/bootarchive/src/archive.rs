//! Parsing an archive and walking its entries.

use core::iter::FusedIterator;

use crate::Error;
use crate::header::{
    FILESIZE, HEADER_LEN, Header, MAX_NAME_LEN, MODE, NAMESIZE, TRAILER_NAME, align4,
};

/// A validated boot archive borrowed from memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Archive<'a> {
    /// The archive bytes, from the first header to the end of the trailer.
    data: &'a [u8],
    /// The number of entries before the trailer.
    count: usize,
}

/// One file (or directory, link, …) of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The entry's path as stored, such as `rootserver` or `./bin/init`.
    pub name: &'a str,
    /// The `st_mode` bits: file type and permissions, such as `0o100644`.
    pub mode: u32,
    /// The entry's contents (empty for directories).
    pub data: &'a [u8],
}

/// An iterator over the entries of an [`Archive`], in archive order.
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    data: &'a [u8],
    offset: usize,
    remaining: usize,
}

/// One entry as found in the archive, with where the next one starts.
struct Record<'a> {
    entry: Entry<'a>,
    next: usize,
}

impl<'a> Archive<'a> {
    /// Validates the whole archive (every header, every name, the data
    /// bounds, the trailer) once.
    ///
    /// Bytes after the trailer entry, such as the zero padding that `cpio`
    /// adds to fill a block, are ignored.
    pub fn parse(data: &'a [u8]) -> Result<Archive<'a>, Error> {
        let mut offset = 0;
        let mut count = 0;
        loop {
            if offset == data.len() {
                return Err(Error::MissingTrailer);
            }
            let record = read_record(data, offset)?;
            if record.entry.name == TRAILER_NAME {
                let data = data.get(..record.next).ok_or(Error::Truncated { offset })?;
                return Ok(Archive { data, count });
            }
            count += 1;
            offset = record.next;
        }
    }

    /// Entries in archive order, trailer excluded. Infallible because
    /// [`Archive::parse`] validated everything.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            data: self.data,
            offset: 0,
            remaining: self.count,
        }
    }

    /// The number of entries, trailer excluded.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the archive holds only the trailer.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first entry whose name is exactly `name`.
    pub fn get(&self, name: &str) -> Option<Entry<'a>> {
        self.entries().find(|entry| entry.name == name)
    }

    /// The archive's bytes up to and including the trailer entry.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.remaining == 0 {
            return None;
        }
        // `Archive::parse` checked this record, so it cannot fail here.
        let record = read_record(self.data, self.offset).ok()?;
        self.offset = record.next;
        self.remaining -= 1;
        Some(record.entry)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl FusedIterator for Entries<'_> {}

/// Reads and checks the entry whose header starts at `offset`.
fn read_record(data: &[u8], offset: usize) -> Result<Record<'_>, Error> {
    let header = Header::read(data, offset)?;
    let truncated = Error::Truncated { offset };
    let name_start = offset.checked_add(HEADER_LEN).ok_or(truncated)?;
    let name = read_name(data, offset, name_start, header.fields[NAMESIZE])?;
    let data_start = name_start
        .checked_add(name.len() + 1)
        .and_then(align4)
        .ok_or(truncated)?;
    let size = usize::try_from(header.fields[FILESIZE]).map_err(|_| truncated)?;
    let data_end = data_start.checked_add(size).ok_or(truncated)?;
    let contents = data.get(data_start..data_end).ok_or(truncated)?;
    let next = align4(data_end)
        .filter(|&next| next <= data.len())
        .ok_or(truncated)?;
    if name == TRAILER_NAME && size != 0 {
        return Err(Error::BadField {
            offset,
            field: "c_filesize",
        });
    }
    let entry = Entry {
        name,
        mode: header.fields[MODE],
        data: contents,
    };
    Ok(Record { entry, next })
}

/// Reads the name of `namesize` bytes (NUL included) at `start`, for the
/// entry whose header is at `offset`.
fn read_name(data: &[u8], offset: usize, start: usize, namesize: u32) -> Result<&str, Error> {
    let size = usize::try_from(namesize).map_err(|_| Error::BadName { offset })?;
    if !(2..=MAX_NAME_LEN + 1).contains(&size) {
        return Err(Error::BadName { offset });
    }
    let end = start.checked_add(size).ok_or(Error::Truncated { offset })?;
    let bytes = data.get(start..end).ok_or(Error::Truncated { offset })?;
    let (name, nul) = bytes.split_at(size - 1);
    if nul != [0] || name.contains(&0) {
        return Err(Error::BadName { offset });
    }
    core::str::from_utf8(name).map_err(|_| Error::BadName { offset })
}

#[cfg(test)]
mod tests;
