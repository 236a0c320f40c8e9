//! Converting the kernel ELF into the flat arm64 `Image` that QEMU loads like
//! a Linux kernel (at RAM base + `text_offset`, with the device tree in x0),
//! and stripping user programs for the boot archive ([`strip_program`]).
//!
//! Done here with the `object` crate because rustup's `rust-objcopy` does not
//! work on the project's machines.

use std::fmt;

use object::elf::{FileHeader64, PT_LOAD};
use object::read::elf::{FileHeader, ProgramHeader};
use object::{Endianness, elf};

/// Offset and value of the arm64 Image header's magic ("ARM\x64").
pub const IMAGE_MAGIC_OFFSET: usize = 56;
pub const IMAGE_MAGIC: [u8; 4] = *b"ARM\x64";

/// A flat image larger than this means segments far apart (for example a
/// section linked at the wrong address), not a real kernel.
const MAX_IMAGE_SIZE: u64 = 256 << 20;

#[derive(Debug, PartialEq, Eq)]
pub enum ImageError {
    /// The input is not a 64-bit ELF file the `object` crate can read.
    Elf(String),
    /// The ELF file is for another architecture.
    NotAarch64 {
        machine: u16,
    },
    NoLoadSegments,
    /// Two PT_LOAD segments occupy the same addresses.
    Overlap {
        first: u64,
        second: u64,
    },
    TooLarge {
        size: u64,
    },
    /// The flat image does not start with the arm64 Image header.
    NoImageHeader {
        found: Option<[u8; 4]>,
    },
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Elf(e) => write!(f, "not a readable 64-bit ELF file: {e}"),
            Self::NotAarch64 { machine } => {
                write!(
                    f,
                    "ELF machine is {machine}, not AArch64 ({})",
                    elf::EM_AARCH64.0
                )
            }
            Self::NoLoadSegments => write!(f, "the ELF file has no PT_LOAD segment with contents"),
            Self::Overlap { first, second } => {
                write!(f, "PT_LOAD segments at {first:#x} and {second:#x} overlap")
            }
            Self::TooLarge { size } => write!(
                f,
                "the flat image would be {size} bytes (limit {MAX_IMAGE_SIZE}): \
                 are some segments linked far from the others?"
            ),
            Self::NoImageHeader { found } => {
                write!(
                    f,
                    "no arm64 Image header: expected the magic \"ARM\\x64\" \
                     (41 52 4d 64) at offset {IMAGE_MAGIC_OFFSET}, found "
                )?;
                match found {
                    Some(b) => write!(f, "{:02x} {:02x} {:02x} {:02x}", b[0], b[1], b[2], b[3])?,
                    None => write!(f, "an image too short to hold it")?,
                }
                write!(
                    f,
                    ". The kernel must begin with the 64-byte Linux arm64 Image \
                     header so that QEMU loads it like Linux and passes the \
                     device tree address in x0"
                )
            }
        }
    }
}

impl std::error::Error for ImageError {}

/// One PT_LOAD segment: where it goes and what the file holds for it.
struct Segment<'a> {
    vaddr: u64,
    mem_size: u64,
    bytes: &'a [u8],
}

/// Builds the flat image of an ELF file: every PT_LOAD segment's file bytes at
/// (p_vaddr − lowest p_vaddr), gaps filled with zeros, and no trailing
/// zero-initialised (bss) part.
pub fn elf_to_image(data: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut segments = load_segments(data)?;
    segments.sort_by_key(|s| s.vaddr);
    let base = segments.first().ok_or(ImageError::NoLoadSegments)?.vaddr;
    for pair in segments.windows(2) {
        if pair[0].vaddr + pair[0].mem_size > pair[1].vaddr {
            return Err(ImageError::Overlap {
                first: pair[0].vaddr,
                second: pair[1].vaddr,
            });
        }
    }
    // Segments without file bytes (bss only) add nothing: the image ends
    // with the last byte the file holds.
    let size = segments
        .iter()
        .filter(|s| !s.bytes.is_empty())
        .map(|s| s.vaddr - base + s.bytes.len() as u64)
        .max()
        .unwrap_or(0);
    if size == 0 {
        return Err(ImageError::NoLoadSegments);
    }
    if size > MAX_IMAGE_SIZE {
        return Err(ImageError::TooLarge { size });
    }
    let mut image = vec![0; size as usize];
    for s in segments.iter().filter(|s| !s.bytes.is_empty()) {
        let start = (s.vaddr - base) as usize;
        image[start..start + s.bytes.len()].copy_from_slice(s.bytes);
    }
    Ok(image)
}

/// The non-empty PT_LOAD segments of an AArch64 ELF64 file.
fn load_segments(data: &[u8]) -> Result<Vec<Segment<'_>>, ImageError> {
    let elf_err = |e: object::Error| ImageError::Elf(e.to_string());
    let header = FileHeader64::<Endianness>::parse(data).map_err(elf_err)?;
    let endian = header.endian().map_err(elf_err)?;
    let machine = header.e_machine(endian);
    if machine != elf::EM_AARCH64 {
        return Err(ImageError::NotAarch64 { machine: machine.0 });
    }
    let mut segments = Vec::new();
    for ph in header.program_headers(endian, data).map_err(elf_err)? {
        if ph.p_type(endian) != PT_LOAD || ph.p_memsz(endian) == 0 {
            continue;
        }
        let bytes = ph
            .data(endian, data)
            .map_err(|()| ImageError::Elf("a PT_LOAD segment lies outside the file".into()))?;
        segments.push(Segment {
            vaddr: ph.p_vaddr(endian),
            mem_size: ph.p_memsz(endian).max(bytes.len() as u64),
            bytes,
        });
    }
    Ok(segments)
}

/// A user program as the boot archive carries it: the ELF header, the
/// program headers and the segments' file bytes, without the section
/// headers and what only they describe (debug info, symbols), which come
/// after the segments in the file. The loaders read program headers only;
/// the rootserver maps the whole archive one capability per page, so every
/// byte saved is a slot saved.
pub fn strip_program(data: &[u8]) -> Result<Vec<u8>, ImageError> {
    let elf_err = |e: object::Error| ImageError::Elf(e.to_string());
    let header = FileHeader64::<Endianness>::parse(data).map_err(elf_err)?;
    let endian = header.endian().map_err(elf_err)?;
    let headers = header.program_headers(endian, data).map_err(elf_err)?;
    let phoff = header.e_phoff(endian);
    let phsize = u64::from(header.e_phentsize(endian)) * headers.len() as u64;
    let mut end = (phoff + phsize).max(u64::from(header.e_ehsize(endian)));
    for ph in headers {
        end = end.max(ph.p_offset(endian) + ph.p_filesz(endian));
    }
    if headers.is_empty() || end > data.len() as u64 {
        return Err(ImageError::NoLoadSegments);
    }
    let mut out = data[..end as usize].to_vec();
    // e_shoff (8 bytes at 40), e_shnum and e_shstrndx (2 bytes at 60, 62):
    // no section headers.
    out[40..48].fill(0);
    out[60..64].fill(0);
    Ok(out)
}

/// Checks that `image` carries the arm64 Image header magic.
pub fn check_image_header(image: &[u8]) -> Result<(), ImageError> {
    let found = image
        .get(IMAGE_MAGIC_OFFSET..IMAGE_MAGIC_OFFSET + 4)
        .map(|b| [b[0], b[1], b[2], b[3]]);
    if found == Some(IMAGE_MAGIC) {
        Ok(())
    } else {
        Err(ImageError::NoImageHeader { found })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PT_LOAD segment for a test ELF: address, file contents, memory size.
    struct Load {
        vaddr: u64,
        bytes: Vec<u8>,
        mem_size: u64,
    }

    fn load(vaddr: u64, bytes: &[u8]) -> Load {
        Load {
            vaddr,
            bytes: bytes.to_vec(),
            mem_size: bytes.len() as u64,
        }
    }

    /// Writes a little-endian ELF64 executable by hand: file header, program
    /// headers (`PT_LOAD` ones from `loads`, plus a `PT_NOTE` to be ignored),
    /// then the segments' bytes.
    fn elf(machine: elf::Machine, loads: &[Load]) -> Vec<u8> {
        const EHDR: usize = 64;
        const PHDR: usize = 56;
        let phnum = loads.len() + 1;
        let mut out = Vec::new();
        out.extend_from_slice(b"\x7fELF");
        out.extend_from_slice(&[2, 1, 1, 0]); // ELFCLASS64, little-endian, version 1, SysV
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&elf::ET_EXEC.0.to_le_bytes());
        out.extend_from_slice(&machine.0.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes()); // e_version
        out.extend_from_slice(&loads.first().map_or(0, |l| l.vaddr).to_le_bytes()); // e_entry
        out.extend_from_slice(&(EHDR as u64).to_le_bytes()); // e_phoff
        out.extend_from_slice(&0u64.to_le_bytes()); // e_shoff
        out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        for half in [EHDR, PHDR, phnum, 64, 0, 0] {
            // e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
            out.extend_from_slice(&(half as u16).to_le_bytes());
        }
        assert_eq!(out.len(), EHDR);
        let mut offset = (EHDR + PHDR * phnum) as u64;
        let mut phdr = |p_type: elf::ProgramType, off: u64, vaddr: u64, filesz: u64, memsz: u64| {
            out.extend_from_slice(&p_type.0.to_le_bytes());
            out.extend_from_slice(&(elf::PF_R.0 | elf::PF_X.0).to_le_bytes());
            for word in [off, vaddr, vaddr, filesz, memsz, 16] {
                out.extend_from_slice(&word.to_le_bytes());
            }
        };
        for l in loads {
            phdr(PT_LOAD, offset, l.vaddr, l.bytes.len() as u64, l.mem_size);
            offset += l.bytes.len() as u64;
        }
        phdr(elf::PT_NOTE, 0, 0x1234, 4, 4);
        for l in loads {
            out.extend_from_slice(&l.bytes);
        }
        out
    }

    const BASE: u64 = 0xffff_8000_4020_0000;

    #[test]
    fn single_segment_is_copied_verbatim() {
        let image = elf_to_image(&elf(elf::EM_AARCH64, &[load(BASE, b"abcd")])).unwrap();
        assert_eq!(image, b"abcd");
    }

    #[test]
    fn gaps_between_segments_are_zero_filled() {
        let loads = [load(BASE, b"ab"), load(BASE + 6, b"cd")];
        let image = elf_to_image(&elf(elf::EM_AARCH64, &loads)).unwrap();
        assert_eq!(image, b"ab\0\0\0\0cd");
    }

    #[test]
    fn out_of_order_segments_are_placed_by_address() {
        let loads = [load(BASE + 0x10, b"second"), load(BASE, b"first")];
        let image = elf_to_image(&elf(elf::EM_AARCH64, &loads)).unwrap();
        assert_eq!(image.len(), 0x10 + 6);
        assert_eq!(&image[..5], b"first");
        assert!(image[5..0x10].iter().all(|&b| b == 0));
        assert_eq!(&image[0x10..], b"second");
    }

    #[test]
    fn trailing_bss_is_not_appended() {
        let mut data = load(BASE + 8, b"data");
        data.mem_size = 0x1000;
        let bss_only = Load {
            vaddr: BASE + 0x2000,
            bytes: Vec::new(),
            mem_size: 0x4000,
        };
        let image = elf_to_image(&elf(
            elf::EM_AARCH64,
            &[load(BASE, b"text"), data, bss_only],
        ))
        .unwrap();
        assert_eq!(image.len(), 12);
        assert_eq!(image, b"text\0\0\0\0data");
    }

    #[test]
    fn bss_between_segments_becomes_zeros() {
        let mut first = load(BASE, b"xy");
        first.mem_size = 8;
        let image = elf_to_image(&elf(elf::EM_AARCH64, &[first, load(BASE + 8, b"z")])).unwrap();
        assert_eq!(image, b"xy\0\0\0\0\0\0z");
    }

    #[test]
    fn overlapping_segments_are_rejected() {
        let mut first = load(BASE, b"abcd");
        first.mem_size = 0x20;
        let err = elf_to_image(&elf(elf::EM_AARCH64, &[first, load(BASE + 0x10, b"e")]));
        assert_eq!(
            err,
            Err(ImageError::Overlap {
                first: BASE,
                second: BASE + 0x10
            })
        );
    }

    #[test]
    fn no_load_segment_is_an_error() {
        assert_eq!(
            elf_to_image(&elf(elf::EM_AARCH64, &[])),
            Err(ImageError::NoLoadSegments)
        );
    }

    #[test]
    fn other_architectures_are_rejected() {
        let err = elf_to_image(&elf(elf::EM_X86_64, &[load(BASE, b"abcd")]));
        assert_eq!(
            err,
            Err(ImageError::NotAarch64 {
                machine: elf::EM_X86_64.0
            })
        );
    }

    #[test]
    fn garbage_is_not_an_elf_file() {
        assert!(matches!(
            elf_to_image(b"not an ELF file"),
            Err(ImageError::Elf(_))
        ));
    }

    #[test]
    fn far_apart_segments_are_rejected() {
        let loads = [load(BASE, b"a"), load(BASE + (1 << 32), b"b")];
        assert!(matches!(
            elf_to_image(&elf(elf::EM_AARCH64, &loads)),
            Err(ImageError::TooLarge { .. })
        ));
    }

    #[test]
    fn stripping_keeps_headers_and_segments_and_drops_the_rest() {
        let mut file = elf(
            elf::EM_AARCH64,
            &[load(BASE, b"text"), load(BASE + 16, b"data")],
        );
        let program = file.clone();
        // What a linker puts after the segments: debug info, symbols and
        // the section header table it points to.
        file.extend_from_slice(&[0xdb; 100]);
        let shoff = file.len() as u64;
        file[40..48].copy_from_slice(&shoff.to_le_bytes());
        file[60..62].copy_from_slice(&3u16.to_le_bytes());
        file.extend_from_slice(&[0x5e; 3 * 64]);
        let stripped = strip_program(&file).unwrap();
        assert_eq!(stripped, program);
        assert_eq!(elf_to_image(&stripped), elf_to_image(&file));
        assert!(strip_program(b"not an ELF file").is_err());
    }

    #[test]
    fn image_header_magic_is_checked() {
        let mut header = vec![0u8; 64];
        header[IMAGE_MAGIC_OFFSET..IMAGE_MAGIC_OFFSET + 4].copy_from_slice(&IMAGE_MAGIC);
        let image = elf_to_image(&elf(elf::EM_AARCH64, &[load(BASE, &header)])).unwrap();
        assert_eq!(check_image_header(&image), Ok(()));
    }

    #[test]
    fn missing_magic_is_reported_with_the_bytes_found() {
        let err = check_image_header(&[0xaa; 64]).unwrap_err();
        assert_eq!(
            err,
            ImageError::NoImageHeader {
                found: Some([0xaa; 4])
            }
        );
        let text = err.to_string();
        assert!(text.contains("offset 56"), "{text}");
        assert!(text.contains("found aa aa aa aa"), "{text}");
    }

    #[test]
    fn short_image_has_no_magic() {
        assert_eq!(
            check_image_header(&[0; 58]),
            Err(ImageError::NoImageHeader { found: None })
        );
    }
}
