//! Unit tests for the structure check, on hand-assembled blocks.

use super::*;
use crate::testutil::{Raw, empty_root};

fn checked(raw: &Raw) -> Result<(), Error> {
    check(&raw.structure, &raw.strings)
}

/// A root with `depth - 1` nested children (so `depth` levels in all).
fn nested(depth: usize) -> Raw {
    let mut raw = Raw::default();
    raw.begin(b"");
    for _ in 1..depth {
        raw.begin(b"n");
    }
    for _ in 0..depth {
        raw.end_node();
    }
    raw.end();
    raw
}

#[test]
fn accepts_an_empty_root() {
    assert_eq!(checked(&empty_root()), Ok(()));
}

#[test]
fn accepts_properties_then_children() {
    let mut raw = Raw::default();
    raw.begin(b"").prop(b"a", b"xyz").prop(b"b", b"");
    raw.begin(b"child@1")
        .prop(b"c", &[1, 2, 3, 4, 5])
        .end_node();
    raw.begin(b"other").end_node().end_node().end();
    assert_eq!(checked(&raw), Ok(()));
}

#[test]
fn rejects_an_empty_block() {
    assert_eq!(check(&[], &[]), Err(Error::Malformed));
}

#[test]
fn rejects_a_missing_end() {
    let mut raw = Raw::default();
    raw.begin(b"").end_node();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_missing_end_node() {
    let mut raw = Raw::default();
    raw.begin(b"").begin(b"a").end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_an_end_node_without_a_node() {
    let mut raw = Raw::default();
    raw.end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_named_root() {
    let mut raw = Raw::default();
    raw.begin(b"root").end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_second_root() {
    let mut raw = Raw::default();
    raw.begin(b"").end_node().begin(b"").end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_property_outside_nodes() {
    let mut raw = Raw::default();
    raw.prop(b"a", b"").begin(b"").end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_property_after_a_child() {
    let mut raw = Raw::default();
    raw.begin(b"")
        .begin(b"a")
        .end_node()
        .prop(b"late", b"")
        .end_node()
        .end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_unknown_tokens() {
    for token in [0, 5, 6, 7, 8, 10, u32::MAX] {
        let mut raw = Raw::default();
        raw.begin(b"").word(token).end_node().end();
        assert_eq!(checked(&raw), Err(Error::Malformed), "token {token}");
    }
}

#[test]
fn rejects_an_early_end() {
    let mut raw = Raw::default();
    raw.begin(b"").end().end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn nops_are_unsupported() {
    let mut raw = Raw::default();
    raw.begin(b"").nop().end_node().end();
    assert_eq!(checked(&raw), Err(Error::Unsupported));
    let mut raw = Raw::default();
    raw.begin(b"").end_node().nop().end();
    assert_eq!(checked(&raw), Err(Error::Unsupported));
}

#[test]
fn depth_is_limited() {
    assert_eq!(checked(&nested(MAX_DEPTH)), Ok(()));
    assert_eq!(checked(&nested(MAX_DEPTH + 1)), Err(Error::Unsupported));
}

#[test]
fn rejects_a_property_longer_than_the_block() {
    let mut raw = Raw::default();
    raw.begin(b"").word(3).word(64).word(0).end_node().end();
    raw.strings.extend_from_slice(b"a\0");
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_a_property_whose_padding_passes_the_block_end() {
    let mut raw = Raw::default();
    raw.begin(b"").word(3).word(1).word(0).word(2).word(5);
    raw.strings.extend_from_slice(b"a\0");
    raw.structure.truncate(raw.structure.len() - 3);
    assert_eq!(checked(&raw), Err(Error::Malformed));
}

#[test]
fn rejects_bad_property_names() {
    let mut raw = empty_root();
    raw.structure.clear();
    raw.begin(b"").prop_at(100, b"").end_node().end();
    assert_eq!(
        checked(&raw),
        Err(Error::Malformed),
        "offset past the strings"
    );
    let mut raw = Raw::default();
    raw.begin(b"").prop(b"\xff", b"").end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed), "not UTF-8");
    let mut raw = Raw::default();
    raw.begin(b"").prop_at(0, b"").end_node().end();
    raw.strings.extend_from_slice(b"no-nul");
    assert_eq!(checked(&raw), Err(Error::Malformed), "no NUL");
}

#[test]
fn rejects_bad_node_names() {
    let mut raw = Raw::default();
    raw.begin(b"").begin(b"\xc3").end_node().end_node().end();
    assert_eq!(checked(&raw), Err(Error::Malformed), "not UTF-8");
    let mut raw = Raw::default();
    raw.word(1).structure.extend_from_slice(b"abcd");
    assert_eq!(checked(&raw), Err(Error::Malformed), "no NUL");
}
