//! What goes wrong with a description, in words that name the file, the
//! entry and the rule.

use std::fmt;
use std::string::String;
use std::vec::Vec;

/// A rule of the system description. [`Rule::text`] states it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A name is empty, too long or has characters other than letters,
    /// digits, `_` and `-`.
    Name,
    /// Two entries of one section share a name.
    UniqueName,
    /// A reference to a component, region or channel names none.
    Reference,
    /// A program is not a simple boot-archive entry name.
    Program,
    /// A program is not in the boot archive (checked when the entries are
    /// known, see [`Options::archive_entries`](crate::Options)).
    ProgramInArchive,
    /// A priority is outside 0..=254.
    Priority,
    /// A core is not below the core count.
    Core,
    /// A stack size is zero, not page-aligned or too large.
    StackSize,
    /// A heap size is not page-aligned or too large.
    HeapSize,
    /// A region or device size is zero or not page-aligned.
    Size,
    /// A physical address is not page-aligned or its range leaves 48 bits.
    PhysAddr,
    /// A virtual address is not page-aligned, not `"any"`, or its range
    /// leaves 48 bits.
    VirtAddr,
    /// Two physical ranges (fixed regions, device memory) overlap.
    PhysOverlap,
    /// Two mappings in one component's address space overlap.
    VirtOverlap,
    /// Rights are not one of `r`, `rw`, `rx`, `rwx`.
    Rights,
    /// Device rights are not `r` or `rw`.
    DeviceRights,
    /// A channel kind is neither `notification` nor `endpoint`.
    ChannelKind,
    /// A channel's two ends are the same component.
    ChannelEnds,
    /// An endpoint's callee is not above its caller in priority.
    EndpointPriority,
    /// A trigger is neither `level` nor `edge`.
    Trigger,
    /// An INTID is not a PPI or SPI.
    IntidRange,
    /// A PPI given as edge-triggered.
    PpiTrigger,
    /// An INTID is one the kernel keeps.
    IntidKernel,
    /// Two entries give the same interrupt.
    InterruptShared,
    /// A section has more entries than the packed form holds.
    TooMany,
    /// A component's console is not an endpoint channel it calls.
    Console,
    /// A component has more channels and interrupts than local ids.
    LocalIds,
    /// A component has more regions and devices mapped than its info page
    /// holds.
    Areas,
    /// A section that is reserved for later issues is used.
    NotSupported,
}

impl Rule {
    /// The rule in plain words.
    pub fn text(self) -> &'static str {
        match self {
            Self::Name => "names must be 1 to 32 letters, digits, '_' or '-'",
            Self::UniqueName => "names must be unique within their section",
            Self::Reference => "every component, region and channel it names must exist",
            Self::Program => {
                "a program must be a simple boot-archive entry name (1 to 32 of a-z, 0-9, '_', '-'; not \"rootserver\")"
            }
            Self::ProgramInArchive => "a program must be an entry of the boot archive",
            Self::Priority => "priorities must be 0 to 254, below the rootserver's 255",
            Self::Core => "the core must be below the core count",
            Self::StackSize => "stack sizes must be non-zero multiples of 4 KiB, at most 1 MiB",
            Self::HeapSize => "heap sizes must be multiples of 4 KiB, at most 256 MiB",
            Self::Size => "sizes must be non-zero multiples of 4 KiB",
            Self::PhysAddr => {
                "physical addresses must be multiples of 4 KiB and ranges must end within 48 bits"
            }
            Self::VirtAddr => {
                "virtual addresses must be \"any\" or multiples of 4 KiB, and mappings must end within 48 bits"
            }
            Self::PhysOverlap => {
                "physical ranges must not overlap (each piece of memory and each device region goes to at most one entry)"
            }
            Self::VirtOverlap => "mappings in one component's address space must not overlap",
            Self::Rights => "rights must be \"r\", \"rw\", \"rx\" or \"rwx\"",
            Self::DeviceRights => {
                "device rights must be \"r\" or \"rw\" (device memory is never executable)"
            }
            Self::ChannelKind => "a channel's kind must be \"notification\" or \"endpoint\"",
            Self::ChannelEnds => "a channel's two ends must be different components",
            Self::EndpointPriority => {
                "an endpoint's callee (to) must have a higher priority than its caller (from)"
            }
            Self::Trigger => "an interrupt's trigger must be \"level\" or \"edge\"",
            Self::IntidRange => "an interrupt must be a PPI (16-31) or an SPI (32-1019)",
            Self::IntidKernel => {
                "the kernel keeps INTIDs 0-15 (SGIs) and the PPIs 16-31 but 28 (the EL2 virtual timer, which a timer driver may have)"
            }
            Self::PpiTrigger => "PPI 28 (the EL2 virtual timer) is level-triggered",
            Self::InterruptShared => "each interrupt goes to at most one component",
            Self::TooMany => "a section may not have more entries than the packed form holds",
            Self::Console => "a component's console must be an endpoint channel it calls (from)",
            Self::LocalIds => {
                "a component may have at most 63 channels and interrupts together (local ids 0-62)"
            }
            Self::Areas => "a component may have at most 32 memory regions and devices mapped",
            Self::NotSupported => {
                "partitions and virtual machines are not supported yet (reserved for later issues)"
            }
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// The entry an error is about, such as `memory_region "shared"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The section: `component`, `memory_region`, `channel`, `interrupt`,
    /// `device`, `partition`, `virtual_machine`.
    pub kind: &'static str,
    /// Its name, its INTID for an interrupt, or `#N` (from 1) when unnamed.
    pub name: String,
}

impl Entry {
    pub(crate) fn named(kind: &'static str, name: &str) -> Self {
        Self {
            kind,
            name: name.into(),
        }
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == "interrupt" || self.name.starts_with('#') {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {:?}", self.kind, self.name)
        }
    }
}

/// One broken rule: `file: entry: rule: detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The description's file.
    pub file: String,
    /// The entry that breaks the rule.
    pub entry: Entry,
    /// The rule broken.
    pub rule: Rule,
    /// What exactly is wrong, such as the offending value.
    pub detail: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.file, self.entry, self.rule, self.detail
        )
    }
}

impl std::error::Error for Error {}

/// Every rule a description breaks, in file order by section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(pub Vec<Error>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for error in &self.0 {
            writeln!(f, "{error}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} error{} in the system description",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for Errors {}

/// The file could not be read or is not a description at all.
#[derive(Debug)]
pub enum LoadError {
    /// Reading the file failed.
    Read {
        /// The file.
        file: String,
        /// Why.
        error: std::io::Error,
    },
    /// The file is not TOML, or has an unknown key or a value of the wrong
    /// type (the message gives line and column).
    Parse {
        /// The file.
        file: String,
        /// The TOML library's message.
        message: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { file, error } => write!(f, "{file}: cannot read: {error}"),
            Self::Parse { file, message } => write!(f, "{file}: {}", message.trim_end()),
        }
    }
}

impl std::error::Error for LoadError {}
