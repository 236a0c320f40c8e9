//! Boot-time physical memory accounting for the Tessera kernel.
//!
//! At boot the kernel starts from the RAM regions of the device tree, takes
//! out what is in use (its own image, the device tree, the boot archive,
//! reserved memory), allocates the rootserver's objects, and hands all that
//! is left to the rootserver as Untyped capabilities: naturally aligned
//! power-of-two blocks. After boot the kernel allocates nothing, so this is
//! the only allocator it has, and it is used only on the boot core before
//! any user thread runs.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use heapless::Vec;

/// The most disjoint free ranges tracked.
pub const MAX_RANGES: usize = 32;

/// A half-open physical address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl Range {
    /// The range `[start, start + size)`, or None if it overflows.
    pub fn from_base_size(start: u64, size: u64) -> Option<Range> {
        Some(Range {
            start,
            end: start.checked_add(size)?,
        })
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether it holds no byte.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Why boot memory accounting failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootMemError {
    /// More disjoint ranges than [`MAX_RANGES`].
    TooManyRanges,
    /// No free range can hold the allocation.
    OutOfMemory,
    /// A size or alignment is not a power of two below 2^48.
    BadSize,
}

/// The free physical memory at boot.
#[derive(Clone, Debug, Default)]
pub struct FreeMemory {
    /// Disjoint, sorted, non-empty.
    ranges: Vec<Range, MAX_RANGES>,
}

/// Physical addresses are at most 48 bits.
const PA_LIMIT: u64 = 1 << 48;

impl FreeMemory {
    /// No free memory.
    pub const fn new() -> FreeMemory {
        FreeMemory { ranges: Vec::new() }
    }

    /// The free ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[Range] {
        &self.ranges
    }

    /// Total free bytes.
    pub fn total(&self) -> u64 {
        self.ranges.iter().map(Range::size).sum()
    }

    /// Marks `r` free (clipped to 48 bits), merging with what it touches.
    pub fn add(&mut self, r: Range) -> Result<(), BootMemError> {
        let mut r = Range {
            start: r.start,
            end: r.end.min(PA_LIMIT),
        };
        if r.is_empty() {
            return Ok(());
        }
        let mut merged: Vec<Range, MAX_RANGES> = Vec::new();
        let mut placed = false;
        for &x in &self.ranges {
            if x.end < r.start {
                merged.push(x).map_err(|_| BootMemError::TooManyRanges)?;
            } else if r.end < x.start {
                if !placed {
                    merged.push(r).map_err(|_| BootMemError::TooManyRanges)?;
                    placed = true;
                }
                merged.push(x).map_err(|_| BootMemError::TooManyRanges)?;
            } else {
                r = Range {
                    start: r.start.min(x.start),
                    end: r.end.max(x.end),
                };
            }
        }
        if !placed {
            merged.push(r).map_err(|_| BootMemError::TooManyRanges)?;
        }
        self.ranges = merged;
        Ok(())
    }

    /// Marks `r` in use: whatever part of it was free is not any more.
    pub fn remove(&mut self, r: Range) -> Result<(), BootMemError> {
        if r.is_empty() {
            return Ok(());
        }
        let mut kept: Vec<Range, MAX_RANGES> = Vec::new();
        for &x in &self.ranges {
            let below = Range {
                start: x.start,
                end: x.end.min(r.start),
            };
            let above = Range {
                start: x.start.max(r.end),
                end: x.end,
            };
            for part in [below, above] {
                if !part.is_empty() {
                    kept.push(part).map_err(|_| BootMemError::TooManyRanges)?;
                }
            }
        }
        self.ranges = kept;
        Ok(())
    }

    /// Takes `2^size_bits` bytes aligned to their size from the lowest free
    /// range that can hold them.
    pub fn allocate(&mut self, size_bits: u8) -> Result<u64, BootMemError> {
        if size_bits >= 48 {
            return Err(BootMemError::BadSize);
        }
        let size = 1u64 << size_bits;
        let start = self
            .ranges
            .iter()
            .find_map(|x| {
                let start = x.start.checked_next_multiple_of(size)?;
                (start.checked_add(size)? <= x.end).then_some(start)
            })
            .ok_or(BootMemError::OutOfMemory)?;
        self.remove(Range {
            start,
            end: start + size,
        })?;
        Ok(start)
    }

    /// The free memory as naturally aligned power-of-two blocks of at least
    /// `2^min_bits` bytes, largest possible first within each range, in
    /// address order; smaller leftovers are dropped. Stops after `max`
    /// blocks (the caller's table size) and says whether everything fit.
    pub fn blocks<const N: usize>(&self, min_bits: u8) -> (Vec<Block, N>, bool) {
        let mut out = Vec::new();
        for r in &self.ranges {
            let mut at = r.start;
            while let Some(bits) = largest_block(at, r.end) {
                if bits >= min_bits
                    && out
                        .push(Block {
                            paddr: at,
                            size_bits: bits,
                        })
                        .is_err()
                {
                    return (out, false);
                }
                at += 1 << bits;
            }
        }
        (out, true)
    }
}

/// A naturally aligned block of `2^size_bits` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Physical address, a multiple of the size.
    pub paddr: u64,
    /// log2 of the size.
    pub size_bits: u8,
}

/// The largest naturally aligned power-of-two block at `at` that ends at or
/// before `end`.
fn largest_block(at: u64, end: u64) -> Option<u8> {
    if at >= end {
        return None;
    }
    let align_bits = if at == 0 {
        47
    } else {
        at.trailing_zeros().min(47)
    };
    let room_bits = 63 - (end - at).leading_zeros();
    Some(align_bits.min(room_bits) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(start: u64, end: u64) -> Range {
        Range { start, end }
    }

    #[test]
    fn add_merges_and_sorts() {
        let mut f = FreeMemory::new();
        f.add(r(0x3000, 0x4000)).unwrap();
        f.add(r(0x1000, 0x2000)).unwrap();
        f.add(r(0x2000, 0x3000)).unwrap();
        assert_eq!(f.ranges(), &[r(0x1000, 0x4000)]);
        f.add(r(0x8000, 0x9000)).unwrap();
        assert_eq!(f.ranges(), &[r(0x1000, 0x4000), r(0x8000, 0x9000)]);
    }

    #[test]
    fn remove_splits() {
        let mut f = FreeMemory::new();
        f.add(r(0x4000_0000, 0xc000_0000)).unwrap();
        f.remove(r(0x4020_0000, 0x4030_0000)).unwrap();
        f.remove(r(0x4800_0000, 0x4800_1000)).unwrap();
        assert_eq!(
            f.ranges(),
            &[
                r(0x4000_0000, 0x4020_0000),
                r(0x4030_0000, 0x4800_0000),
                r(0x4800_1000, 0xc000_0000)
            ]
        );
    }

    #[test]
    fn allocate_aligns_and_removes() {
        let mut f = FreeMemory::new();
        f.add(r(0x1000, 0x10_0000)).unwrap();
        assert_eq!(f.allocate(16), Ok(0x1_0000));
        assert_eq!(f.allocate(12), Ok(0x1000));
        assert_eq!(f.allocate(30), Err(BootMemError::OutOfMemory));
        assert_eq!(f.allocate(48), Err(BootMemError::BadSize));
        assert_eq!(f.ranges(), &[r(0x2000, 0x1_0000), r(0x2_0000, 0x10_0000)]);
    }

    #[test]
    fn blocks_of_a_typical_ram() {
        let mut f = FreeMemory::new();
        f.add(r(0x4000_0000, 0xc000_0000)).unwrap();
        f.remove(r(0x4000_0000, 0x4040_0000)).unwrap();
        let (blocks, complete) = f.blocks::<64>(4);
        assert!(complete);
        assert_eq!(
            blocks[0],
            Block {
                paddr: 0x4040_0000,
                size_bits: 22
            }
        );
        assert_eq!(
            blocks.last(),
            Some(&Block {
                paddr: 0x8000_0000,
                size_bits: 30
            })
        );
        let total: u64 = blocks.iter().map(|b| 1u64 << b.size_bits).sum();
        assert_eq!(total, f.total());
    }

    #[test]
    fn blocks_stop_when_full() {
        let mut f = FreeMemory::new();
        f.add(r(0x1000, 0x1_0000)).unwrap();
        let (blocks, complete) = f.blocks::<2>(4);
        assert!(!complete);
        assert_eq!(blocks.len(), 2);
    }

    #[test]
    fn too_many_ranges() {
        let mut f = FreeMemory::new();
        for i in 0..MAX_RANGES as u64 {
            f.add(r(i * 0x10000, i * 0x10000 + 0x1000)).unwrap();
        }
        assert_eq!(
            f.add(r(0x1000_0000, 0x1000_1000)),
            Err(BootMemError::TooManyRanges)
        );
    }

    fn model_contains(model: &[bool], a: u64) -> bool {
        model.get(a as usize).copied().unwrap_or(false)
    }

    proptest! {
        /// Against a page-granular model: add/remove keep exactly the
        /// model's pages free; blocks cover exactly the free bytes (with a
        /// 4 KiB minimum and page-aligned input), aligned and disjoint.
        #[test]
        fn matches_a_page_model(ops in proptest::collection::vec((any::<bool>(), 0u64..64, 1u64..16), 1..40)) {
            let mut f = FreeMemory::new();
            let mut model = [false; 80];
            for (add, start, len) in ops {
                let range = r(start << 12, (start + len) << 12);
                if add {
                    if f.add(range).is_err() { return Ok(()); }
                    for p in start..start + len { model[p as usize] = true; }
                } else {
                    if f.remove(range).is_err() { return Ok(()); }
                    for p in start..start + len { model[p as usize] = false; }
                }
            }
            for p in 0..80u64 {
                let free = f.ranges().iter().any(|x| x.start <= p << 12 && (p << 12) < x.end);
                prop_assert_eq!(free, model_contains(&model, p));
            }
            for w in f.ranges().windows(2) {
                prop_assert!(w[0].end < w[1].start);
            }
            let (blocks, complete) = f.blocks::<256>(12);
            prop_assert!(complete);
            let total: u64 = blocks.iter().map(|b| 1u64 << b.size_bits).sum();
            prop_assert_eq!(total, f.total());
            for b in &blocks {
                prop_assert_eq!(b.paddr % (1 << b.size_bits), 0);
                for p in (b.paddr >> 12)..((b.paddr + (1 << b.size_bits)) >> 12) {
                    prop_assert!(model_contains(&model, p));
                }
            }
        }

        #[test]
        fn allocations_are_aligned_free_and_disjoint(sizes in proptest::collection::vec(12u8..20, 1..20)) {
            let mut f = FreeMemory::new();
            f.add(r(0x4000_1000, 0x4100_0000)).unwrap();
            let mut taken: std::vec::Vec<Range> = std::vec::Vec::new();
            for bits in sizes {
                if let Ok(pa) = f.allocate(bits) {
                    let got = r(pa, pa + (1 << bits));
                    prop_assert_eq!(pa % (1 << bits), 0);
                    prop_assert!(pa >= 0x4000_1000 && got.end <= 0x4100_0000);
                    for t in &taken {
                        prop_assert!(got.end <= t.start || t.end <= got.start);
                    }
                    for x in f.ranges() {
                        prop_assert!(got.end <= x.start || x.end <= got.start);
                    }
                    taken.push(got);
                }
            }
        }
    }
}
