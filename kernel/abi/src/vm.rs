//! Address-space arguments: mapping attributes and thread register layout.

bitflags::bitflags! {
    /// Attributes of a frame mapping (`FrameMap` MR2).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct VmAttributes: u64 {
        /// Normal write-back memory; without it, normal non-cacheable.
        /// Ignored for device frames, which are always device memory.
        const CACHEABLE = 1 << 0;
        /// Never executable, whatever the rights.
        const EXECUTE_NEVER = 1 << 2;
    }
}

impl VmAttributes {
    /// Cacheable, executable if the rights allow reading.
    pub const DEFAULT: VmAttributes = VmAttributes::CACHEABLE;
}

/// A thread's user-visible registers, in the order `TcbReadRegisters` and
/// `TcbWriteRegisters` use.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserContext {
    /// Program counter.
    pub pc: u64,
    /// Stack pointer (SP_EL0).
    pub sp: u64,
    /// Saved program status (only the NZCV flags can be changed).
    pub spsr: u64,
    /// x0–x30.
    pub x: [u64; 31],
    /// The thread pointer register.
    pub tpidr_el0: u64,
}

impl UserContext {
    /// Number of registers.
    pub const COUNT: usize = 35;

    /// Register `i` in the ABI order, if there is one.
    pub fn get(&self, i: usize) -> Option<u64> {
        match i {
            0 => Some(self.pc),
            1 => Some(self.sp),
            2 => Some(self.spsr),
            3..=33 => self.x.get(i - 3).copied(),
            34 => Some(self.tpidr_el0),
            _ => None,
        }
    }

    /// Sets register `i`; false if there is none.
    pub fn set(&mut self, i: usize, value: u64) -> bool {
        match i {
            0 => self.pc = value,
            1 => self.sp = value,
            2 => self.spsr = value,
            3..=33 => match self.x.get_mut(i - 3) {
                Some(r) => *r = value,
                None => return false,
            },
            34 => self.tpidr_el0 = value,
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_indexing() {
        let mut c = UserContext::default();
        for i in 0..UserContext::COUNT {
            assert!(c.set(i, i as u64 + 100));
        }
        assert!(!c.set(UserContext::COUNT, 0));
        assert_eq!(c.get(0), Some(100));
        assert_eq!(c.get(3), Some(103));
        assert_eq!(c.x[30], 133);
        assert_eq!(c.get(34), Some(134));
        assert_eq!(c.get(35), None);
        assert_eq!(core::mem::size_of::<UserContext>(), UserContext::COUNT * 8);
    }
}
