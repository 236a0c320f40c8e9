//! Why the system could not be built, naming the system-description entry.

use core::fmt;

use tessera_rt::InvocationError;
use tessera_rt::alloc::AllocError;
use tessera_rt::alloc::carve::CarveError;
use tessera_rt::component_info::EncodeError;
use tessera_rt::component_info::layout::LayoutError;
use tessera_rt::process::SpawnError;

/// The system-description entry a problem is about, named as the
/// validator names it (`component "ping"`, `interrupt 33`).
#[derive(Clone, Copy, Debug)]
pub enum Entry<'a> {
    /// The system as a whole.
    System,
    /// A `[[component]]`.
    Component(&'a str),
    /// A `[[memory_region]]`.
    Region(&'a str),
    /// A `[[channel]]`.
    Channel(&'a str),
    /// An `[[interrupt]]`, by INTID.
    Interrupt(u16),
    /// A `[[device]]`.
    Device(&'a str),
}

impl fmt::Display for Entry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::System => f.write_str("the system"),
            Self::Component(n) => write!(f, "component {n:?}"),
            Self::Region(n) => write!(f, "memory_region {n:?}"),
            Self::Channel(n) => write!(f, "channel {n:?}"),
            Self::Interrupt(i) => write!(f, "interrupt {i}"),
            Self::Device(n) => write!(f, "device {n:?}"),
        }
    }
}

/// What went wrong.
#[derive(Clone, Copy, Debug)]
pub enum Why<'a> {
    /// A component's program is not in the boot archive.
    NoProgram(&'a str),
    /// Loading or starting a program failed.
    Spawn(SpawnError),
    /// Slots, memory or addresses ran out, or the kernel refused.
    Alloc(AllocError),
    /// The kernel refused an invocation.
    Kernel(InvocationError),
    /// A page at a fixed physical address could not be had.
    Carve { paddr: u64, error: CarveError },
    /// An address in the component's address space cannot be used.
    Layout {
        vaddr: Option<u64>,
        error: LayoutError,
    },
    /// A fixed address overlaps another mapping of the component.
    Overlaps { vaddr: u64, with: Entry<'a> },
    /// The component-info page does not fit its pages.
    Info(EncodeError),
    /// More pages or entries than the rootserver's tables hold.
    TooLarge,
}

impl From<AllocError> for Why<'_> {
    fn from(e: AllocError) -> Self {
        Self::Alloc(e)
    }
}

impl From<InvocationError> for Why<'_> {
    fn from(e: InvocationError) -> Self {
        Self::Kernel(e)
    }
}

impl From<SpawnError> for Why<'_> {
    fn from(e: SpawnError) -> Self {
        Self::Spawn(e)
    }
}

impl fmt::Display for Why<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoProgram(p) => write!(f, "program {p:?} is not in the boot archive"),
            Self::Spawn(e) => write!(f, "{e}"),
            Self::Alloc(e) => write!(f, "{e}"),
            Self::Kernel(e) => write!(f, "the kernel refused: {e}"),
            Self::Carve { paddr, error } => write!(f, "physical page {paddr:#x}: {error}"),
            Self::Layout {
                vaddr: Some(v),
                error,
            } => write!(f, "address {v:#x} {error}"),
            Self::Layout { vaddr: None, error } => write!(f, "{error}"),
            Self::Overlaps { vaddr, with } => write!(f, "address {vaddr:#x} overlaps {with}"),
            Self::Info(EncodeError::TooLarge) => f.write_str("its info does not fit its info page"),
            Self::Info(EncodeError::NameTooLong) => {
                f.write_str("a name is too long for its info page")
            }
            Self::TooLarge => f.write_str("more than the rootserver can hold"),
        }
    }
}

/// A failed step: the entry, what was being done, and why it failed.
#[derive(Clone, Copy, Debug)]
pub struct BuildError<'a> {
    /// The entry concerned.
    pub entry: Entry<'a>,
    /// What the rootserver was doing, such as "mapping it".
    pub doing: &'static str,
    /// The component it was doing it for, when that is not `entry`.
    pub component: Option<&'a str>,
    /// Why it failed.
    pub why: Why<'a>,
}

impl fmt::Display for BuildError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.entry, self.doing)?;
        if let Some(c) = self.component {
            write!(f, " for component {c:?}")?;
        }
        write!(f, ": {}", self.why)
    }
}

/// Attaches the entry and the step to a failure.
pub trait Context<'a, T> {
    /// `Err(e)` becomes a [`BuildError`] for `entry` while `doing`.
    fn at(self, entry: Entry<'a>, doing: &'static str) -> Result<T, BuildError<'a>>;

    /// As [`Context::at`], done for `component`.
    fn at_for(
        self,
        entry: Entry<'a>,
        doing: &'static str,
        component: &'a str,
    ) -> Result<T, BuildError<'a>>;
}

impl<'a, T, E: Into<Why<'a>>> Context<'a, T> for Result<T, E> {
    fn at(self, entry: Entry<'a>, doing: &'static str) -> Result<T, BuildError<'a>> {
        self.map_err(|e| BuildError {
            entry,
            doing,
            component: None,
            why: e.into(),
        })
    }

    fn at_for(
        self,
        entry: Entry<'a>,
        doing: &'static str,
        component: &'a str,
    ) -> Result<T, BuildError<'a>> {
        self.map_err(|e| BuildError {
            entry,
            doing,
            component: Some(component),
            why: e.into(),
        })
    }
}
