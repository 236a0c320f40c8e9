//! Unit tests for the header and block bounds.

use super::*;
use crate::testutil::{empty_root, set_field};

#[test]
fn total_size_needs_eight_bytes() {
    let blob = empty_root().blob(&[]);
    assert_eq!(header_total_size(&blob[..8]), Ok(blob.len()));
    assert_eq!(header_total_size(&blob[..7]), Err(Error::Truncated));
    assert_eq!(header_total_size(&[]), Err(Error::Truncated));
}

#[test]
fn total_size_checks_magic_and_minimum() {
    let mut blob = empty_root().blob(&[]);
    set_field(&mut blob, 1, 39);
    assert_eq!(header_total_size(&blob), Err(Error::BadHeader));
    set_field(&mut blob, 0, 0xedfe_0dd0);
    set_field(&mut blob, 1, 100);
    assert_eq!(header_total_size(&blob), Err(Error::BadHeader));
}

#[test]
fn blocks_are_found() {
    let raw = empty_root();
    let mut blob = raw.blob(&[(0x1000, 0x2000)]);
    blob.extend_from_slice(b"ignored");
    let blocks = Blocks::read(&blob).unwrap();
    assert_eq!(blocks.dtb.len(), blob.len() - 7);
    assert_eq!(blocks.structure, &raw.structure[..]);
    assert_eq!(blocks.strings, &raw.strings[..]);
    let reservations: std::vec::Vec<_> = blocks.reservations().collect();
    assert_eq!(
        reservations,
        [Region {
            base: 0x1000,
            size: 0x2000
        }]
    );
}

#[test]
fn blob_shorter_than_total_size_is_truncated() {
    let blob = empty_root().blob(&[]);
    assert_eq!(
        Blocks::read(&blob[..blob.len() - 1]).err(),
        Some(Error::Truncated)
    );
    assert_eq!(Blocks::read(&blob[..20]).err(), Some(Error::Truncated));
}

#[test]
fn old_and_future_versions_are_unsupported() {
    let mut blob = empty_root().blob(&[]);
    set_field(&mut blob, 5, 16);
    assert_eq!(Blocks::read(&blob).err(), Some(Error::Unsupported));
    set_field(&mut blob, 5, 18);
    set_field(&mut blob, 6, 18);
    assert_eq!(Blocks::read(&blob).err(), Some(Error::Unsupported));
}

#[test]
fn blocks_outside_the_blob_are_bad() {
    let blob = empty_root().blob(&[]);
    for (index, value) in [
        (2, 4096),
        (9, 4096),
        (3, 4096),
        (8, u32::MAX),
        (4, 4096),
        (2, 8),
        (3, 0),
    ] {
        let mut blob = blob.clone();
        set_field(&mut blob, index, value);
        assert_eq!(
            Blocks::read(&blob).err(),
            Some(Error::BadHeader),
            "field {index} = {value}"
        );
    }
}

#[test]
fn reservations_stop_at_the_terminator_or_the_end() {
    let blob = empty_root().blob(&[(1, 2), (3, 4)]);
    let blocks = Blocks::read(&blob).unwrap();
    assert_eq!(blocks.reservations().count(), 2);
    let mut unterminated = blob.clone();
    let total = u32::try_from(blob.len()).unwrap();
    set_field(&mut unterminated, 4, total - 8);
    let blocks = Blocks::read(&unterminated).unwrap();
    assert_eq!(blocks.reservations().count(), 0);
}
