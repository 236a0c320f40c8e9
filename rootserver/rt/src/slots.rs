//! A bounded allocator of empty CNode slots.

use tessera_abi::{CPtr, SlotRange};

/// Most slots one allocator manages.
pub const MAX_SLOTS: u64 = 4096;

/// The allocator ran out of slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exhausted;

/// Hands out slots of a range known to be empty; freed slots are reused.
#[derive(Clone, Debug)]
pub struct SlotAllocator {
    range: SlotRange,
    used: [u64; (MAX_SLOTS / 64) as usize],
}

impl SlotAllocator {
    /// Manages `range` (at most [`MAX_SLOTS`] slots of it).
    pub fn new(range: SlotRange) -> Self {
        let end = range
            .end
            .min(range.start.saturating_add(MAX_SLOTS))
            .max(range.start);
        Self {
            range: SlotRange {
                start: range.start,
                end,
            },
            used: [0; (MAX_SLOTS / 64) as usize],
        }
    }

    /// The slots managed.
    pub fn range(&self) -> SlotRange {
        self.range
    }

    fn is_used(&self, i: u64) -> bool {
        self.used[(i / 64) as usize] & (1 << (i % 64)) != 0
    }

    fn mark(&mut self, i: u64, used: bool) {
        let word = &mut self.used[(i / 64) as usize];
        if used {
            *word |= 1 << (i % 64);
        } else {
            *word &= !(1 << (i % 64));
        }
    }

    /// One free slot.
    pub fn alloc(&mut self) -> Result<CPtr, Exhausted> {
        self.alloc_range(1)
    }

    /// `n` consecutive free slots (for a retype of `n` objects); returns
    /// the first.
    pub fn alloc_range(&mut self, n: u64) -> Result<CPtr, Exhausted> {
        if n == 0 {
            return Err(Exhausted);
        }
        let len = self.range.len();
        let mut run = 0;
        for i in 0..len {
            run = if self.is_used(i) { 0 } else { run + 1 };
            if run == n {
                let first = i + 1 - n;
                (first..=i).for_each(|j| self.mark(j, true));
                return Ok(self.range.start + first);
            }
        }
        Err(Exhausted)
    }

    /// Gives a slot back (the caller has emptied it). Slots outside the
    /// range are ignored.
    pub fn free(&mut self, slot: CPtr) {
        if slot >= self.range.start && slot < self.range.end {
            self.mark(slot - self.range.start, false);
        }
    }

    /// The slots handed out and not freed, in order.
    pub fn used(&self) -> impl Iterator<Item = CPtr> + '_ {
        (0..self.range.len())
            .filter(|&i| self.is_used(i))
            .map(|i| self.range.start + i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: u64) -> SlotRange {
        SlotRange { start, end }
    }

    #[test]
    fn hands_out_each_slot_once_then_fails() {
        let mut a = SlotAllocator::new(range(10, 13));
        assert_eq!(a.alloc(), Ok(10));
        assert_eq!(a.alloc(), Ok(11));
        assert_eq!(a.alloc(), Ok(12));
        assert_eq!(a.alloc(), Err(Exhausted));
        a.free(11);
        assert_eq!(a.alloc(), Ok(11));
        a.free(99);
        assert_eq!(a.alloc(), Err(Exhausted));
    }

    #[test]
    fn ranges_are_consecutive() {
        let mut a = SlotAllocator::new(range(0, 8));
        assert_eq!(a.alloc(), Ok(0));
        assert_eq!(a.alloc(), Ok(1));
        a.free(0);
        assert_eq!(a.alloc_range(3), Ok(2));
        assert_eq!(a.alloc_range(4), Err(Exhausted));
        assert_eq!(a.alloc_range(3), Ok(5));
        assert_eq!(a.alloc_range(0), Err(Exhausted));
        assert!(a.used().eq([1, 2, 3, 4, 5, 6, 7]));
    }

    #[test]
    fn capacity_is_bounded() {
        let a = SlotAllocator::new(range(16, 1 << 40));
        assert_eq!(a.range().len(), MAX_SLOTS);
        assert!(SlotAllocator::new(range(5, 2)).range().is_empty());
    }
}
