//! Architecture support. Tessera runs on AArch64 only.

pub mod aarch64;
