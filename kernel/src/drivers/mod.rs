//! The few devices the kernel drives itself.

pub mod pl011;
