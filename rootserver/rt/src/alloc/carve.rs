//! Frames at fixed physical addresses: memory regions with a `phys_addr`
//! and device memory. The page is carved out of the Untyped that covers
//! it by splitting that Untyped in halves (a Retype into two Untypeds of
//! half its size) down to 4 KiB, keeping the half that holds the page and
//! giving the other half back to the allocator for later use.
//!
//! Carve before allocating anything else from a pool: an Untyped that
//! already has objects cannot be split, and its pages count as in use.

use tessera_abi::{CPtr, ObjectType, PAGE_BITS};

use super::{AllocError, UntypedAllocator, UntypedRegion};
use crate::invoke::untyped::{self, Destination};
use crate::slots::SlotAllocator;

/// What carving a page takes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CarveStep {
    /// Region `i` is exactly the page, unused: retype it into the frame.
    Found(usize),
    /// Region `i` covers the page, unused: split it.
    Split(usize),
    /// The page lies in Untyped memory already (partly) used.
    InUse,
    /// No Untyped of this pool covers the page.
    NotCovered,
}

/// Why a page could not be carved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CarveError {
    /// No Untyped covers the address (it is not free RAM, or not device
    /// memory the kernel hands out).
    NotCovered,
    /// The page's Untyped memory is already used (by an earlier carve or
    /// allocation).
    InUse,
    /// Slots ran out or the kernel refused a Retype.
    Alloc(AllocError),
}

impl From<AllocError> for CarveError {
    fn from(e: AllocError) -> Self {
        Self::Alloc(e)
    }
}

impl core::fmt::Display for CarveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NotCovered => f.write_str("no Untyped capability covers it"),
            Self::InUse => f.write_str("its memory is already in use"),
            Self::Alloc(e) => write!(f, "{e}"),
        }
    }
}

impl UntypedRegion {
    /// Whether the whole page at `paddr` lies in this region.
    fn covers_page(&self, paddr: u64) -> bool {
        self.size_bits >= PAGE_BITS
            && self.size_bits < 64
            && paddr >= self.paddr
            && paddr - self.paddr < 1u64 << self.size_bits
    }
}

impl UntypedAllocator {
    /// What carving the page at `paddr` (page-aligned) takes next: the
    /// smallest unused region covering it is split or, at 4 KiB, used.
    pub fn carve_step(&self, paddr: u64) -> CarveStep {
        let covering = self.regions().iter().enumerate();
        let mut covering = covering.filter(|(_, r)| r.covers_page(paddr)).peekable();
        if covering.peek().is_none() {
            return CarveStep::NotCovered;
        }
        let unused = covering
            .filter(|(_, r)| r.used == 0)
            .min_by_key(|(_, r)| r.size_bits);
        match unused {
            Some((i, r)) if r.size_bits == PAGE_BITS => CarveStep::Found(i),
            Some((i, _)) => CarveStep::Split(i),
            None => CarveStep::InUse,
        }
    }

    /// Records that region `i` was retyped into two Untypeds of half its
    /// size in slots `first` and `first + 1`: the half holding `paddr`
    /// takes the region's place and the other is added (or, if the table
    /// is full, left unused).
    pub fn record_split(&mut self, i: usize, first: CPtr, paddr: u64) {
        let Some(r) = self.regions.get(i).copied() else {
            return;
        };
        let half_bits = r.size_bits - 1;
        let upper = paddr - r.paddr >= 1u64 << half_bits;
        let half = |n: u64| UntypedRegion {
            cptr: first + n,
            size_bits: half_bits,
            paddr: r.paddr + (n << half_bits),
            used: 0,
        };
        let (keep, other) = if upper {
            (half(1), half(0))
        } else {
            (half(0), half(1))
        };
        self.regions[i] = keep;
        self.add(other.cptr, other.size_bits, other.paddr);
    }

    /// Marks region `i` as used in full.
    pub fn use_up(&mut self, i: usize) {
        if let Some(r) = self.regions.get_mut(i) {
            r.used = 1u64 << r.size_bits.min(63);
        }
    }
}

/// Makes a 4 KiB frame capability for the page at `paddr` (page-aligned)
/// from `pool`, with slots of `cnode` (a single-level CSpace root) from
/// `slots`. A device pool gives device frames.
pub fn carve_frame(
    pool: &mut UntypedAllocator,
    slots: &mut SlotAllocator,
    cnode: CPtr,
    paddr: u64,
) -> Result<CPtr, CarveError> {
    loop {
        match pool.carve_step(paddr) {
            CarveStep::Found(i) => {
                let frame = slots.alloc().map_err(AllocError::from)?;
                let dest = Destination::root(cnode, frame);
                let ut = pool.regions()[i].cptr;
                if let Err(e) = untyped::retype(ut, ObjectType::Frame4K, 0, dest, 1) {
                    slots.free(frame);
                    return Err(AllocError::Kernel(e).into());
                }
                pool.use_up(i);
                return Ok(frame);
            }
            CarveStep::Split(i) => {
                let first = slots.alloc_range(2).map_err(AllocError::from)?;
                let r = pool.regions()[i];
                let dest = Destination::root(cnode, first);
                let bits = u64::from(r.size_bits - 1);
                if let Err(e) = untyped::retype(r.cptr, ObjectType::Untyped, bits, dest, 2) {
                    slots.free(first);
                    slots.free(first + 1);
                    return Err(AllocError::Kernel(e).into());
                }
                pool.record_split(i, first, paddr);
            }
            CarveStep::InUse => return Err(CarveError::InUse),
            CarveStep::NotCovered => return Err(CarveError::NotCovered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Carves `paddr` on paper, numbering new slots from 100; returns the
    /// steps taken.
    fn carve_on_paper(pool: &mut UntypedAllocator, paddr: u64, next: &mut u64) -> Vec<CarveStep> {
        let mut steps = Vec::new();
        loop {
            let step = pool.carve_step(paddr);
            steps.push(step);
            match step {
                CarveStep::Split(i) => {
                    pool.record_split(i, *next, paddr);
                    *next += 2;
                }
                CarveStep::Found(i) => {
                    pool.use_up(i);
                    return steps;
                }
                _ => return steps,
            }
        }
    }

    extern crate std;
    use std::vec::Vec;

    #[test]
    fn a_page_is_split_out_and_the_halves_are_kept() {
        let mut pool = UntypedAllocator::new();
        pool.add(1, 16, 0x1_0000);
        let mut next = 100;
        let steps = carve_on_paper(&mut pool, 0x1_3000, &mut next);
        // 64 KiB -> 32 -> 16 -> 8 -> 4: four splits, then the page.
        assert_eq!(steps.len(), 5);
        assert!(matches!(steps[4], CarveStep::Found(_)));
        // Every byte of the original is in exactly one region.
        let mut covered: Vec<(u64, u64)> = pool
            .regions()
            .iter()
            .map(|r| (r.paddr, r.paddr + (1 << r.size_bits)))
            .collect();
        covered.sort();
        assert_eq!(covered.first().unwrap().0, 0x1_0000);
        assert_eq!(covered.last().unwrap().1, 0x2_0000);
        assert!(covered.windows(2).all(|w| w[0].1 == w[1].0));
        // The carved page is used; its neighbour can be carved next.
        assert_eq!(pool.carve_step(0x1_3000), CarveStep::InUse);
        let steps = carve_on_paper(&mut pool, 0x1_2000, &mut next);
        assert_eq!(steps.len(), 1);
        assert!(matches!(steps[0], CarveStep::Found(_)));
    }

    #[test]
    fn uncovered_and_used_memory_is_refused() {
        let mut pool = UntypedAllocator::new();
        pool.add(1, 13, 0x4000);
        pool.add(2, 4, 0x9000);
        assert_eq!(pool.carve_step(0x8000), CarveStep::NotCovered);
        // A block smaller than a page does not cover one.
        assert_eq!(pool.carve_step(0x9000), CarveStep::NotCovered);
        assert_eq!(pool.plan(12), Some((0, 0)));
        assert_eq!(pool.carve_step(0x5000), CarveStep::InUse);
    }

    #[test]
    fn a_full_table_loses_the_other_half_but_stays_correct() {
        let mut pool = UntypedAllocator::new();
        for i in 0..tessera_abi::MAX_UNTYPEDS as u64 {
            pool.add(i, 13, i << 13);
        }
        let mut next = 1000;
        let steps = carve_on_paper(&mut pool, 0x1000, &mut next);
        assert_eq!(steps.len(), 2);
        assert_eq!(pool.regions()[0].paddr, 0x1000);
        assert_eq!(pool.carve_step(0x0), CarveStep::NotCovered);
    }
}
