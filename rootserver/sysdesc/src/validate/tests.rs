//! One test per rule with a bad input, plus whole-file tests.

use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use super::*;
use crate::{decode, encode, parse};

const FILE: &str = "systems/test.toml";

/// Two good components, `a` below `b`; tests append to it.
const BASE: &str = r#"
[[component]]
name = "a"
program = "prog-a"
priority = 10

[[component]]
name = "b"
program = "prog-b"
priority = 20
core = 1
"#;

fn errors_with(text: &str, options: &Options) -> Vec<Error> {
    let description = parse(FILE, &format!("{BASE}{text}")).expect("parses");
    match validate(&description, options) {
        Ok(_) => panic!("validated:\n{text}"),
        Err(Errors(errors)) => errors,
    }
}

fn errors(text: &str) -> Vec<Error> {
    errors_with(text, &Options::default())
}

/// Asserts that `text` breaks `rule` at `entry`, and that the message names
/// the file, the entry and the rule.
fn assert_breaks(text: &str, entry: &str, rule: Rule) {
    assert_breaks_with(text, &Options::default(), entry, rule);
}

fn assert_breaks_with(text: &str, options: &Options, entry: &str, rule: Rule) {
    let errors = errors_with(text, options);
    let found = errors
        .iter()
        .find(|e| e.rule == rule && e.entry.to_string() == entry);
    let Some(error) = found else {
        panic!("no {rule:?} error at {entry} in {errors:#?}");
    };
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{FILE}: {entry}: ")),
        "{message}"
    );
    assert!(message.contains(rule.text()), "{message}");
}

/// A component at priority 1 unless `extra` gives one.
fn component(name: &str, extra: &str) -> String {
    let priority = if extra.contains("priority") {
        ""
    } else {
        "priority = 1\n"
    };
    format!("[[component]]\nname = \"{name}\"\nprogram = \"p\"\n{priority}{extra}\n")
}

fn region(name: &str, extra: &str) -> String {
    format!("[[memory_region]]\nname = \"{name}\"\nsize = 0x1000\n{extra}\n")
}

fn device(name: &str, phys: u64, extra: &str) -> String {
    format!(
        "[[device]]\nname = \"{name}\"\nphys_addr = {phys:#x}\nsize = 0x1000\ncomponent = \"a\"\nrights = \"rw\"\n{extra}\n"
    )
}

fn map(component: &str, rights: &str, vaddr: &str) -> String {
    format!(
        "[[memory_region.map]]\ncomponent = \"{component}\"\nrights = \"{rights}\"\nvaddr = {vaddr}\n"
    )
}

fn channel(kind: &str, from: &str, to: &str) -> String {
    format!("[[channel]]\nname = \"c\"\nkind = \"{kind}\"\nfrom = \"{from}\"\nto = \"{to}\"\n")
}

fn interrupt(intid: i64, trigger: &str, component: &str) -> String {
    format!(
        "[[interrupt]]\nintid = {intid}\ntrigger = \"{trigger}\"\ncomponent = \"{component}\"\n"
    )
}

#[test]
fn base_and_example_validate() {
    let base = parse(FILE, BASE).unwrap();
    assert!(validate(&base, &Options::default()).is_ok());
    let text = include_str!("../../../../systems/default.toml");
    let example = parse("systems/default.toml", text).unwrap();
    let system = validate(&example, &Options::default()).unwrap();
    assert_eq!(system.components.len(), 4);
    assert_eq!(system.mappings.len(), 2);
    assert_eq!(system.channels.len(), 8);
    assert_eq!(system.interrupts.len(), 2);
    // ping prints through its console channel to the serial driver.
    let ping = system
        .components
        .iter()
        .find(|c| c.name == "ping")
        .expect("ping");
    let console = usize::from(ping.console.unwrap());
    assert_eq!(system.channels[console].name, "ping_console");
    assert_eq!(decode(&encode(&system)), Ok(system));
}

#[test]
fn all_sections_resolve_to_indices() {
    let text = format!(
        "{}{}{}{}{}",
        region(
            "r",
            &format!(
                "phys_addr = 0x4000_0000\ncacheable = false\n{}",
                map("b", "rx", "0x2000")
            )
        ),
        channel("endpoint", "a", "b"),
        interrupt(33, "edge", "b"),
        interrupt(28, "level", "a"),
        device("uart", 0x0904_0000, "vaddr = 0x5000"),
    );
    let description = parse(FILE, &format!("{BASE}{text}")).unwrap();
    let system = validate(&description, &Options::default()).unwrap();
    let m = system.mappings[0];
    assert_eq!((m.region, m.component, m.vaddr), (0, 1, Some(0x2000)));
    assert!(m.rights.read && !m.rights.write && m.rights.execute);
    assert_eq!(system.regions[0].phys_addr, Some(0x4000_0000));
    assert!(!system.regions[0].cacheable);
    assert_eq!((system.channels[0].from, system.channels[0].to), (0, 1));
    assert_eq!(system.channels[0].kind, ChannelKind::Endpoint);
    assert_eq!(system.interrupts[0].trigger, Trigger::Edge);
    assert_eq!(system.interrupts[1].component, 0);
    assert_eq!(system.devices[0].vaddr, Some(0x5000));
    assert_eq!(system.mappings_of(1).count(), 1);
    assert_eq!(decode(&encode(&system)), Ok(system));
}

#[test]
fn several_errors_are_reported_together() {
    let text = format!(
        "{}{}{}",
        component("c", "priority = 255"),
        region("r", "").replace("0x1000", "0"),
        interrupt(27, "level", "nobody"),
    );
    let errors = errors(&text);
    let rules: Vec<Rule> = errors.iter().map(|e| e.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::Priority,
            Rule::Size,
            Rule::IntidKernel,
            Rule::Reference
        ]
    );
    let report = Errors(errors).to_string();
    assert!(
        report.ends_with("4 errors in the system description"),
        "{report}"
    );
    assert_eq!(report.lines().count(), 5);
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let error = parse(FILE, "[[component]]\nname = \"a\"\nprogrm = \"x\"\n").unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with(FILE), "{message}");
    assert!(
        message.contains("line 3") || message.contains("3:"),
        "{message}"
    );
    assert!(parse(FILE, "[[component]\n").is_err());
    assert!(parse(FILE, "[unknown_section]\n").is_err());
}

#[test]
fn names_are_simple() {
    assert_breaks(
        &component("bad name!", ""),
        r#"component "bad name!""#,
        Rule::Name,
    );
    let long = "x".repeat(33);
    assert_breaks(
        &region(&long, ""),
        &format!("memory_region {long:?}"),
        Rule::Name,
    );
}

#[test]
fn names_are_unique() {
    assert_breaks(&component("a", ""), r#"component "a""#, Rule::UniqueName);
    let two = format!("{}{}", region("r", ""), region("r", ""));
    assert_breaks(&two, r#"memory_region "r""#, Rule::UniqueName);
}

#[test]
fn references_resolve() {
    assert_breaks(
        &channel("notification", "a", "ghost"),
        r#"channel "c""#,
        Rule::Reference,
    );
    let mapped = region("r", &map("ghost", "r", "\"any\""));
    assert_breaks(&mapped, r#"memory_region "r""#, Rule::Reference);
    assert_breaks(
        &interrupt(40, "level", "ghost"),
        "interrupt 40",
        Rule::Reference,
    );
    let dev = device("d", 0x1000, "").replace("component = \"a\"", "component = \"ghost\"");
    assert_breaks(&dev, r#"device "d""#, Rule::Reference);
}

#[test]
fn programs_are_simple_entry_names() {
    let bad = component("c", "").replace("program = \"p\"", "program = \"bin/ping\"");
    assert_breaks(&bad, r#"component "c""#, Rule::Program);
    let root = component("c", "").replace("program = \"p\"", "program = \"rootserver\"");
    assert_breaks(&root, r#"component "c""#, Rule::Program);
}

#[test]
fn programs_are_in_the_archive_when_it_is_known() {
    let options = Options {
        archive_entries: Some(vec!["prog-a".into(), "prog-b".into()]),
        ..Options::default()
    };
    let errors = errors_with(&component("c", ""), &options);
    assert_eq!(errors.len(), 1);
    assert_breaks_with(
        &component("c", ""),
        &options,
        r#"component "c""#,
        Rule::ProgramInArchive,
    );
}

#[test]
fn priorities_are_below_the_rootserver() {
    assert_breaks(
        &component("c", "priority = 255"),
        r#"component "c""#,
        Rule::Priority,
    );
    assert_breaks(
        &component("c", "priority = -1"),
        r#"component "c""#,
        Rule::Priority,
    );
}

#[test]
fn cores_are_below_the_core_count() {
    assert_breaks(&component("c", "core = 4"), r#"component "c""#, Rule::Core);
    let two = Options {
        cores: 1,
        ..Options::default()
    };
    // Component "b" is on core 1.
    assert_breaks_with("", &two, r#"component "b""#, Rule::Core);
}

#[test]
fn stack_sizes_are_pages_and_bounded() {
    for size in ["0", "0x1800", "0x200000"] {
        let c = component("c", &format!("stack_size = {size}"));
        assert_breaks(&c, r#"component "c""#, Rule::StackSize);
    }
}

#[test]
fn heap_sizes_are_pages_and_bounded() {
    for size in ["0x10", "0x20000000", "-4096"] {
        let c = component("c", &format!("heap_size = {size}"));
        assert_breaks(&c, r#"component "c""#, Rule::HeapSize);
    }
}

#[test]
fn sizes_are_nonzero_pages() {
    let r = region("r", "").replace("0x1000", "0x1001");
    assert_breaks(&r, r#"memory_region "r""#, Rule::Size);
    let d = device("d", 0x1000, "").replace("size = 0x1000", "size = 0");
    assert_breaks(&d, r#"device "d""#, Rule::Size);
}

#[test]
fn physical_addresses_are_aligned_and_within_48_bits() {
    let unaligned = region("r", "phys_addr = 0x4000_0800");
    assert_breaks(&unaligned, r#"memory_region "r""#, Rule::PhysAddr);
    let past = device("d", 0xffff_ffff_f000, "").replace("size = 0x1000", "size = 0x2000");
    assert_breaks(&past, r#"device "d""#, Rule::PhysAddr);
    // A range ending exactly at 2^48 is legal: only the priority is wrong.
    let last = region("r", "phys_addr = 0xffff_ffff_f000");
    assert_eq!(
        errors(&format!("{last}{}", component("c", "priority = 255"))).len(),
        1
    );
}

#[test]
fn virtual_addresses_are_aligned_any_and_within_48_bits() {
    for vaddr in ["0x1234", "0x1_0000_0000_0000", "\"anywhere\"", "-4096"] {
        let r = region("r", &map("a", "rw", vaddr));
        assert_breaks(&r, r#"memory_region "r""#, Rule::VirtAddr);
    }
    assert_breaks(
        &device("d", 0x1000, "vaddr = 0x10"),
        r#"device "d""#,
        Rule::VirtAddr,
    );
}

#[test]
fn physical_ranges_do_not_overlap() {
    let text = format!(
        "{}{}",
        region("r", "phys_addr = 0x9000000\nsize = 0x2000").replace("size = 0x1000\n", ""),
        device("uart", 0x0900_1000, ""),
    );
    assert_breaks(&text, r#"device "uart""#, Rule::PhysOverlap);
}

#[test]
fn each_device_region_goes_to_one_component() {
    let text = format!(
        "{}{}",
        device("uart", 0x0900_0000, ""),
        device("uart_again", 0x0900_0000, "").replace("\"a\"", "\"b\""),
    );
    assert_breaks(&text, r#"device "uart_again""#, Rule::PhysOverlap);
}

#[test]
fn mappings_in_one_address_space_do_not_overlap() {
    let text = format!(
        "{}{}{}",
        region("r", &map("a", "rw", "0x10000")),
        region("s", &map("a", "r", "0x10000")),
        region("t", &map("b", "r", "0x10000")),
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_breaks(&text, r#"memory_region "s""#, Rule::VirtOverlap);
    let dev = format!(
        "{}{}",
        region("r", &map("a", "rw", "0x10000")),
        device("d", 0x1000, "vaddr = 0x10000")
    );
    assert_breaks(&dev, r#"device "d""#, Rule::VirtOverlap);
}

#[test]
fn rights_are_legal() {
    for rights in ["", "w", "wr", "rwxx", "x"] {
        let r = region("r", &map("a", rights, "\"any\""));
        assert_breaks(&r, r#"memory_region "r""#, Rule::Rights);
    }
}

#[test]
fn device_memory_is_never_executable() {
    let d = device("d", 0x1000, "").replace("\"rw\"", "\"rwx\"");
    assert_breaks(&d, r#"device "d""#, Rule::DeviceRights);
}

#[test]
fn channel_kinds_are_known() {
    assert_breaks(
        &channel("pipe", "a", "b"),
        r#"channel "c""#,
        Rule::ChannelKind,
    );
}

#[test]
fn channel_ends_differ() {
    assert_breaks(
        &channel("notification", "a", "a"),
        r#"channel "c""#,
        Rule::ChannelEnds,
    );
}

#[test]
fn endpoint_callee_is_above_caller() {
    assert_breaks(
        &channel("endpoint", "b", "a"),
        r#"channel "c""#,
        Rule::EndpointPriority,
    );
    // A notification may go either way.
    let description = parse(
        FILE,
        &format!("{BASE}{}", channel("notification", "b", "a")),
    )
    .unwrap();
    assert!(validate(&description, &Options::default()).is_ok());
}

#[test]
fn triggers_are_level_or_edge() {
    assert_breaks(&interrupt(40, "rising", "a"), "interrupt 40", Rule::Trigger);
}

#[test]
fn interrupts_are_ppis_or_spis() {
    for intid in [1020, 5000, -1] {
        let entry = format!("interrupt {intid}");
        assert_breaks(&interrupt(intid, "level", "a"), &entry, Rule::IntidRange);
    }
}

#[test]
fn the_kernels_interrupts_are_refused() {
    for intid in [0, 8, 15, 16, 23, 25, 26, 27, 29, 30, 31] {
        let entry = format!("interrupt {intid}");
        assert_breaks(&interrupt(intid, "level", "a"), &entry, Rule::IntidKernel);
    }
    for intid in [28, 32, 1019] {
        let description =
            parse(FILE, &format!("{BASE}{}", interrupt(intid, "level", "a"))).unwrap();
        assert!(
            validate(&description, &Options::default()).is_ok(),
            "{intid}"
        );
    }
}

#[test]
fn the_timer_ppi_is_level_triggered() {
    assert_breaks(
        &interrupt(28, "edge", "a"),
        "interrupt 28",
        Rule::PpiTrigger,
    );
}

#[test]
fn each_interrupt_goes_to_one_component() {
    let text = format!(
        "{}{}",
        interrupt(40, "level", "a"),
        interrupt(40, "level", "b")
    );
    assert_breaks(&text, "interrupt 40", Rule::InterruptShared);
}

#[test]
fn sections_are_bounded() {
    let many: String = (0..=MAX_COMPONENTS)
        .map(|i| component(&format!("c{i}"), ""))
        .collect();
    let entry = format!("component #{}", MAX_COMPONENTS + 1);
    assert_breaks(&many, &entry, Rule::TooMany);
}

#[test]
fn a_console_is_an_endpoint_channel_its_component_calls() {
    let text = format!(
        "{}{}",
        component("c", "console = \"c\""),
        channel("endpoint", "b", "c")
    );
    assert_breaks(&text, r#"component "c""#, Rule::Console);
    let notification = format!(
        "{}{}",
        component("c", "console = \"c\""),
        channel("notification", "c", "b")
    );
    assert_breaks(&notification, r#"component "c""#, Rule::Console);
    let missing = component("c", "console = \"nope\"");
    assert_breaks(&missing, r#"component "c""#, Rule::Reference);

    let good = format!(
        "{}{}",
        component("c", "console = \"c\""),
        channel("endpoint", "c", "b")
    );
    let description = parse(FILE, &format!("{BASE}{good}")).unwrap();
    let system = validate(&description, &Options::default()).unwrap();
    assert_eq!(system.components[2].console, Some(0));
    assert_eq!(system.components[0].console, None);
}

#[test]
fn local_ids_are_bounded_per_component() {
    let mut text: String = (0..40)
        .map(|i| channel("notification", "a", "b").replace("\"c\"", &format!("\"c{i}\"")))
        .collect();
    text.extend((0..24).map(|i| interrupt(40 + i, "level", "a")));
    assert_breaks(&text, r#"component "a""#, Rule::LocalIds);
    let on_b = errors(&text)
        .into_iter()
        .any(|e| e.rule == Rule::LocalIds && e.entry.name == "b");
    assert!(!on_b, "b has 40 channels, within the limit");
}

#[test]
fn areas_are_bounded_per_component() {
    let maps: String = (0..=MAX_AREAS as u64)
        .map(|i| map("a", "rw", &format!("{:#x}", 0x1_0000 + i * 0x1000)))
        .collect();
    let text = region("r", &maps);
    assert_breaks(&text, r#"component "a""#, Rule::Areas);
}

#[test]
fn partitions_and_virtual_machines_are_not_supported_yet() {
    let text =
        "[[partition]]\nname = \"p0\"\ncores = [0]\n[[virtual_machine]]\nkernel = \"linux\"\n";
    assert_breaks(text, r#"partition "p0""#, Rule::NotSupported);
    assert_breaks(text, "virtual_machine #1", Rule::NotSupported);
}
