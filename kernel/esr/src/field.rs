//! Bit-field extraction shared by the decoders.
//!
//! Every decoder reads fields through these helpers so that no shift or
//! narrowing conversion is written out by hand: an out-of-range shift or a
//! truncating cast is exactly the kind of slip that panics in debug builds
//! or silently drops bits.

/// Returns `width` bits of `value` starting at bit `shift`.
///
/// A shift of 64 or more yields 0 instead of panicking.
pub(crate) const fn bits(value: u64, shift: u32, width: u32) -> u64 {
    let shifted = match value.checked_shr(shift) {
        Some(v) => v,
        None => 0,
    };
    shifted & mask(width)
}

/// Returns a mask of the low `width` bits (all ones for 64 or more).
pub(crate) const fn mask(width: u32) -> u64 {
    match 1u64.checked_shl(width) {
        Some(bit) => bit.wrapping_sub(1),
        None => u64::MAX,
    }
}

/// Returns one bit of `value` as a boolean.
pub(crate) const fn bit(value: u64, position: u32) -> bool {
    bits(value, position, 1) != 0
}

/// Returns a field of at most 8 bits as a `u8`.
///
/// Widths above 8 are clamped, so the masked field always fits and the
/// narrowing `as` below never drops a set bit (`TryFrom` is not usable in
/// a `const fn`).
pub(crate) const fn bits_u8(value: u64, shift: u32, width: u32) -> u8 {
    let width = if width > 8 { 8 } else { width };
    bits(value, shift, width) as u8
}

/// Returns a field of at most 16 bits as a `u16` (see [`bits_u8`]).
pub(crate) const fn bits_u16(value: u64, shift: u32, width: u32) -> u16 {
    let width = if width > 16 { 16 } else { width };
    bits(value, shift, width) as u16
}

/// Returns a field of at most 32 bits as a `u32` (see [`bits_u8`]).
pub(crate) const fn bits_u32(value: u64, shift: u32, width: u32) -> u32 {
    let width = if width > 32 { 32 } else { width };
    bits(value, shift, width) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_fields() {
        assert_eq!(bits(0xABCD, 4, 8), 0xBC);
        assert_eq!(bits(u64::MAX, 0, 64), u64::MAX);
        assert_eq!(bits(u64::MAX, 64, 8), 0);
        assert_eq!(bits_u8(0xFF00, 8, 12), 0xFF);
        assert_eq!(bits_u16(0x1234_5678, 16, 16), 0x1234);
        assert_eq!(bits_u32(u64::MAX, 32, 40), u32::MAX);
        assert!(bit(0b100, 2));
        assert!(!bit(0b100, 1));
    }
}
