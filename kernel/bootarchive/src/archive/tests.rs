//! Unit tests for parsing: a hand-made archive and every error.

use std::string::String;
use std::vec::Vec;

use super::*;

/// A regular file `hello` ("hi!\n"), a directory `dir` and the trailer,
/// written by hand: mixed-case hex and a non-zero `c_check`.
#[rustfmt::skip]
const HAND_MADE: &[u8] = concat!(
    // offset 0: "hello", mode 0o100644, 4 bytes; 110 + 6 = 116, aligned.
    "070701", "00000001", "000081A4", "00000000", "00000000", "00000001", "00000000",
    "00000004", "00000000", "00000000", "00000000", "00000000", "00000006", "0000abcd",
    "hello\0", "hi!\n",
    // offset 120: "dir", mode 0o40755, no data; 120 + 110 + 4 = 234, padded to 236.
    "070701", "00000002", "000041ed", "00000000", "00000000", "00000002", "5f000000",
    "00000000", "00000000", "00000000", "00000000", "00000000", "00000004", "00000000",
    "dir\0", "\0\0",
    // offset 236: trailer; 236 + 110 + 11 = 357, padded to 360.
    "070701", "00000000", "00000000", "00000000", "00000000", "00000001", "00000000",
    "00000000", "00000000", "00000000", "00000000", "00000000", "0000000B", "00000000",
    "TRAILER!!!\0", "\0\0\0",
)
.as_bytes();

const HELLO: Entry<'static> = Entry {
    name: "hello",
    mode: 0o100644,
    data: b"hi!\n",
};
const DIR: Entry<'static> = Entry {
    name: "dir",
    mode: 0o40755,
    data: b"",
};

/// One header as text, with the given mode, file size and name size.
fn header(mode: u32, filesize: u32, namesize: u32) -> String {
    let mut text = String::from("070701");
    for value in [1, mode, 0, 0, 1, 0, filesize, 0, 0, 0, 0, namesize, 0] {
        text.push_str(&std::format!("{value:08x}"));
    }
    text
}

/// `HAND_MADE` with `replacement` written over the bytes at `at`.
fn patched(at: usize, replacement: &[u8]) -> Vec<u8> {
    let mut bytes = HAND_MADE.to_vec();
    bytes[at..at + replacement.len()].copy_from_slice(replacement);
    bytes
}

/// Offset of field `index` in the header at `header`.
fn field_at(header: usize, index: usize) -> usize {
    header + 6 + 8 * index
}

#[test]
fn hand_made_archive_lists_its_entries() {
    let archive = Archive::parse(HAND_MADE).unwrap();
    assert_eq!(archive.len(), 2);
    assert!(!archive.is_empty());
    assert_eq!(archive.entries().collect::<Vec<_>>(), [HELLO, DIR]);
    assert_eq!(archive.entries().len(), 2);
    assert_eq!(archive.as_bytes().len(), 360);
}

#[test]
fn get_finds_entries_by_exact_name() {
    let archive = Archive::parse(HAND_MADE).unwrap();
    assert_eq!(archive.get("hello"), Some(HELLO));
    assert_eq!(archive.get("dir"), Some(DIR));
    assert_eq!(archive.get("hell"), None);
    assert_eq!(archive.get("TRAILER!!!"), None);
    assert_eq!(archive.get(""), None);
}

#[test]
fn bytes_after_the_trailer_are_ignored() {
    let mut bytes = HAND_MADE.to_vec();
    bytes.resize(512, 0);
    bytes.extend_from_slice(b"garbage");
    let archive = Archive::parse(&bytes).unwrap();
    assert_eq!(archive.entries().collect::<Vec<_>>(), [HELLO, DIR]);
    assert_eq!(archive.as_bytes(), HAND_MADE);
}

#[test]
fn trailer_only_archive_is_empty() {
    let bytes = &HAND_MADE[236..];
    // Padding is measured from the archive start, and 236 is a multiple of 4.
    let archive = Archive::parse(bytes).unwrap();
    assert!(archive.is_empty());
    assert_eq!(archive.entries().next(), None);
}

#[test]
fn empty_input_has_no_trailer() {
    assert_eq!(Archive::parse(b""), Err(Error::MissingTrailer));
}

#[test]
fn archive_ending_between_entries_has_no_trailer() {
    assert_eq!(
        Archive::parse(&HAND_MADE[..236]),
        Err(Error::MissingTrailer)
    );
}

#[test]
fn short_header_is_truncated() {
    assert_eq!(
        Archive::parse(&HAND_MADE[..100]),
        Err(Error::Truncated { offset: 0 })
    );
    assert_eq!(
        Archive::parse(&HAND_MADE[..300]),
        Err(Error::Truncated { offset: 236 })
    );
}

#[test]
fn short_name_is_truncated() {
    assert_eq!(
        Archive::parse(&HAND_MADE[..113]),
        Err(Error::Truncated { offset: 0 })
    );
}

#[test]
fn short_data_is_truncated() {
    assert_eq!(
        Archive::parse(&HAND_MADE[..118]),
        Err(Error::Truncated { offset: 0 })
    );
}

#[test]
fn missing_padding_is_truncated() {
    assert_eq!(
        Archive::parse(&HAND_MADE[..359]),
        Err(Error::Truncated { offset: 236 })
    );
    assert_eq!(
        Archive::parse(&HAND_MADE[..235]),
        Err(Error::Truncated { offset: 120 })
    );
}

#[test]
fn filesize_beyond_the_archive_is_truncated() {
    let bytes = patched(field_at(0, 6), b"FFFFFFFF");
    assert_eq!(Archive::parse(&bytes), Err(Error::Truncated { offset: 0 }));
}

#[test]
fn wrong_magic_is_rejected() {
    assert_eq!(
        Archive::parse(&patched(0, b"070707")),
        Err(Error::BadMagic { offset: 0 })
    );
    assert_eq!(
        Archive::parse(&patched(120, b"070702")),
        Err(Error::BadMagic { offset: 120 })
    );
}

#[test]
fn non_hex_fields_name_the_field() {
    let cases = [
        (0, "c_ino"),
        (1, "c_mode"),
        (6, "c_filesize"),
        (11, "c_namesize"),
        (12, "c_check"),
    ];
    for (index, field) in cases {
        let bytes = patched(field_at(120, index), b"0000000x");
        assert_eq!(
            Archive::parse(&bytes),
            Err(Error::BadField { offset: 120, field })
        );
    }
}

#[test]
fn trailer_with_data_is_a_bad_field() {
    let mut bytes = HAND_MADE[..236].to_vec();
    bytes.extend_from_slice(header(0, 4, 11).as_bytes());
    bytes.extend_from_slice(b"TRAILER!!!\0\0\0\0data");
    let expected = Error::BadField {
        offset: 236,
        field: "c_filesize",
    };
    assert_eq!(Archive::parse(&bytes), Err(expected));
}

#[test]
fn empty_names_are_bad() {
    for namesize in ["00000000", "00000001"] {
        let bytes = patched(field_at(0, 11), namesize.as_bytes());
        assert_eq!(Archive::parse(&bytes), Err(Error::BadName { offset: 0 }));
    }
}

#[test]
fn overlong_names_are_bad() {
    let bytes = patched(field_at(0, 11), b"00001001");
    assert_eq!(Archive::parse(&bytes), Err(Error::BadName { offset: 0 }));
}

#[test]
fn longest_name_is_accepted() {
    let name = "n".repeat(MAX_NAME_LEN);
    let mut bytes = header(0o100644, 0, 4096).into_bytes();
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(b"\0\0\0");
    let trailer_at = bytes.len();
    assert_eq!(trailer_at % 4, 0);
    bytes.extend_from_slice(&HAND_MADE[236..]);
    let archive = Archive::parse(&bytes).unwrap();
    assert_eq!(
        archive.entries().next().map(|e| e.name.len()),
        Some(MAX_NAME_LEN)
    );
}

#[test]
fn unterminated_name_is_bad() {
    let bytes = patched(110, b"hello!");
    assert_eq!(Archive::parse(&bytes), Err(Error::BadName { offset: 0 }));
}

#[test]
fn name_with_inner_nul_is_bad() {
    let bytes = patched(110, b"he\0lo\0");
    assert_eq!(Archive::parse(&bytes), Err(Error::BadName { offset: 0 }));
}

#[test]
fn non_utf8_name_is_bad() {
    let bytes = patched(110, b"h\xffllo\0");
    assert_eq!(Archive::parse(&bytes), Err(Error::BadName { offset: 0 }));
}

#[test]
fn errors_display_the_offset() {
    let text = std::format!(
        "{}",
        Error::BadField {
            offset: 0x78,
            field: "c_mode"
        }
    );
    assert_eq!(text, "boot archive entry at offset 0x78 has a bad c_mode");
    let text = std::format!("{}", Error::Truncated { offset: 0 });
    assert_eq!(text, "boot archive entry at offset 0x0 is truncated");
    assert_eq!(
        std::format!("{}", Error::MissingTrailer),
        "boot archive has no TRAILER!!! entry"
    );
}
