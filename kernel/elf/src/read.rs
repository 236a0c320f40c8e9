//! Bounds-checked little-endian reads from the file.
//!
//! Every read returns `None` instead of panicking when the bytes are not
//! all in the slice, so no input can make the parser index out of bounds.
//! Reads copy bytes out, so the file needs no particular alignment.

/// The `N` bytes at `offset`, or `None` if they are not all in `data`.
fn array_at<const N: usize>(data: &[u8], offset: usize) -> Option<[u8; N]> {
    data.get(offset..)?.first_chunk::<N>().copied()
}

/// The little-endian `u16` at `offset`.
pub(crate) fn u16_at(data: &[u8], offset: usize) -> Option<u16> {
    array_at(data, offset).map(u16::from_le_bytes)
}

/// The little-endian `u32` at `offset`.
pub(crate) fn u32_at(data: &[u8], offset: usize) -> Option<u32> {
    array_at(data, offset).map(u32::from_le_bytes)
}

/// The little-endian `u64` at `offset`.
pub(crate) fn u64_at(data: &[u8], offset: usize) -> Option<u64> {
    array_at(data, offset).map(u64::from_le_bytes)
}

/// The `size` bytes at `offset`, with both taken from 64-bit file fields.
///
/// `None` if any of the bytes is past the end of `data`. The end is never
/// computed as `offset + size`, so huge values cannot wrap around into the
/// file. Zero bytes are always available, wherever they are said to be,
/// because nothing is read.
pub(crate) fn bytes_at(data: &[u8], offset: u64, size: u64) -> Option<&[u8]> {
    if size == 0 {
        return Some(&[]);
    }
    let offset = usize::try_from(offset).ok()?;
    let size = usize::try_from(size).ok()?;
    data.get(offset..)?.get(..size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_fields() {
        let data = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(u16_at(&data, 0), Some(0x0201));
        assert_eq!(u32_at(&data, 1), Some(0x0504_0302));
        assert_eq!(u64_at(&data, 1), Some(0x0908_0706_0504_0302));
    }

    #[test]
    fn reads_past_the_end_are_none() {
        let data = [0u8; 8];
        assert_eq!(u16_at(&data, 7), None);
        assert_eq!(u32_at(&data, 5), None);
        assert_eq!(u64_at(&data, 1), None);
        assert_eq!(u64_at(&data, usize::MAX), None);
        assert_eq!(u16_at(&[], 0), None);
    }

    #[test]
    fn byte_ranges_are_checked_without_wrapping() {
        let data = [0u8; 16];
        assert_eq!(bytes_at(&data, 4, 12).map(<[u8]>::len), Some(12));
        assert_eq!(bytes_at(&data, 4, 13), None);
        assert_eq!(bytes_at(&data, 17, 1), None);
        // offset + size wraps to 8, which a naive sum would accept.
        assert_eq!(bytes_at(&data, u64::MAX - 7, 16), None);
        assert_eq!(bytes_at(&data, 8, u64::MAX), None);
        // Empty ranges are fine anywhere.
        assert_eq!(bytes_at(&data, u64::MAX, 0), Some(&[][..]));
    }
}
