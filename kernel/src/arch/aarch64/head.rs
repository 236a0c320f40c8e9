//! The first instructions: the arm64 Image header, the primary and secondary
//! entry points, EL2 set-up and the switch to the upper-half mapping.
//!
//! Everything here runs with the MMU off at whatever physical address the
//! loader chose, so it uses only PC-relative addressing (`adr`/`adrp`) until
//! it jumps to a link-time (virtual) address through a literal.

use core::arch::global_asm;

use super::boot_mmu::{self, MmuConfig};
use super::smp::{MAX_CPUS, STACK_SIZE};
use super::sysreg;

global_asm!(
    r#"
    .arch armv8.1-a

    .section .text.head, "ax"
    .global _start
_start:
    // arm64 Image header (Documentation/arch/arm64/booting.rst in Linux):
    // QEMU loads a file with this header like Linux, with x0 = the device tree.
    b       primary_entry
    .long   0
    .quad   0                       // text_offset
    .quad   __image_size            // image_size, including .bss
    .quad   0xa                     // flags: little-endian, 4 KiB pages, anywhere
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

primary_entry:
    mov     x19, x0                 // device tree physical address
    bl      el2_setup
    cbnz    x0, park

    // Zero .bss: page tables, stacks and boot data live there.
    adrp    x0, __bss_start
    adrp    x1, __bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    adrp    x0, {stacks}
    add     x0, x0, :lo12:{stacks}
    add     x0, x0, #{stack_size}
    mov     sp, x0                  // core 0's stack, physical for now

    adr     x0, _start
    mov     x1, x19
    bl      {early_map}             // builds the boot tables and BOOT_MMU

    // Nothing is in the caches for .bss yet, but stale lines from before the
    // kernel was loaded may be: drop them so MMU-on reads see the new tables.
    adrp    x0, __bss_start
    adrp    x1, __bss_end
    bl      dcache_invalidate_range

    bl      enable_mmu
    ldr     x0, =primary_high
    br      x0

primary_high:
    ldr     x0, ={stacks}
    add     x0, x0, #{stack_size}
    mov     sp, x0
    ldr     x0, ={per_core}
    msr     tpidr_el2, x0           // core 0's PerCore
    ldr     x0, =exception_vectors
    msr     vbar_el2, x0
    isb
    mov     x0, x19
    bl      {kernel_main}
    b       park

    // Secondary cores start here through PSCI CPU_ON with x0 = core index.
    .global secondary_entry
secondary_entry:
    mov     x19, x0
    bl      el2_setup
    cbnz    x0, park
    bl      enable_mmu
    ldr     x0, =secondary_high
    br      x0

secondary_high:
    cmp     x19, #{max_cpus}
    b.hs    park
    ldr     x0, ={stacks}
    mov     x1, #{stack_size}
    madd    x0, x19, x1, x0
    add     x0, x0, x1
    mov     sp, x0
    ldr     x0, ={per_core}
    mov     x1, #{per_core_size}
    madd    x0, x19, x1, x0
    msr     tpidr_el2, x0           // this core's PerCore
    ldr     x0, =exception_vectors
    msr     vbar_el2, x0
    isb
    mov     x0, x19
    bl      {secondary_main}
    b       park

    // Puts this core to sleep for good: used when it cannot run the kernel
    // (not entered at EL2, no VHE) or if a main function ever returns.
park:
    msr     daifset, #0xf
3:  wfe
    b       3b

    // EL2 with VHE: host regime EL2&0 (TGE), FP/SIMD untrapped until user
    // threads run (the kernel itself, built soft-float, never uses it), MMU
    // and caches off. Returns x0 = 0, or 1 if this
    // core is not at EL2 or lacks VHE.
el2_setup:
    mrs     x0, CurrentEL
    cmp     x0, #(2 << 2)
    b.ne    9f
    mrs     x0, id_aa64mmfr1_el1
    ubfx    x0, x0, #8, #4          // VH
    cbz     x0, 9f
    ldr     x0, ={hcr}
    msr     hcr_el2, x0
    isb
    ldr     x0, ={cptr}
    msr     cptr_el2, x0
    ldr     x0, ={sctlr_off}
    msr     sctlr_el2, x0
    msr     cntvoff_el2, xzr
    isb
    mov     x0, #0
    ret
9:  mov     x0, #1
    ret

    // Loads BOOT_MMU (read at its physical address) and turns the MMU and
    // caches on. The caller runs from the identity map in TTBR0.
enable_mmu:
    adrp    x0, {boot_mmu}
    add     x0, x0, :lo12:{boot_mmu}
    ldp     x1, x2, [x0, #{mair_off}]
    msr     mair_el2, x1
    msr     tcr_el2, x2
    ldp     x1, x2, [x0, #{ttbr0_off}]
    msr     ttbr0_el2, x1
    msr     ttbr1_el2, x2
    isb
    tlbi    alle2
    dsb     nsh
    isb
    ldr     x0, ={sctlr_on}
    msr     sctlr_el2, x0
    isb
    ret

    // Invalidates data-cache lines of [x0, x1) to the point of coherency.
dcache_invalidate_range:
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4         // DminLine: log2(words per line)
    mov     x2, #4
    lsl     x2, x2, x3
    sub     x3, x2, #1
    bic     x0, x0, x3
4:  cmp     x0, x1
    b.hs    5f
    dc      ivac, x0
    add     x0, x0, x2
    b       4b
5:  dsb     sy
    ret

    .ltorg
"#,
    stacks = sym super::smp::STACKS,
    per_core = sym super::percore::PER_CORE,
    per_core_size = const core::mem::size_of::<super::percore::PerCore>(),
    stack_size = const STACK_SIZE,
    max_cpus = const MAX_CPUS,
    early_map = sym boot_mmu::early_map,
    kernel_main = sym crate::kernel_main,
    secondary_main = sym crate::secondary_main,
    boot_mmu = sym boot_mmu::BOOT_MMU,
    mair_off = const core::mem::offset_of!(MmuConfig, mair),
    ttbr0_off = const core::mem::offset_of!(MmuConfig, ttbr0),
    hcr = const sysreg::HCR_EL2_HOST,
    cptr = const sysreg::CPTR_EL2_HOST,
    sctlr_off = const sysreg::SCTLR_EL2_MMU_OFF,
    sctlr_on = const sysreg::SCTLR_EL2_MMU_ON,
);
