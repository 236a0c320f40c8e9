//! Why an image was rejected.

use core::fmt;

/// Why [`Program::parse`](crate::Program::parse) rejected an image.
///
/// Each variant names one rule, so a boot log or a failed spawn says
/// exactly what is wrong with the file. `index` fields are positions in the
/// program header table, as `readelf -l` numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Too short for an ELF identification, or the magic number is wrong.
    NotElf,
    /// Not ELFCLASS64.
    NotElf64,
    /// Not ELFDATA2LSB.
    NotLittleEndian,
    /// The identification or header version is not EV_CURRENT.
    UnsupportedVersion,
    /// The file ends inside the 64-byte ELF header.
    TruncatedHeader,
    /// `e_machine` is not EM_AARCH64; the value found.
    WrongMachine(u16),
    /// ET_DYN: position-independent executables need relocation, which the
    /// loader does not do yet.
    PositionIndependent,
    /// `e_type` is neither ET_EXEC nor ET_DYN; the value found.
    NotExecutable(u16),
    /// The program header table is outside the file, has the wrong entry
    /// size, or its extended count is missing.
    BadProgramHeaderTable,
    /// A PT_INTERP header asks for a dynamic loader.
    Interpreter,
    /// There is no PT_LOAD segment.
    NoLoadableSegments,
    /// More than [`MAX_SEGMENTS`](crate::MAX_SEGMENTS) PT_LOAD segments.
    TooManySegments,
    /// A PT_LOAD segment has `p_memsz` 0, so it maps nothing.
    EmptySegment {
        /// Program header index.
        index: usize,
    },
    /// `p_filesz` is larger than `p_memsz`.
    FileSizeExceedsMemSize {
        /// Program header index.
        index: usize,
    },
    /// `p_offset + p_filesz` is past the end of the file.
    SegmentOutsideFile {
        /// Program header index.
        index: usize,
    },
    /// `p_vaddr + p_memsz` overflows or is above the 48-bit user half.
    SegmentOutsideUserSpace {
        /// Program header index.
        index: usize,
    },
    /// `p_align` is not 0 and not a power of two.
    BadAlignment {
        /// Program header index.
        index: usize,
    },
    /// `p_vaddr` and `p_offset` differ modulo `p_align`.
    MisalignedSegment {
        /// Program header index.
        index: usize,
    },
    /// Two segments occupy the same bytes of memory.
    SegmentsOverlap {
        /// Program header index of the lower segment.
        first: usize,
        /// Program header index of the higher segment.
        second: usize,
    },
    /// Two segments share a 4 KiB page but ask for different permissions,
    /// which one page table entry cannot give.
    SharedPagePermissions {
        /// Program header index of the lower segment.
        first: usize,
        /// Program header index of the higher segment.
        second: usize,
    },
    /// The entry point is not in the file-backed bytes of an executable
    /// segment.
    EntryNotExecutable(u64),
    /// The entry point is not 4-byte aligned, so the first fetch would
    /// take a PC alignment fault.
    EntryMisaligned(u64),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotElf => f.write_str("not an ELF file"),
            Self::NotElf64 => f.write_str("not a 64-bit ELF file"),
            Self::NotLittleEndian => f.write_str("not a little-endian ELF file"),
            Self::UnsupportedVersion => f.write_str("unsupported ELF version"),
            Self::TruncatedHeader => f.write_str("ELF header is truncated"),
            Self::WrongMachine(m) => write!(f, "machine {m} is not AArch64"),
            Self::PositionIndependent => {
                f.write_str("position-independent executable (ET_DYN) not supported")
            }
            Self::NotExecutable(t) => write!(f, "ELF type {t} is not an executable"),
            Self::BadProgramHeaderTable => f.write_str("malformed program header table"),
            Self::Interpreter => f.write_str("dynamically linked (PT_INTERP) not supported"),
            Self::NoLoadableSegments => f.write_str("no loadable segment"),
            Self::TooManySegments => {
                write!(f, "more than {} loadable segments", crate::MAX_SEGMENTS)
            }
            _ => segment_message(self, f),
        }
    }
}

impl core::error::Error for ElfError {}

/// Formats the errors about one or two program headers.
fn segment_message(error: &ElfError, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match *error {
        ElfError::EmptySegment { index } => write!(f, "segment {index} is empty"),
        ElfError::FileSizeExceedsMemSize { index } => {
            write!(f, "segment {index}: file size exceeds memory size")
        }
        ElfError::SegmentOutsideFile { index } => {
            write!(f, "segment {index}: file range is outside the file")
        }
        ElfError::SegmentOutsideUserSpace { index } => {
            write!(f, "segment {index}: address range is outside user space")
        }
        ElfError::BadAlignment { index } => {
            write!(f, "segment {index}: alignment is not a power of two")
        }
        ElfError::MisalignedSegment { index } => {
            write!(
                f,
                "segment {index}: address and offset differ modulo alignment"
            )
        }
        ElfError::SegmentsOverlap { first, second } => {
            write!(f, "segments {first} and {second} overlap")
        }
        ElfError::SharedPagePermissions { first, second } => write!(
            f,
            "segments {first} and {second} share a page with different permissions"
        ),
        ElfError::EntryNotExecutable(entry) => {
            write!(f, "entry point {entry:#x} is not in an executable segment")
        }
        ElfError::EntryMisaligned(entry) => {
            write!(f, "entry point {entry:#x} is not 4-byte aligned")
        }
        _ => f.write_str("invalid ELF file"),
    }
}
