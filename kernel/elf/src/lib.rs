//! A validated view of a static AArch64 ELF64 executable.
//!
//! The kernel loads the rootserver from the boot archive with it, and the
//! user-level runtime starts programs with it. Both trust nothing about
//! the file, so [`Program::parse`] checks everything a loader relies on
//! before any byte is copied; after that, loading is plain iteration over
//! [`Program::segments`] with no error paths.
//!
//! Accepted files are ELF64, little-endian, EM_AARCH64 and ET_EXEC with no
//! PT_INTERP. Position-independent (ET_DYN) files are refused until the
//! loader can relocate them. The file header and program headers are read
//! by hand, with bounds-checked little-endian reads, rather than through a
//! general object-file crate: such crates need `alloc`, and the kernel has
//! no allocator.
//!
//! Rules for the PT_LOAD segments, of which there are 1 to
//! [`MAX_SEGMENTS`]:
//!
//! - `p_memsz` is not 0, `p_filesz <= p_memsz`, and the file bytes are in
//!   the file;
//! - `p_vaddr + p_memsz` does not overflow and is at most 2^48, so every
//!   segment lies in the user half of a 48-bit address space;
//! - `p_align` is 0, 1 or a power of two, with `p_vaddr ≡ p_offset`
//!   modulo it;
//! - no two segments share a byte of memory, and two segments may share a
//!   4 KiB page only if their permissions are identical (the loader maps
//!   that page once, with those permissions);
//! - the entry point is 4-byte aligned and inside the file-backed part of
//!   an executable segment.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod header;
mod layout;
mod phdr;
mod read;
mod segment;

pub use error::ElfError;
pub use segment::{PAGE_SIZE, Segment, SegmentFlags};

use layout::Table;

/// The most PT_LOAD segments a program may have. The table is kept inline
/// so parsing needs no allocator; real programs have three or four.
pub const MAX_SEGMENTS: usize = 16;

/// A static AArch64 executable that passed every check in the crate
/// documentation.
#[derive(Clone)]
pub struct Program<'a> {
    /// `e_entry`.
    entry: u64,
    /// The PT_LOAD segments in address order.
    segments: Table<'a>,
}

impl<'a> Program<'a> {
    /// Validates `data` as a static AArch64 executable.
    ///
    /// Never panics, whatever `data` holds, and does not allocate.
    pub fn parse(data: &'a [u8]) -> Result<Self, ElfError> {
        let header = header::parse(data)?;
        let segments = layout::collect(header.program_headers, data)?;
        layout::check_entry(header.entry, segments.used())?;
        Ok(Self {
            entry: header.entry,
            segments,
        })
    }

    /// The virtual address of the first instruction.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The PT_LOAD segments, in increasing address order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'a>> + '_ {
        self.segments.used().iter().map(|l| l.segment)
    }

    /// The page-aligned `[start, end)` that all segments span together,
    /// for reserving the program's part of the address space.
    pub fn extent(&self) -> (u64, u64) {
        let used = self.segments.used();
        let start = used.first().map_or(0, |l| l.segment.page_range().0);
        // Segments are sorted and disjoint, so the last one ends highest.
        let end = used.last().map_or(0, |l| l.segment.page_range().1);
        (start, end)
    }
}

impl core::fmt::Debug for Program<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Program")
            .field("entry", &self.entry)
            .field("segments", &self.segments.used())
            .finish()
    }
}
