//! One loadable segment and page arithmetic on it.

/// Size of the pages the loader maps segments with.
pub const PAGE_SIZE: u64 = 4096;

/// Mask of the offset bits within a page.
const PAGE_MASK: u64 = PAGE_SIZE - 1;

/// The access rights a segment asks for (`p_flags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SegmentFlags {
    /// PF_R.
    pub read: bool,
    /// PF_W.
    pub write: bool,
    /// PF_X.
    pub execute: bool,
}

/// One PT_LOAD segment of a validated [`Program`](crate::Program).
///
/// For a segment obtained from a `Program`, `vaddr + mem_size` is at most
/// 2^48, `data.len() <= mem_size`, and the bytes from `data.len()` up to
/// `mem_size` are to be zero-filled (`.bss`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Virtual address of the first byte.
    pub vaddr: u64,
    /// Size in memory, including the zero-filled tail.
    pub mem_size: u64,
    /// The bytes to copy from the file; `len() == p_filesz`.
    pub data: &'a [u8],
    /// Requested access rights.
    pub flags: SegmentFlags,
}

impl Segment<'_> {
    /// The page-aligned `[start, end)` the segment needs mapped.
    ///
    /// Exact for segments from a `Program`. For a hand-built segment whose
    /// end overflows, the end saturates to the last page boundary below
    /// 2^64 rather than panicking.
    pub const fn page_range(&self) -> (u64, u64) {
        let end = self.vaddr.saturating_add(self.mem_size);
        (page_down(self.vaddr), page_up(end))
    }

    /// The end of the segment in memory, `vaddr + mem_size`, saturating.
    pub(crate) const fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.mem_size)
    }

    /// Whether `address` lies in the bytes that come from the file.
    pub(crate) const fn file_backed(&self, address: u64) -> bool {
        let file_end = self.vaddr.saturating_add(self.data.len() as u64);
        address >= self.vaddr && address < file_end
    }
}

/// Rounds down to a page boundary.
pub(crate) const fn page_down(address: u64) -> u64 {
    address & !PAGE_MASK
}

/// Rounds up to a page boundary, saturating at the last one below 2^64.
pub(crate) const fn page_up(address: u64) -> u64 {
    page_down(address.saturating_add(PAGE_MASK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_range_rounds_outwards() {
        let seg = Segment {
            vaddr: 0x1234,
            mem_size: 0x1000,
            data: &[],
            flags: SegmentFlags::default(),
        };
        assert_eq!(seg.page_range(), (0x1000, 0x3000));
    }

    #[test]
    fn page_range_never_overflows() {
        let seg = Segment {
            vaddr: u64::MAX - 10,
            mem_size: u64::MAX,
            data: &[],
            flags: SegmentFlags::default(),
        };
        assert_eq!(seg.page_range(), (!PAGE_MASK, !PAGE_MASK));
    }
}
