//! Checks of each PT_LOAD segment and of how the segments fit together.

use crate::phdr::{PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, ProgramHeader, ProgramHeaders};
use crate::read::bytes_at;
use crate::segment::{Segment, SegmentFlags, page_down, page_up};
use crate::{ElfError, MAX_SEGMENTS};

/// The first address above the user half of a 48-bit address space.
pub(crate) const USER_LIMIT: u64 = 1 << 48;

/// A validated segment with the program header index it came from, kept
/// so that errors about pairs of segments can name both.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Loaded<'a> {
    /// The segment.
    pub(crate) segment: Segment<'a>,
    /// Its index in the program header table.
    pub(crate) index: usize,
}

/// A placeholder for unused slots of the fixed-size segment table.
pub(crate) const UNUSED: Loaded<'static> = Loaded {
    segment: Segment {
        vaddr: 0,
        mem_size: 0,
        data: &[],
        flags: SegmentFlags {
            read: false,
            write: false,
            execute: false,
        },
    },
    index: 0,
};

/// The PT_LOAD segments of a file, sorted by address.
#[derive(Clone)]
pub(crate) struct Table<'a> {
    /// Slots `..count` are in use.
    pub(crate) slots: [Loaded<'a>; MAX_SEGMENTS],
    /// Number of slots in use, at least 1.
    pub(crate) count: usize,
}

impl<'a> Table<'a> {
    /// The used slots.
    pub(crate) fn used(&self) -> &[Loaded<'a>] {
        self.slots.get(..self.count).unwrap_or(&[])
    }
}

/// Validates every program header and collects the PT_LOAD segments,
/// sorted by virtual address and checked against each other.
pub(crate) fn collect<'a>(
    headers: ProgramHeaders<'_>,
    data: &'a [u8],
) -> Result<Table<'a>, ElfError> {
    let mut table = Table {
        slots: [UNUSED; MAX_SEGMENTS],
        count: 0,
    };
    for (index, header) in headers.iter().enumerate() {
        let header = header?;
        match header.p_type {
            PT_LOAD => push(&mut table, load(&header, index, data)?)?,
            PT_INTERP => return Err(ElfError::Interpreter),
            _ => {}
        }
    }
    if table.count == 0 {
        return Err(ElfError::NoLoadableSegments);
    }
    let used = table.slots.get_mut(..table.count).unwrap_or(&mut []);
    used.sort_unstable_by_key(|l| l.segment.vaddr);
    check_neighbours(table.used())?;
    Ok(table)
}

/// Appends a segment, refusing the one past [`MAX_SEGMENTS`].
fn push<'a>(table: &mut Table<'a>, loaded: Loaded<'a>) -> Result<(), ElfError> {
    let slot = table
        .slots
        .get_mut(table.count)
        .ok_or(ElfError::TooManySegments)?;
    *slot = loaded;
    table.count = table.count.saturating_add(1);
    Ok(())
}

/// Validates one PT_LOAD header on its own.
fn load<'a>(header: &ProgramHeader, index: usize, data: &'a [u8]) -> Result<Loaded<'a>, ElfError> {
    let vaddr = header.p_vaddr;
    let mem_size = header.p_memsz;
    let file_size = header.p_filesz;
    if mem_size == 0 {
        return Err(ElfError::EmptySegment { index });
    }
    if file_size > mem_size {
        return Err(ElfError::FileSizeExceedsMemSize { index });
    }
    let bytes =
        bytes_at(data, header.p_offset, file_size).ok_or(ElfError::SegmentOutsideFile { index })?;
    match vaddr.checked_add(mem_size) {
        Some(end) if end <= USER_LIMIT => {}
        _ => return Err(ElfError::SegmentOutsideUserSpace { index }),
    }
    check_alignment(header, index)?;
    let segment = Segment {
        vaddr,
        mem_size,
        data: bytes,
        flags: flags(header.p_flags),
    };
    Ok(Loaded { segment, index })
}

/// `p_align` must be 0 or 1 (no constraint) or a power of two that
/// `p_vaddr` and `p_offset` agree modulo.
fn check_alignment(header: &ProgramHeader, index: usize) -> Result<(), ElfError> {
    let align = header.p_align;
    if align <= 1 {
        return Ok(());
    }
    if !align.is_power_of_two() {
        return Err(ElfError::BadAlignment { index });
    }
    let low = align.wrapping_sub(1);
    if header.p_vaddr & low != header.p_offset & low {
        return Err(ElfError::MisalignedSegment { index });
    }
    Ok(())
}

/// Translates `p_flags`; unknown bits are ignored.
fn flags(p_flags: u32) -> SegmentFlags {
    SegmentFlags {
        read: p_flags & PF_R != 0,
        write: p_flags & PF_W != 0,
        execute: p_flags & PF_X != 0,
    }
}

/// Checks each pair of address-adjacent segments.
///
/// Segments must not share a byte. They may share a page only if they ask
/// for the same permissions: the loader maps that page once with those
/// rights and copies both segments into it, and nothing gets rights it did
/// not ask for. Checking neighbours suffices: in address order with
/// disjoint byte ranges, a page shared by several segments is shared by
/// each adjacent pair among them, and equality of flags is transitive.
fn check_neighbours(sorted: &[Loaded<'_>]) -> Result<(), ElfError> {
    for pair in sorted.windows(2) {
        let (Some(low), Some(high)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let (first, second) = (low.index, high.index);
        if low.segment.end() > high.segment.vaddr {
            return Err(ElfError::SegmentsOverlap { first, second });
        }
        let shares_page = page_up(low.segment.end()) > page_down(high.segment.vaddr);
        if shares_page && low.segment.flags != high.segment.flags {
            return Err(ElfError::SharedPagePermissions { first, second });
        }
    }
    Ok(())
}

/// The entry point must be 4-byte aligned and inside the file-backed bytes
/// of an executable segment: zero-filled memory holds no instructions.
pub(crate) fn check_entry(entry: u64, segments: &[Loaded<'_>]) -> Result<(), ElfError> {
    if !entry.is_multiple_of(4) {
        return Err(ElfError::EntryMisaligned(entry));
    }
    let executable = segments
        .iter()
        .any(|l| l.segment.flags.execute && l.segment.file_backed(entry));
    if executable {
        Ok(())
    } else {
        Err(ElfError::EntryNotExecutable(entry))
    }
}
