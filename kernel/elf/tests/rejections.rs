//! One test ELF for each rule `Program::parse` enforces, each breaking
//! exactly that rule, plus the valid layouts next to each limit.

mod common;

use common::{BASE, Builder, PAGE, PF_R, PF_W, PF_X, PT_INTERP, PT_NOTE, check_invariants};
use tessera_elf::{ElfError, MAX_SEGMENTS, Program, SegmentFlags};

/// Parses the built file and returns the error.
fn reject(builder: &Builder) -> ElfError {
    let file = builder.build();
    Program::parse(&file).expect_err("accepted an invalid file")
}

/// Parses the built file, which must be accepted, and checks invariants.
fn accept(builder: &Builder) {
    let file = builder.build();
    let program = Program::parse(&file).expect("rejected a valid file");
    check_invariants(&file, &program);
}

#[test]
fn default_builder_is_valid() {
    accept(&Builder::new());
}

#[test]
fn not_elf() {
    assert_eq!(Program::parse(&[]).map(|_| ()), Err(ElfError::NotElf));
    assert_eq!(
        Program::parse(b"#!/bin/sh\n").map(|_| ()),
        Err(ElfError::NotElf)
    );
    let mut file = Builder::new().build();
    file[1] = b'X';
    assert_eq!(Program::parse(&file).map(|_| ()), Err(ElfError::NotElf));
}

#[test]
fn not_elf64() {
    let mut b = Builder::new();
    b.class = 1;
    assert_eq!(reject(&b), ElfError::NotElf64);
}

#[test]
fn not_little_endian() {
    let mut b = Builder::new();
    b.data = 2;
    assert_eq!(reject(&b), ElfError::NotLittleEndian);
}

#[test]
fn unsupported_version() {
    let mut b = Builder::new();
    b.ident_version = 0;
    assert_eq!(reject(&b), ElfError::UnsupportedVersion);
    let mut b = Builder::new();
    b.version = 2;
    assert_eq!(reject(&b), ElfError::UnsupportedVersion);
}

#[test]
fn truncated_header() {
    let file = Builder::new().build();
    for len in [4, 16, 40, 63] {
        let short = &file[..len];
        assert_eq!(
            Program::parse(short).map(|_| ()),
            Err(ElfError::TruncatedHeader)
        );
    }
}

#[test]
fn wrong_machine() {
    let mut b = Builder::new();
    b.machine = 62; // EM_X86_64
    assert_eq!(reject(&b), ElfError::WrongMachine(62));
}

#[test]
fn position_independent() {
    let mut b = Builder::new();
    b.e_type = 3; // ET_DYN
    assert_eq!(reject(&b), ElfError::PositionIndependent);
}

#[test]
fn not_executable() {
    for e_type in [0, 1, 4, 0xFE00] {
        let mut b = Builder::new();
        b.e_type = e_type;
        assert_eq!(reject(&b), ElfError::NotExecutable(e_type));
    }
}

#[test]
fn bad_program_header_table() {
    let mut b = Builder::new();
    b.phentsize = 32;
    assert_eq!(reject(&b), ElfError::BadProgramHeaderTable);
    let mut b = Builder::new();
    b.phnum = Some(1000);
    assert_eq!(reject(&b), ElfError::BadProgramHeaderTable);
    let mut file = Builder::new().build();
    file[32..40].copy_from_slice(&u64::MAX.to_le_bytes()); // e_phoff
    assert_eq!(
        Program::parse(&file).map(|_| ()),
        Err(ElfError::BadProgramHeaderTable)
    );
    // PN_XNUM without a section 0 to hold the real count.
    let mut b = Builder::new();
    b.phnum = Some(0xFFFF);
    assert_eq!(reject(&b), ElfError::BadProgramHeaderTable);
}

#[test]
fn interpreter() {
    let mut b = Builder::new();
    b.other(PT_INTERP);
    assert_eq!(reject(&b), ElfError::Interpreter);
}

#[test]
fn no_loadable_segments() {
    let mut b = Builder::empty();
    assert_eq!(reject(&b), ElfError::NoLoadableSegments);
    b.other(PT_NOTE);
    assert_eq!(reject(&b), ElfError::NoLoadableSegments);
}

#[test]
fn too_many_segments() {
    let mut b = Builder::new();
    for i in 1..MAX_SEGMENTS as u64 {
        b.load(BASE + i * 0x10_0000, 0x10, 0x10, PF_R);
    }
    b.other(PT_NOTE);
    accept(&b);
    b.load(BASE + 0x1000_0000, 0x10, 0x10, PF_R);
    assert_eq!(reject(&b), ElfError::TooManySegments);
}

#[test]
fn empty_segment() {
    let mut b = Builder::new();
    b.load(0x50_0000, 0, 0, PF_R);
    assert_eq!(reject(&b), ElfError::EmptySegment { index: 1 });
}

#[test]
fn file_size_exceeds_mem_size() {
    let mut b = Builder::new();
    b.load(0x50_0000, 0x20, 0x10, PF_R);
    assert_eq!(reject(&b), ElfError::FileSizeExceedsMemSize { index: 1 });
}

#[test]
fn segment_outside_file() {
    let mut b = Builder::new();
    b.phdrs[0].filesz = b.len; // offset + len is past the end
    b.phdrs[0].memsz = b.len;
    assert_eq!(reject(&b), ElfError::SegmentOutsideFile { index: 0 });
    let mut b = Builder::new();
    b.phdrs[0].offset = u64::MAX - 0xFF; // offset + filesz overflows
    b.phdrs[0].align = 0;
    assert_eq!(reject(&b), ElfError::SegmentOutsideFile { index: 0 });
}

#[test]
fn segment_outside_user_space() {
    let mut b = Builder::new();
    b.load((1 << 48) - 0x10, 0x10, 0x11, PF_R);
    assert_eq!(reject(&b), ElfError::SegmentOutsideUserSpace { index: 1 });
    let mut b = Builder::new();
    b.load(u64::MAX - 0xFFF, 0x10, 0x2000, PF_R);
    assert_eq!(reject(&b), ElfError::SegmentOutsideUserSpace { index: 1 });
    let mut b = Builder::new();
    b.load(0xFFFF_8000_0000_0000, 0x10, 0x10, PF_R); // kernel half
    assert_eq!(reject(&b), ElfError::SegmentOutsideUserSpace { index: 1 });
    // Ending exactly at 2^48 is fine.
    let mut b = Builder::new();
    b.load((1 << 48) - 0x10, 0x10, 0x10, PF_R);
    accept(&b);
}

#[test]
fn bad_alignment() {
    for align in [3, 0x1800, u64::MAX] {
        let mut b = Builder::new();
        b.phdrs[0].align = align;
        assert_eq!(reject(&b), ElfError::BadAlignment { index: 0 });
    }
    // 0 and 1 mean "no constraint".
    for align in [0, 1] {
        let mut b = Builder::new();
        b.phdrs[0].align = align;
        b.phdrs[0].offset += 3;
        accept(&b);
    }
}

#[test]
fn misaligned_segment() {
    let mut b = Builder::new();
    b.phdrs[0].offset += 4;
    assert_eq!(reject(&b), ElfError::MisalignedSegment { index: 0 });
    let mut b = Builder::new();
    b.phdrs[0].align = 0x1_0000; // offset 0x1000 vs vaddr 0x40_0000
    assert_eq!(reject(&b), ElfError::MisalignedSegment { index: 0 });
}

#[test]
fn segments_overlap() {
    let mut b = Builder::new();
    b.load(BASE + 0xFF, 0x10, 0x10, PF_R | PF_X);
    assert_eq!(
        reject(&b),
        ElfError::SegmentsOverlap {
            first: 0,
            second: 1
        }
    );
    // Reported in address order, whatever the header order.
    let mut b = Builder::new();
    b.load(BASE - 0x1000, 0x10, 0x2000, PF_R | PF_X);
    assert_eq!(
        reject(&b),
        ElfError::SegmentsOverlap {
            first: 1,
            second: 0
        }
    );
}

#[test]
fn shared_page_permissions() {
    let mut b = Builder::new();
    b.load(BASE + 0x100, 0x10, 0x10, PF_R | PF_W);
    assert_eq!(
        reject(&b),
        ElfError::SharedPagePermissions {
            first: 0,
            second: 1
        }
    );
    // The same rights may share a page.
    let mut b = Builder::new();
    b.load(BASE + 0x100, 0x10, 0x10, PF_R | PF_X);
    accept(&b);
    // Touching at a page boundary is not sharing.
    let mut b = Builder::new();
    b.load(BASE + PAGE, 0x10, 0x10, PF_R | PF_W);
    accept(&b);
}

#[test]
fn entry_not_executable() {
    let mut b = Builder::new();
    b.entry = 0x10_0000;
    assert_eq!(reject(&b), ElfError::EntryNotExecutable(0x10_0000));
    // In a readable, non-executable segment.
    let mut b = Builder::new();
    b.load(0x50_0000, 0x10, 0x10, PF_R);
    b.entry = 0x50_0000;
    assert_eq!(reject(&b), ElfError::EntryNotExecutable(0x50_0000));
    // In the zero-filled tail of an executable segment.
    let mut b = Builder::new();
    b.phdrs[0].memsz = 0x200;
    b.entry = BASE + 0x100;
    assert_eq!(reject(&b), ElfError::EntryNotExecutable(BASE + 0x100));
}

#[test]
fn entry_misaligned() {
    let mut b = Builder::new();
    b.entry = BASE + 2;
    assert_eq!(reject(&b), ElfError::EntryMisaligned(BASE + 2));
}

#[test]
fn segments_are_sorted_and_point_into_the_file() {
    let mut b = Builder::new();
    b.load(0x60_0000, 0x20, 0x3000, PF_R | PF_W);
    b.load(0x20_0000, 0x40, 0x40, PF_R);
    let file = b.build();
    let program = Program::parse(&file).unwrap();
    check_invariants(&file, &program);
    let vaddrs: Vec<u64> = program.segments().map(|s| s.vaddr).collect();
    assert_eq!(vaddrs, [0x20_0000, BASE, 0x60_0000]);
    let bss = program.segments().nth(2).unwrap();
    let offset = b.phdrs[1].offset as usize;
    assert_eq!(bss.data, &file[offset..offset + 0x20]);
    assert_eq!(bss.mem_size, 0x3000);
    assert_eq!(bss.page_range(), (0x60_0000, 0x60_3000));
    let rw = SegmentFlags {
        read: true,
        write: true,
        execute: false,
    };
    assert_eq!(bss.flags, rw);
    assert_eq!(program.extent(), (0x20_0000, 0x60_3000));
    assert_eq!(program.entry(), BASE);
}

#[test]
fn errors_display_distinct_messages() {
    let errors = [
        ElfError::NotElf,
        ElfError::NotElf64,
        ElfError::NotLittleEndian,
        ElfError::UnsupportedVersion,
        ElfError::TruncatedHeader,
        ElfError::WrongMachine(62),
        ElfError::PositionIndependent,
        ElfError::NotExecutable(1),
        ElfError::BadProgramHeaderTable,
        ElfError::Interpreter,
        ElfError::NoLoadableSegments,
        ElfError::TooManySegments,
        ElfError::EmptySegment { index: 1 },
        ElfError::FileSizeExceedsMemSize { index: 1 },
        ElfError::SegmentOutsideFile { index: 1 },
        ElfError::SegmentOutsideUserSpace { index: 1 },
        ElfError::BadAlignment { index: 1 },
        ElfError::MisalignedSegment { index: 1 },
        ElfError::SegmentsOverlap {
            first: 1,
            second: 2,
        },
        ElfError::SharedPagePermissions {
            first: 1,
            second: 2,
        },
        ElfError::EntryNotExecutable(0x1000),
        ElfError::EntryMisaligned(0x1002),
    ];
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for (i, m) in messages.iter().enumerate() {
        assert!(!m.is_empty());
        assert!(!messages[..i].contains(m), "duplicate message {m}");
    }
    assert_eq!(
        ElfError::SegmentsOverlap {
            first: 1,
            second: 2
        }
        .to_string(),
        "segments 1 and 2 overlap"
    );
}
