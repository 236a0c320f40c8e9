//! The checks the parser makes itself when it locates the program header
//! table: entry size, bounds against the file (without wrapping), the
//! "no program headers" cases, and the extended count in section 0.

mod common;

use common::{Builder, PAGE, PF_R, PF_W, check_invariants};
use tessera_elf::{ElfError, Program};

/// Where the tests put section header 0: in the first page, after the
/// program headers and before the first segment's bytes.
const SHOFF: usize = 0x800;

/// Parses `file`, checking the invariants if it is accepted.
fn parse(file: &[u8]) -> Result<(), ElfError> {
    let program = Program::parse(file)?;
    check_invariants(file, &program);
    Ok(())
}

/// Writes a little-endian value into `file` at `at`.
fn patch(file: &mut [u8], at: usize, bytes: &[u8]) {
    file[at..at + bytes.len()].copy_from_slice(bytes);
}

/// The default program with `e_phnum` = PN_XNUM and section header 0 at
/// `shoff`, whose `sh_info` holds `count`.
fn extended(count: u32, shoff: u64) -> Vec<u8> {
    let mut b = Builder::new();
    b.phnum = Some(0xFFFF);
    let mut file = b.build();
    patch(&mut file, 40, &shoff.to_le_bytes()); // e_shoff
    patch(&mut file, SHOFF + 44, &count.to_le_bytes()); // sh_info
    file
}

#[test]
fn entry_size_must_be_exactly_56() {
    for phentsize in [0, 1, 32, 55, 57, 64, 0xFFFF] {
        let mut b = Builder::new();
        b.phentsize = phentsize;
        let file = b.build();
        assert_eq!(parse(&file), Err(ElfError::BadProgramHeaderTable));
    }
}

#[test]
fn table_must_end_inside_the_file() {
    // The table is the last thing in the file: accepted as it is...
    let mut b = Builder::new();
    b.phoff = b.len;
    let file = b.build();
    assert_eq!(file.len() as u64, b.phoff + 56);
    assert_eq!(parse(&file), Ok(()));
    // ...refused one byte short, or with one entry more than there is.
    assert_eq!(
        parse(&file[..file.len() - 1]),
        Err(ElfError::BadProgramHeaderTable)
    );
    b.phnum = Some(2);
    assert_eq!(parse(&b.build()), Err(ElfError::BadProgramHeaderTable));
    // A table that starts at or past the end.
    for phoff in [file.len() as u64, file.len() as u64 + 1, 1 << 40] {
        let mut file = Builder::new().build();
        patch(&mut file, 32, &phoff.to_le_bytes());
        assert_eq!(parse(&file), Err(ElfError::BadProgramHeaderTable));
    }
}

#[test]
fn table_end_never_wraps_around() {
    // e_phoff + e_phnum * 56 wraps to 0, to 56 or to 112: all inside the
    // file if the sum were allowed to wrap.
    for (phoff, phnum) in [
        (u64::MAX - 55, 1u16),
        (0u64.wrapping_sub(112), 2),
        (u64::MAX - 55, 3),
        (u64::MAX - 55, 0xFFFE),
        (u64::MAX, 1),
    ] {
        let mut file = Builder::new().build();
        patch(&mut file, 32, &phoff.to_le_bytes());
        patch(&mut file, 56, &phnum.to_le_bytes());
        assert_eq!(parse(&file), Err(ElfError::BadProgramHeaderTable));
    }
}

#[test]
fn no_table_means_no_segments() {
    // e_phoff 0 means no program headers, whatever the count and size say.
    let mut b = Builder::new();
    b.phentsize = 3;
    b.phnum = Some(7);
    let mut file = b.build();
    patch(&mut file, 32, &0u64.to_le_bytes());
    assert_eq!(parse(&file), Err(ElfError::NoLoadableSegments));
    // So does a count of 0, even with a wrong entry size.
    let mut b = Builder::new();
    b.phentsize = 3;
    b.phnum = Some(0);
    assert_eq!(parse(&b.build()), Err(ElfError::NoLoadableSegments));
}

#[test]
fn extended_count_comes_from_section_0() {
    assert_eq!(parse(&extended(1, SHOFF as u64)), Ok(()));
    assert_eq!(
        parse(&extended(0, SHOFF as u64)),
        Err(ElfError::NoLoadableSegments)
    );
    // More entries than the file holds.
    assert_eq!(
        parse(&extended(u32::MAX, SHOFF as u64)),
        Err(ElfError::BadProgramHeaderTable)
    );
    assert_eq!(
        parse(&extended(1000, SHOFF as u64)),
        Err(ElfError::BadProgramHeaderTable)
    );
}

#[test]
fn extended_count_needs_a_whole_section_header() {
    let len = Builder::new().build().len() as u64;
    // Outside the file, or cut by its end (even where sh_info itself
    // would fit), or past where offsets can wrap.
    for shoff in [len, len - 63, len - 48, u64::MAX - 30] {
        let mut file = extended(1, shoff);
        patch(&mut file, SHOFF + 44, &[0; 4]);
        if let Some(at) = (shoff as usize)
            .checked_add(44)
            .filter(|&at| at + 4 <= file.len())
        {
            patch(&mut file, at, &1u32.to_le_bytes());
        }
        assert_eq!(parse(&file), Err(ElfError::BadProgramHeaderTable));
    }
    // No section headers at all.
    assert_eq!(parse(&extended(1, 0)), Err(ElfError::BadProgramHeaderTable));
    // Section headers of the wrong size.
    let mut file = extended(1, SHOFF as u64);
    patch(&mut file, 58, &40u16.to_le_bytes()); // e_shentsize
    assert_eq!(parse(&file), Err(ElfError::BadProgramHeaderTable));
}

#[test]
fn file_may_start_at_any_address() {
    // Reads copy bytes out, so an odd start address changes nothing.
    let mut b = Builder::new();
    b.load(0x50_0000, 0x10, 0x2000, PF_R | PF_W);
    let file = b.build();
    let mut shifted = vec![0u8];
    shifted.extend_from_slice(&file);
    let aligned = Program::parse(&file).unwrap();
    let odd = Program::parse(&shifted[1..]).unwrap();
    check_invariants(&shifted[1..], &odd);
    assert_eq!(format!("{aligned:?}"), format!("{odd:?}"));
}

#[test]
fn empty_file_range_may_be_anywhere() {
    // A segment with no file bytes reads nothing, so its p_offset is not
    // checked against the file.
    let mut b = Builder::new();
    let bss = b.load(0x50_0000, 0, PAGE, PF_R | PF_W);
    bss.offset = u64::MAX;
    bss.align = 0;
    let file = b.build();
    let program = Program::parse(&file).unwrap();
    check_invariants(&file, &program);
    let bss = program.segments().nth(1).unwrap();
    assert!(bss.data.is_empty());
    assert_eq!(bss.mem_size, PAGE);
}
