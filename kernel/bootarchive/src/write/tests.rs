//! Unit tests for writing, and the `cpio -it` cross-check.

use std::string::String;
use std::vec::Vec;

use super::*;
use crate::{Archive, Entry};

#[test]
fn writes_what_parse_reads() {
    let bytes = write(&[("rootserver", b"\x7fELF"), ("etc/motd", b"hello")]).unwrap();
    let archive = Archive::parse(&bytes).unwrap();
    let entries: Vec<_> = archive.entries().collect();
    let motd = Entry {
        name: "etc/motd",
        mode: 0o100644,
        data: b"hello",
    };
    assert_eq!(
        entries,
        [
            Entry {
                name: "rootserver",
                mode: 0o100644,
                data: b"\x7fELF"
            },
            motd
        ]
    );
}

#[test]
fn writes_the_documented_header_fields() {
    let bytes = write(&[("a", b"xyz")]).unwrap();
    let header = std::str::from_utf8(&bytes[..110]).unwrap();
    let expected = String::from("070701")
        + "00000001" // c_ino
        + "000081A4" // c_mode
        + "00000000" // c_uid
        + "00000000" // c_gid
        + "00000001" // c_nlink
        + "00000000" // c_mtime
        + "00000003" // c_filesize
        + "0000000000000000" // c_devmajor, c_devminor
        + "0000000000000000" // c_rdevmajor, c_rdevminor
        + "00000002" // c_namesize
        + "00000000"; // c_check
    assert_eq!(header, expected);
    // 110 + 2 is already a multiple of 4; the data is padded by one byte.
    assert_eq!(&bytes[110..116], b"a\0xyz\0");
}

#[test]
fn empty_list_writes_only_the_trailer() {
    let bytes = write(&[]).unwrap();
    assert_eq!(bytes.len(), 124);
    assert!(Archive::parse(&bytes).unwrap().is_empty());
}

#[test]
fn output_length_is_a_multiple_of_four() {
    for len in 0..8 {
        let data = std::vec![7u8; len];
        let bytes = write(&[("odd", &data)]).unwrap();
        assert_eq!(bytes.len() % 4, 0);
    }
}

#[test]
fn rejects_empty_names() {
    assert_eq!(
        write(&[("a", b""), ("", b"")]),
        Err(WriteError::EmptyName { index: 1 })
    );
}

#[test]
fn rejects_overlong_names() {
    let longest = "x".repeat(MAX_NAME_LEN);
    assert!(write(&[(&longest, b"")]).is_ok());
    let name = "x".repeat(MAX_NAME_LEN + 1);
    assert_eq!(
        write(&[(&name, b"")]),
        Err(WriteError::NameTooLong { index: 0 })
    );
}

#[test]
fn rejects_nul_in_names() {
    assert_eq!(
        write(&[("a\0b", b"")]),
        Err(WriteError::NulInName { index: 0 })
    );
}

#[test]
fn rejects_the_trailer_name() {
    assert_eq!(
        write(&[("TRAILER!!!", b"")]),
        Err(WriteError::ReservedName { index: 0 })
    );
}

#[test]
fn rejects_duplicate_names() {
    let entries: [(&str, &[u8]); 3] = [("a", b"1"), ("b", b"2"), ("a", b"3")];
    assert_eq!(write(&entries), Err(WriteError::DuplicateName { index: 2 }));
}

#[test]
fn write_errors_display_the_index() {
    let text = std::format!("{}", WriteError::DuplicateName { index: 2 });
    assert_eq!(
        text,
        "boot archive entry 2 has the name of an earlier entry"
    );
    let text = std::format!("{}", WriteError::DataTooLarge { index: 0 });
    assert_eq!(text, "boot archive entry 0 has 4 GiB of data or more");
}

/// GNU `cpio -it` lists the names of an archive that `write` made. Skipped,
/// with a note, when `cpio` is not installed.
#[test]
fn gnu_cpio_lists_written_names() {
    use std::process::{Command, Stdio};

    let names = ["rootserver", "vmm", "guests/rtos.elf", "empty"];
    let entries: Vec<(&str, &[u8])> = names.iter().map(|&n| (n, n.as_bytes())).collect();
    let path = std::env::temp_dir().join(std::format!(
        "tessera-bootarchive-{}.cpio",
        std::process::id()
    ));
    std::fs::write(&path, write(&entries).unwrap()).unwrap();
    let stdin = std::fs::File::open(&path).unwrap();
    let output = Command::new("cpio")
        .arg("-it")
        .stdin(stdin)
        .stderr(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&path);
    let output = match output {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::eprintln!("note: `cpio` is not installed; skipping the GNU cpio cross-check");
            return;
        }
        result => result.unwrap(),
    };
    assert!(
        output.status.success(),
        "cpio -it failed: {:?}",
        output.status
    );
    let listed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(listed.lines().collect::<Vec<_>>(), names);
}
