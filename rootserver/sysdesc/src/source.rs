//! The description as written in the TOML file, before validation.
//!
//! Numbers that have a legal range are read wider than they are stored, so
//! that [`validate`](crate::validate) reports a bad value together with every
//! other broken rule instead of the first one stopping the parse. Unknown
//! keys and sections are parse errors, so a misspelt key is never ignored.

use std::path::Path;
use std::string::{String, ToString};
use std::vec::Vec;

use serde::Deserialize;

use crate::error::LoadError;

/// A system description as read from its file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Description {
    /// The file it came from, as given to [`load`] or [`parse`].
    #[serde(skip)]
    pub file: String,
    /// `[[component]]` entries.
    #[serde(default)]
    pub component: Vec<ComponentSpec>,
    /// `[[memory_region]]` entries.
    #[serde(default)]
    pub memory_region: Vec<RegionSpec>,
    /// `[[channel]]` entries.
    #[serde(default)]
    pub channel: Vec<ChannelSpec>,
    /// `[[interrupt]]` entries.
    #[serde(default)]
    pub interrupt: Vec<InterruptSpec>,
    /// `[[device]]` entries.
    #[serde(default)]
    pub device: Vec<DeviceSpec>,
    /// `[[partition]]` entries: reserved, rejected as not supported yet.
    #[serde(default)]
    pub partition: Vec<toml::Table>,
    /// `[[virtual_machine]]` entries: reserved, rejected as not supported yet.
    #[serde(default)]
    pub virtual_machine: Vec<toml::Table>,
}

/// A `[[component]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Unique name.
    pub name: String,
    /// Boot-archive entry name of its ELF image.
    pub program: String,
    /// Priority, 0 to 254.
    pub priority: i64,
    /// Core index, below the core count.
    #[serde(default)]
    pub core: i64,
    /// Stack size in bytes.
    #[serde(default = "default_stack_size")]
    pub stack_size: i64,
    /// Heap size in bytes.
    #[serde(default)]
    pub heap_size: i64,
    /// The endpoint channel (from this component) its output goes through.
    pub console: Option<String>,
}

/// The stack size of a component that gives none (16 KiB).
pub const DEFAULT_STACK_SIZE: i64 = 16 * 1024;

fn default_stack_size() -> i64 {
    DEFAULT_STACK_SIZE
}

fn default_true() -> bool {
    true
}

/// A `[[memory_region]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// Unique name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Fixed physical address, if any.
    pub phys_addr: Option<i64>,
    /// Cacheable (default) or not.
    #[serde(default = "default_true")]
    pub cacheable: bool,
    /// `[[memory_region.map]]` entries.
    #[serde(default)]
    pub map: Vec<MapSpec>,
}

/// A `[[memory_region.map]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    /// The component it is mapped into.
    pub component: String,
    /// Rights: `"r"`, `"rw"`, `"rx"`, `"rwx"`.
    pub rights: String,
    /// A virtual address or `"any"` (the default).
    #[serde(default)]
    pub vaddr: VaddrSpec,
}

/// A virtual address as written: a number or a word (only `"any"` is legal).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VaddrSpec {
    /// A fixed address.
    Fixed(i64),
    /// A word; validation accepts `"any"` only.
    Word(String),
}

impl Default for VaddrSpec {
    fn default() -> Self {
        Self::Word("any".to_string())
    }
}

/// A `[[channel]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSpec {
    /// Unique name.
    pub name: String,
    /// `"notification"` or `"endpoint"`.
    pub kind: String,
    /// Signaller (notification) or caller (endpoint).
    pub from: String,
    /// Waiter (notification) or callee (endpoint).
    pub to: String,
}

/// An `[[interrupt]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptSpec {
    /// GIC interrupt ID.
    pub intid: i64,
    /// `"level"` or `"edge"`.
    pub trigger: String,
    /// The component that handles it.
    pub component: String,
}

/// A `[[device]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Unique name.
    pub name: String,
    /// Physical address.
    pub phys_addr: i64,
    /// Size in bytes.
    pub size: i64,
    /// The component it is given to.
    pub component: String,
    /// Rights: `"r"` or `"rw"`.
    pub rights: String,
    /// A virtual address or `"any"` (the default).
    #[serde(default)]
    pub vaddr: VaddrSpec,
}

/// Reads and parses the description in `path`.
pub fn load(path: &Path) -> Result<Description, LoadError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| LoadError::Read {
        file: file.clone(),
        error,
    })?;
    parse(&file, &text)
}

/// Parses `text`, which came from `file` (used in messages only).
pub fn parse(file: &str, text: &str) -> Result<Description, LoadError> {
    let mut description: Description = toml::from_str(text).map_err(|error| LoadError::Parse {
        file: file.to_string(),
        message: error.to_string(),
    })?;
    description.file = file.to_string();
    Ok(description)
}
