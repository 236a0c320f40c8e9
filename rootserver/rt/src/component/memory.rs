//! A component's memory regions, devices and heap, by name.
//!
//! Accesses are volatile and bounds-checked: a region may be shared with
//! another component that writes it at any time, and a device's registers
//! change by themselves. Order accesses to shared memory with the channel
//! that announces them (a notification or call is a barrier on both
//! sides).

use core::fmt;

use tessera_component_info::{AreaInfo, AreaKind, Rights};

/// Marks a register-block type (such as one made with tock-registers'
/// `register_structs!`) that [`Memory::registers`] may place over device
/// memory.
///
/// # Safety
/// Every field must be a register type with interior mutability and
/// volatile access (tock-registers' `ReadOnly`, `ReadWrite`, `WriteOnly`,
/// or reserved padding), so that a shared reference to device memory is
/// all the type needs.
pub unsafe trait Mmio {}

/// A memory region, device or the heap, as mapped into this component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory {
    name: &'static str,
    kind: AreaKind,
    vaddr: u64,
    size: u64,
    rights: Rights,
}

/// Why an access was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The access does not lie within the area.
    OutOfBounds,
    /// The offset is not a multiple of the access size.
    Misaligned,
    /// A write to a read-only mapping.
    ReadOnly,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OutOfBounds => "outside the mapping",
            Self::Misaligned => "misaligned",
            Self::ReadOnly => "the mapping is read-only",
        })
    }
}

impl Memory {
    pub(super) fn from_info(a: &AreaInfo<'static>) -> Self {
        Self {
            name: a.name,
            kind: a.kind,
            vaddr: a.vaddr,
            size: a.size,
            rights: a.rights,
        }
    }

    pub(super) fn heap(vaddr: u64, size: u64) -> Self {
        let rights = Rights {
            read: true,
            write: true,
            execute: false,
        };
        Self {
            name: "heap",
            kind: AreaKind::Region,
            vaddr,
            size,
            rights,
        }
    }

    /// Its name in the system description (`"heap"` for the heap).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Where it is mapped.
    pub fn vaddr(&self) -> u64 {
        self.vaddr
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Whether it is device memory.
    pub fn is_device(&self) -> bool {
        self.kind == AreaKind::Device
    }

    /// Whether stores are allowed.
    pub fn writable(&self) -> bool {
        self.rights.write
    }

    /// The address of `len` bytes at `offset`, aligned to `len`.
    fn address(&self, offset: u64, len: u64) -> Result<u64, AccessError> {
        let end = offset.checked_add(len).ok_or(AccessError::OutOfBounds)?;
        if end > self.size {
            return Err(AccessError::OutOfBounds);
        }
        if !offset.is_multiple_of(len) {
            return Err(AccessError::Misaligned);
        }
        Ok(self.vaddr + offset)
    }

    fn writable_address(&self, offset: u64, len: u64) -> Result<u64, AccessError> {
        let address = self.address(offset, len)?;
        if !self.rights.write {
            return Err(AccessError::ReadOnly);
        }
        Ok(address)
    }

    /// Reads the 64-bit word at `offset` (a multiple of 8).
    pub fn read_u64(&self, offset: u64) -> Result<u64, AccessError> {
        let address = self.address(offset, 8)?;
        // SAFETY: the rootserver mapped the area readable for the
        // component's lifetime; the word is inside it and aligned.
        Ok(unsafe { core::ptr::read_volatile(address as *const u64) })
    }

    /// Writes the 64-bit word at `offset` (a multiple of 8).
    pub fn write_u64(&self, offset: u64, value: u64) -> Result<(), AccessError> {
        let address = self.writable_address(offset, 8)?;
        // SAFETY: as for `read_u64`, and the mapping is writable.
        unsafe { core::ptr::write_volatile(address as *mut u64, value) };
        Ok(())
    }

    /// Reads the 32-bit word at `offset` (a multiple of 4), such as a
    /// device register.
    pub fn read_u32(&self, offset: u64) -> Result<u32, AccessError> {
        let address = self.address(offset, 4)?;
        // SAFETY: as for `read_u64`.
        Ok(unsafe { core::ptr::read_volatile(address as *const u32) })
    }

    /// Writes the 32-bit word at `offset` (a multiple of 4).
    pub fn write_u32(&self, offset: u64, value: u32) -> Result<(), AccessError> {
        let address = self.writable_address(offset, 4)?;
        // SAFETY: as for `write_u64`.
        unsafe { core::ptr::write_volatile(address as *mut u32, value) };
        Ok(())
    }

    /// The register block `T` over the start of this area, if it fits.
    pub fn registers<T: Mmio>(&self) -> Option<&'static T> {
        let fits = core::mem::size_of::<T>() as u64 <= self.size;
        let aligned = self.vaddr.is_multiple_of(core::mem::align_of::<T>() as u64);
        if !fits || !aligned || self.vaddr == 0 {
            return None;
        }
        // SAFETY: the area is mapped for the component's lifetime, large
        // and aligned enough; `T: Mmio` promises its fields are volatile
        // registers with interior mutability, so a shared reference to
        // memory that changes by itself (or is written through other such
        // references) is sound.
        Some(unsafe { &*(self.vaddr as *const T) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(write: bool) -> Memory {
        Memory::from_info(&AreaInfo {
            name: "shared",
            kind: AreaKind::Region,
            vaddr: 0x1000_0000,
            size: 0x1000,
            rights: Rights {
                read: true,
                write,
                execute: false,
            },
            cacheable: true,
        })
    }

    #[test]
    fn accesses_are_checked_before_they_happen() {
        let ro = area(false);
        assert_eq!(ro.read_u64(0x1000), Err(AccessError::OutOfBounds));
        assert_eq!(ro.read_u64(0xffc), Err(AccessError::OutOfBounds));
        assert_eq!(ro.read_u64(u64::MAX - 3), Err(AccessError::OutOfBounds));
        assert_eq!(ro.read_u64(4), Err(AccessError::Misaligned));
        assert_eq!(ro.write_u64(0, 1), Err(AccessError::ReadOnly));
        assert_eq!(ro.write_u32(2, 1), Err(AccessError::Misaligned));
        assert_eq!(ro.address(0xff8, 8), Ok(0x1000_0ff8));
        assert!(!ro.writable() && !ro.is_device());
        assert!(area(true).writable());
        assert_eq!(Memory::heap(0x6000_0000_0000, 0x4000).name(), "heap");
    }
}
