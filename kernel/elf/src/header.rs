//! Checks of the ELF identification and file header, and location of the
//! program header table.
//!
//! Field offsets and values are those of the System V gABI ("ELF Header",
//! "Sections", "Program Header") for ELF64. Each check has its own
//! [`ElfError`] so that a refusal says which rule the file broke.

use crate::ElfError;
use crate::phdr::{PHDR_SIZE, ProgramHeaders};
use crate::read::{bytes_at, u16_at, u32_at, u64_at};

/// Size of the ELF64 file header; shorter files are refused outright.
const EHDR_SIZE: usize = 64;
/// Size of an ELF64 section header. Section 0 is read only to find an
/// extended program header count, and only if `e_shentsize` says this.
const SHDR_SIZE: u16 = 64;
/// Offset of `sh_info` in a section header: the extended `e_phnum`.
const SH_INFO: usize = 44;

/// `EI_MAG0..EI_MAG3`.
const ELFMAG: [u8; 4] = *b"\x7fELF";
/// `EI_CLASS` of 64-bit files.
const ELFCLASS64: u8 = 2;
/// `EI_DATA` of little-endian files.
const ELFDATA2LSB: u8 = 1;
/// The only ELF version, in `EI_VERSION` and `e_version`.
const EV_CURRENT: u8 = 1;
/// `e_machine` of AArch64.
const EM_AARCH64: u16 = 183;
/// `e_type` of a fixed-address executable.
const ET_EXEC: u16 = 2;
/// `e_type` of a shared object or position-independent executable.
const ET_DYN: u16 = 3;
/// `e_phnum` meaning "the count is in section 0's `sh_info`".
const PN_XNUM: u16 = 0xFFFF;

/// What the rest of the parser needs from the file header.
pub(crate) struct Header<'a> {
    /// `e_entry`.
    pub(crate) entry: u64,
    /// The program header table, already bounds-checked against the file.
    pub(crate) program_headers: ProgramHeaders<'a>,
}

/// The file header fields the parser looks at, read from the first 64
/// bytes of the file.
struct FileHeader {
    /// `EI_CLASS`.
    class: u8,
    /// `EI_DATA`.
    data: u8,
    /// `EI_VERSION`.
    ident_version: u8,
    /// `e_type`.
    e_type: u16,
    /// `e_machine`.
    machine: u16,
    /// `e_version`.
    version: u32,
    /// `e_entry`.
    entry: u64,
    /// `e_phoff`.
    phoff: u64,
    /// `e_shoff`.
    shoff: u64,
    /// `e_phentsize`.
    phentsize: u16,
    /// `e_phnum`.
    phnum: u16,
    /// `e_shentsize`.
    shentsize: u16,
}

impl FileHeader {
    /// Reads the fields, or `None` if `data` is shorter than the header.
    ///
    /// Taking the 64 bytes first means a short file fails here as a whole
    /// and not at whichever field happens to be cut.
    fn read(data: &[u8]) -> Option<Self> {
        let h: &[u8] = data.first_chunk::<EHDR_SIZE>()?;
        Some(Self {
            class: *h.get(4)?,
            data: *h.get(5)?,
            ident_version: *h.get(6)?,
            e_type: u16_at(h, 16)?,
            machine: u16_at(h, 18)?,
            version: u32_at(h, 20)?,
            entry: u64_at(h, 24)?,
            phoff: u64_at(h, 32)?,
            shoff: u64_at(h, 40)?,
            phentsize: u16_at(h, 54)?,
            phnum: u16_at(h, 56)?,
            shentsize: u16_at(h, 58)?,
        })
    }
}

/// Validates the identification and file header of `data`.
pub(crate) fn parse(data: &[u8]) -> Result<Header<'_>, ElfError> {
    // A file too short for the header is still told apart by its magic
    // number: a cut-off ELF file and something else get different errors.
    let Some(header) = FileHeader::read(data) else {
        return Err(short_file_error(data));
    };
    check_ident(data, &header)?;
    check_file_header(&header)?;
    let program_headers = program_headers(data, &header)?;
    Ok(Header {
        entry: header.entry,
        program_headers,
    })
}

/// The error for a file shorter than an ELF header: truncated if it starts
/// like an ELF file, not an ELF file otherwise.
fn short_file_error(data: &[u8]) -> ElfError {
    if data.starts_with(&ELFMAG) {
        ElfError::TruncatedHeader
    } else {
        ElfError::NotElf
    }
}

/// Checks `e_ident` field by field so that each mismatch has its own error.
fn check_ident(data: &[u8], header: &FileHeader) -> Result<(), ElfError> {
    if !data.starts_with(&ELFMAG) {
        return Err(ElfError::NotElf);
    }
    if header.class != ELFCLASS64 {
        return Err(ElfError::NotElf64);
    }
    if header.data != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian);
    }
    if header.ident_version != EV_CURRENT {
        return Err(ElfError::UnsupportedVersion);
    }
    Ok(())
}

/// Checks machine, type and version.
fn check_file_header(header: &FileHeader) -> Result<(), ElfError> {
    if header.machine != EM_AARCH64 {
        return Err(ElfError::WrongMachine(header.machine));
    }
    match header.e_type {
        ET_EXEC => {}
        ET_DYN => return Err(ElfError::PositionIndependent),
        other => return Err(ElfError::NotExecutable(other)),
    }
    if header.version != u32::from(EV_CURRENT) {
        return Err(ElfError::UnsupportedVersion);
    }
    Ok(())
}

/// Finds the program header table and checks that it lies in the file.
///
/// `e_phoff` 0 or a count of 0 mean "no program headers", which is not an
/// error here (the caller then finds no PT_LOAD segment). Otherwise every
/// entry must be exactly [`PHDR_SIZE`] bytes, since that is the only
/// layout the reader knows, and the whole table must be inside the file.
fn program_headers<'a>(
    data: &'a [u8],
    header: &FileHeader,
) -> Result<ProgramHeaders<'a>, ElfError> {
    if header.phoff == 0 {
        return Ok(ProgramHeaders::EMPTY);
    }
    let count = program_header_count(data, header)?;
    if count == 0 {
        return Ok(ProgramHeaders::EMPTY);
    }
    if header.phentsize != PHDR_SIZE {
        return Err(ElfError::BadProgramHeaderTable);
    }
    // At most (2^32 - 1) * 56, so this cannot overflow; checked anyway.
    let size = u64::from(count)
        .checked_mul(u64::from(PHDR_SIZE))
        .ok_or(ElfError::BadProgramHeaderTable)?;
    let table = bytes_at(data, header.phoff, size).ok_or(ElfError::BadProgramHeaderTable)?;
    Ok(ProgramHeaders::new(table))
}

/// The number of program headers, from `e_phnum` or, when that is
/// [`PN_XNUM`], from `sh_info` of section 0 (gABI "Sections", extended
/// numbering). A file that claims an extended count must have section 0.
fn program_header_count(data: &[u8], header: &FileHeader) -> Result<u32, ElfError> {
    if header.phnum < PN_XNUM {
        return Ok(u32::from(header.phnum));
    }
    if header.shoff == 0 || header.shentsize != SHDR_SIZE {
        return Err(ElfError::BadProgramHeaderTable);
    }
    bytes_at(data, header.shoff, u64::from(SHDR_SIZE))
        .and_then(|section_0| u32_at(section_0, SH_INFO))
        .ok_or(ElfError::BadProgramHeaderTable)
}
