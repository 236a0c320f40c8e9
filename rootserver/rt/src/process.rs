//! Starting another program: an ELF image loaded into a new VSpace with a
//! new CSpace, as the rootserver starts components and the VMM.
//!
//! The stack, its guard page and the IPC buffer go where a component's do
//! ([`tessera_component_info::layout`]); the new thread starts with its
//! IPC buffer's address in TPIDR_EL0, where [`crate::ipc_buffer`] finds it.

use tessera_abi::{CPtr, InitialSlot, ObjectType, PAGE_BITS, Rights, UserContext};
use tessera_elf::{ElfError, Program};

use crate::alloc::{AllocError, Resources};
use crate::invoke::{cnode, tcb, vspace};

const PAGE: u64 = 1 << PAGE_BITS;

/// The top of a new program's stack.
pub const STACK_TOP: u64 = tessera_component_info::layout::STACK_TOP;
/// The stack size [`Spawn::default`] gives (16 pages).
pub const DEFAULT_STACK_SIZE: u64 = 16 * PAGE;
/// The new program's IPC buffer.
pub const IPC_BUFFER: u64 = tessera_component_info::layout::IPC_BUFFER;

/// Why a program could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The image is not a loadable program.
    Elf(ElfError),
    /// The image reaches into the stack or IPC-buffer area, or the stack
    /// size is not a non-zero number of pages.
    Layout,
    /// Allocating or invoking failed.
    Alloc(AllocError),
}

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Elf(e) => write!(f, "not a loadable program: {e:?}"),
            Self::Layout => f.write_str("the image overlaps the stack or IPC buffer"),
            Self::Alloc(e) => write!(f, "{e}"),
        }
    }
}

impl From<AllocError> for SpawnError {
    fn from(e: AllocError) -> Self {
        SpawnError::Alloc(e)
    }
}

impl From<crate::error::InvocationError> for SpawnError {
    fn from(e: crate::error::InvocationError) -> Self {
        SpawnError::Alloc(AllocError::Kernel(e))
    }
}

/// A started program's objects (capabilities in the caller's CSpace).
#[derive(Clone, Copy, Debug)]
pub struct Process {
    pub tcb: CPtr,
    pub vspace: CPtr,
    pub cnode: CPtr,
    /// Where the program starts.
    pub entry: u64,
}

/// What to start and how.
#[derive(Clone, Copy, Debug)]
pub struct Spawn<'a> {
    /// The ELF image.
    pub image: &'a [u8],
    /// Its priority (bounded by the caller's authority).
    pub priority: u64,
    /// The core it runs on.
    pub core: u64,
    /// log2 of the new CSpace's slots.
    pub cnode_bits: u64,
    /// Passed in x0.
    pub argument: u64,
    /// Stack size in bytes, whole pages, below [`STACK_TOP`].
    pub stack_size: u64,
    /// The fault endpoint, a CPtr in the new CSpace (0: none); the caller
    /// puts the capability there before the program can fault.
    pub fault_ep: CPtr,
    /// A free page of the caller's address space, used to fill frames.
    pub scratch_va: u64,
}

impl Default for Spawn<'_> {
    fn default() -> Self {
        Self {
            image: &[],
            priority: 0,
            core: 0,
            cnode_bits: 4,
            argument: 0,
            stack_size: DEFAULT_STACK_SIZE,
            fault_ep: 0,
            scratch_va: 0,
        }
    }
}

/// Loads `s.image` into a new VSpace with a new CNode (whose guard makes a
/// plain slot number a capability pointer) and sets the thread up, ready to
/// [`start`]: the caller can put capabilities into `Process::cnode` first.
pub fn spawn(res: &mut Resources, s: &Spawn<'_>) -> Result<Process, SpawnError> {
    let program = Program::parse(s.image).map_err(SpawnError::Elf)?;
    let stack_ok =
        s.stack_size > 0 && s.stack_size.is_multiple_of(PAGE) && s.stack_size < STACK_TOP / 2;
    if !stack_ok || program.extent().1 > STACK_TOP - s.stack_size - PAGE {
        return Err(SpawnError::Layout);
    }
    let vs = res.alloc(ObjectType::VSpace, 0)?;
    vspace::assign_asid(InitialSlot::AsidPool.cptr(), vs)?;
    load(res, vs, &program, s.scratch_va)?;
    for i in 1..=s.stack_size / PAGE {
        res.map_new_page(vs, STACK_TOP - i * PAGE, Rights::READ_WRITE)?;
    }
    let ipc_frame = res.map_new_page(vs, IPC_BUFFER, Rights::READ_WRITE)?;
    let cn = res.alloc(ObjectType::CNode, s.cnode_bits)?;
    let t = res.alloc(ObjectType::Tcb, 0)?;
    // The guard makes a plain slot number a full 64-bit capability pointer.
    let guard = 64 - s.cnode_bits;
    let config = tcb::Config {
        fault_ep: s.fault_ep,
        cspace: cn,
        cspace_data: guard,
        vspace: vs,
        ipc_buffer: IPC_BUFFER,
        ipc_buffer_frame: ipc_frame,
    };
    tcb::configure(t, config)?;
    tcb::set_priority(t, res.authority, s.priority)?;
    if s.core != 0 {
        tcb::set_affinity(t, s.core)?;
    }
    let mut ctx = UserContext {
        pc: program.entry(),
        sp: STACK_TOP,
        tpidr_el0: IPC_BUFFER,
        ..UserContext::default()
    };
    ctx.x[0] = s.argument;
    tcb::write_registers(t, false, UserContext::COUNT, &ctx)?;
    Ok(Process {
        tcb: t,
        vspace: vs,
        cnode: cn,
        entry: program.entry(),
    })
}

/// Copies each segment into fresh frames (filled through `scratch_va` in
/// the caller's VSpace) and maps them into `target` with the segment's
/// permissions. A page shared by two segments is filled once from both.
fn load(
    res: &mut Resources,
    target: CPtr,
    program: &Program<'_>,
    scratch_va: u64,
) -> Result<(), SpawnError> {
    let mut last: Option<(u64, CPtr)> = None;
    for segment in program.segments() {
        let (start, end) = segment.page_range();
        let rights = if segment.flags.write {
            Rights::READ_WRITE
        } else {
            Rights::READ
        };
        let mut page = start;
        while page < end {
            let frame = match last {
                Some((va, frame)) if va == page => frame,
                _ => res.alloc(ObjectType::Frame4K, 0)?,
            };
            fill(res, frame, scratch_va, &segment, page)?;
            if last.is_none_or(|(va, _)| va != page) {
                res.map_frame(frame, target, page, rights)?;
            }
            last = Some((page, frame));
            page += PAGE;
        }
    }
    Ok(())
}

/// Copies the part of `segment`'s file bytes that falls in `page` into
/// `frame`.
fn fill(
    res: &mut Resources,
    frame: CPtr,
    scratch_va: u64,
    segment: &tessera_elf::Segment<'_>,
    page: u64,
) -> Result<(), SpawnError> {
    let data_end = segment.vaddr + segment.data.len() as u64;
    let (from, to) = (segment.vaddr.max(page), data_end.min(page + PAGE));
    if from >= to {
        return Ok(());
    }
    let src = &segment.data[(from - segment.vaddr) as usize..(to - segment.vaddr) as usize];
    write_frame(res, frame, scratch_va, from - page, src)
}

/// Copies `bytes` into `frame` at `offset`, through a temporary mapping of
/// a copy of its capability at `scratch_va` (a free page of the caller's
/// address space); the frame itself may be mapped elsewhere already.
pub fn write_frame(
    res: &mut Resources,
    frame: CPtr,
    scratch_va: u64,
    offset: u64,
    bytes: &[u8],
) -> Result<(), SpawnError> {
    let fits = offset
        .checked_add(bytes.len() as u64)
        .is_some_and(|end| end <= PAGE);
    if !fits {
        return Err(SpawnError::Layout);
    }
    let copy = res.slots.alloc().map_err(AllocError::from)?;
    cnode::copy(
        cnode::Slot::new(res.cnode, copy),
        cnode::Slot::new(res.cnode, frame),
        Rights::READ_WRITE,
    )?;
    res.map_frame(copy, res.vspace, scratch_va, Rights::READ_WRITE)?;
    // SAFETY: scratch_va now maps the frame read-write in this address
    // space, a whole page, used by nothing else; offset + len is within it.
    unsafe {
        let dst = (scratch_va + offset) as *mut u8;
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len());
    }
    vspace::unmap_frame(copy)?;
    cnode::delete(cnode::Slot::new(res.cnode, copy))?;
    res.slots.free(copy);
    Ok(())
}

/// Starts a spawned program.
pub fn start(p: &Process) -> Result<(), SpawnError> {
    Ok(tcb::resume(p.tcb)?)
}
