//! A full check of the structure block before any other code reads it.
//!
//! The `fdt` crate trusts the blob: it indexes, unwraps and asserts on what
//! it reads. This pass walks every token once and accepts only a tree on
//! which those reads cannot fail: every token, name and property inside the
//! structure block, every property name inside the strings block and UTF-8,
//! nodes balanced with properties before children, one root named `""`,
//! then `FDT_END`.

use crate::Error;
use crate::cells::be32;

/// The deepest nesting accepted; the root is at depth 1.
///
/// Both the `fdt` crate's node skipping and our walk recurse once per level,
/// so this bounds their stack use.
pub const MAX_DEPTH: usize = 16;

const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// Checks that `structure` is a well-formed tree whose property names are
/// strings of `strings`.
pub(crate) fn check(structure: &[u8], strings: &[u8]) -> Result<(), Error> {
    let mut cursor = Cursor {
        block: structure,
        position: 0,
    };
    let mut depth = 0;
    let mut properties_allowed = false;
    loop {
        match cursor.token()? {
            FDT_BEGIN_NODE => {
                begin_node(&mut cursor, depth)?;
                depth += 1;
                properties_allowed = true;
            }
            FDT_PROP if properties_allowed => property(&mut cursor, strings)?,
            FDT_END_NODE if depth > 0 => {
                depth -= 1;
                properties_allowed = false;
                if depth == 0 {
                    return end(&mut cursor);
                }
            }
            FDT_NOP => return Err(Error::Unsupported),
            _ => return Err(Error::Malformed),
        }
    }
}

/// Checks a node's name; `depth` is the depth of its parent (0 for the root).
fn begin_node(cursor: &mut Cursor<'_>, depth: usize) -> Result<(), Error> {
    let name = cursor.name()?;
    if depth == 0 && !name.is_empty() {
        return Err(Error::Malformed);
    }
    if depth >= MAX_DEPTH {
        return Err(Error::Unsupported);
    }
    Ok(())
}

/// Checks a property's value and name.
fn property(cursor: &mut Cursor<'_>, strings: &[u8]) -> Result<(), Error> {
    let len = usize::try_from(cursor.token()?).map_err(|_| Error::Malformed)?;
    let name_offset = usize::try_from(cursor.token()?).map_err(|_| Error::Malformed)?;
    cursor.skip_padded(len)?;
    let name = strings.get(name_offset..).ok_or(Error::Malformed)?;
    c_str(name).map(|_| ())
}

/// Checks that the root's end is followed by `FDT_END`.
fn end(cursor: &mut Cursor<'_>) -> Result<(), Error> {
    match cursor.token()? {
        FDT_END => Ok(()),
        FDT_NOP => Err(Error::Unsupported),
        _ => Err(Error::Malformed),
    }
}

/// The UTF-8 string before the first NUL of `bytes`, which must have one.
fn c_str(bytes: &[u8]) -> Result<&str, Error> {
    let len = bytes
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(Error::Malformed)?;
    let text = bytes.get(..len).ok_or(Error::Malformed)?;
    core::str::from_utf8(text).map_err(|_| Error::Malformed)
}

/// A reading position in the structure block, always 4-byte aligned.
struct Cursor<'a> {
    block: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    /// Reads one big-endian u32 (a token, or a property header word).
    fn token(&mut self) -> Result<u32, Error> {
        let value = be32(self.block, self.position).ok_or(Error::Malformed)?;
        self.position += 4;
        Ok(value)
    }

    /// Reads a NUL-terminated node name and its padding.
    fn name(&mut self) -> Result<&'a str, Error> {
        let rest = self.block.get(self.position..).ok_or(Error::Malformed)?;
        let name = c_str(rest)?;
        self.skip_padded(name.len() + 1)?;
        Ok(name)
    }

    /// Skips `len` bytes and the padding to the next multiple of 4.
    fn skip_padded(&mut self, len: usize) -> Result<(), Error> {
        self.position = self
            .position
            .checked_add(len)
            .and_then(|end| end.checked_add(3))
            .map(|end| end & !3)
            .filter(|&end| end <= self.block.len())
            .ok_or(Error::Malformed)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
