//! The FDT header and the blocks it points to.

use crate::Error;
use crate::cells::be32;
use crate::platform::Region;

/// The magic number that starts every blob.
const MAGIC: u32 = 0xd00d_feed;

/// The size of a version 17 header.
const HEADER_LEN: usize = 40;

/// The oldest version with `size_dt_struct`, and the newest we can read.
const VERSION: u32 = 17;

/// Size of one memory reservation entry (address and size, both 64-bit).
const RESERVATION_LEN: usize = 16;

/// Reads the FDT header's magic and totalsize from its first 8+ bytes, so
/// the kernel can make a slice from the `x0` pointer.
///
/// Fails with [`Error::Truncated`] for fewer than 8 bytes and with
/// [`Error::BadHeader`] for a wrong magic or a size smaller than a header.
pub fn header_total_size(header: &[u8]) -> Result<usize, Error> {
    let magic = be32(header, 0).ok_or(Error::Truncated)?;
    let total = be32(header, 4).ok_or(Error::Truncated)?;
    let total = usize::try_from(total).map_err(|_| Error::BadHeader)?;
    if magic != MAGIC || total < HEADER_LEN {
        return Err(Error::BadHeader);
    }
    Ok(total)
}

/// The blob cut to `totalsize`, and its three blocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Blocks<'a> {
    /// The whole blob, exactly `totalsize` bytes.
    pub(crate) dtb: &'a [u8],
    /// The structure block.
    pub(crate) structure: &'a [u8],
    /// The strings block.
    pub(crate) strings: &'a [u8],
    /// From the memory reservation block to the end of the blob.
    reservations: &'a [u8],
}

impl<'a> Blocks<'a> {
    /// Checks the header of `dtb` and finds its blocks.
    pub(crate) fn read(dtb: &'a [u8]) -> Result<Self, Error> {
        let total = header_total_size(dtb)?;
        let dtb = dtb.get(..total).ok_or(Error::Truncated)?;
        let field = |index: usize| be32(dtb, 4 * index).ok_or(Error::Truncated);
        if field(5)? < VERSION || field(6)? > VERSION {
            return Err(Error::Unsupported);
        }
        Ok(Self {
            dtb,
            structure: block(dtb, field(2)?, field(9)?)?,
            strings: block(dtb, field(3)?, field(8)?)?,
            reservations: tail(dtb, field(4)?)?,
        })
    }

    /// The entries of the memory reservation block, up to its terminator.
    pub(crate) fn reservations(&self) -> impl Iterator<Item = Region> + 'a {
        self.reservations
            .chunks_exact(RESERVATION_LEN)
            .map(|entry| Region {
                base: be64(entry, 0),
                size: be64(entry, 8),
            })
            .take_while(|region| *region != Region { base: 0, size: 0 })
    }
}

/// The `size` bytes at `offset` of `dtb`, if they lie after the header.
fn block(dtb: &[u8], offset: u32, size: u32) -> Result<&[u8], Error> {
    let size = usize::try_from(size).map_err(|_| Error::BadHeader)?;
    tail(dtb, offset)?.get(..size).ok_or(Error::BadHeader)
}

/// The bytes of `dtb` from `offset` on, if `offset` lies after the header.
fn tail(dtb: &[u8], offset: u32) -> Result<&[u8], Error> {
    let start = usize::try_from(offset).map_err(|_| Error::BadHeader)?;
    if start < HEADER_LEN {
        return Err(Error::BadHeader);
    }
    dtb.get(start..).ok_or(Error::BadHeader)
}

/// The big-endian u64 at `at` of an entry known to hold 16 bytes.
fn be64(entry: &[u8], at: usize) -> u64 {
    let high = be32(entry, at).unwrap_or(0);
    let low = be32(entry, at + 4).unwrap_or(0);
    u64::from(high) << 32 | u64::from(low)
}

#[cfg(test)]
mod tests;
