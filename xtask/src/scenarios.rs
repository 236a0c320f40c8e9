//! The QEMU test scenarios of `cargo xtask test`.
//!
//! Each boots the `test` kernel variant with its own kernel command line and
//! checks what the console prints and how QEMU exits. To add one, append an
//! entry to [`SCENARIOS`] starting from `..BASE`.

/// Rust's own panic wording: the kernel reports panics as "kernel panic", so
/// this only appears when something went wrong outside that path.
const PANICKED: &str = "(?i)panicked";

/// One QEMU run and what it must show.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Short name: also the log file's name (`<target>/test-logs/<name>.log`).
    pub name: &'static str,
    /// The kernel command line (`-append`).
    pub append: &'static str,
    /// QEMU is killed and the scenario fails after this many seconds.
    pub timeout_secs: u64,
    /// QEMU's expected exit status (0: PSCI SYSTEM_OFF; others: semihosting
    /// exit).
    pub exit_status: i32,
    /// Regexes that must each match a console line, in this order (each on a
    /// line after the previous one's match).
    pub expect: &'static [&'static str],
    /// Regexes that must match no console line.
    pub forbid: &'static [&'static str],
    /// Console input: each step waits for its regex in the output that
    /// follows the previous step's match, then types its text.
    pub input: &'static [InputStep],
    /// Sub-results: a regex whose first group is `PASS` or `FAIL` on each
    /// line reporting one case of an in-QEMU suite; each such line adds to
    /// the run's totals (the scenario itself still counts once).
    pub sub_results: Option<&'static str>,
    /// The system runs on (components never shut the machine down): once
    /// every `expect` line has appeared, the runner waits a second more
    /// for late lines and stops QEMU; `exit_status` is not used, and QEMU
    /// exiting by itself is a failure.
    pub stop_when_expected: bool,
}

/// Typed console input: once `wait_for` matches the output (it need not end a
/// line, so a prompt works), `text` is written to the serial console.
#[derive(Debug, Clone, Copy)]
pub struct InputStep {
    pub wait_for: &'static str,
    pub text: &'static str,
}

/// The defaults that every scenario starts from.
const BASE: Scenario = Scenario {
    name: "",
    append: "",
    timeout_secs: 60,
    exit_status: 0,
    expect: &[],
    forbid: &[PANICKED],
    input: &[],
    sub_results: None,
    stop_when_expected: false,
};

/// The exit status the kernel gives QEMU (semihosting exit) when it stops on
/// a fatal error.
const FATAL_EXIT: i32 = 3;

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "boot",
        append: "tessera.test=boot",
        expect: &[
            r"^Tessera \d+\.\d+\.\d+",
            r"^boot: EL2, VHE on, MMU on, D-cache on, I-cache on",
            // Test images carry the test-only components (`faulty`,
            // `sleeper`), the kernel suite (`ktest`) and the scenarios'
            // system descriptions as well as the default one.
            r"^archive: 15 entries",
            r"^archive:\s+rootserver\s+\d+ bytes",
            r"^archive:\s+vmm\s+\d+ bytes",
            r"^archive:\s+rtos\s+\d+ bytes",
            r"^archive:\s+faulty\s+\d+ bytes",
            r"^archive:\s+ping\s+\d+ bytes",
            r"^archive:\s+pong\s+\d+ bytes",
            r"^archive:\s+serial\s+\d+ bytes",
            r"^archive:\s+sleeper\s+\d+ bytes",
            r"^archive:\s+timer\s+\d+ bytes",
            r"^archive:\s+ktest\s+\d+ bytes",
            r"^archive:\s+system\s+\d+ bytes",
            r"^archive:\s+system\.bad-memory\s+\d+ bytes",
            r"^archive:\s+system\.echo\s+\d+ bytes",
            r"^archive:\s+system\.fault\s+\d+ bytes",
            r"^archive:\s+system\.timer\s+\d+ bytes",
            r"^smp: 4 of 4 cores online",
            r"^timer: ticking on 4 of 4 cores",
            r"^test: boot checks passed",
        ],
        forbid: &["FATAL", PANICKED],
        ..BASE
    },
    Scenario {
        name: "fault",
        append: "tessera.test=fault",
        exit_status: FATAL_EXIT,
        expect: &[
            r"^FATAL: unexpected exception on core 0: EC 0x25 \(data abort, same EL\)",
            // EC 0x25 with IL set; ISV may be set (QEMU 7.2 fills in the
            // syndrome, QEMU 10 does not); DFSC a translation fault.
            r"^FATAL:\s+ESR 0x9[67][0-9a-f]{4}0[4-7] FAR 0xffff8000dead0000 ELR 0xffff[0-9a-f]+",
            r"^FATAL: stopping the machine \(exit status 3\)",
        ],
        ..BASE
    },
    Scenario {
        name: "panic",
        append: "tessera.test=panic",
        exit_status: FATAL_EXIT,
        expect: &[
            r"^FATAL: kernel panic on core 0 at kernel/src/\S+\.rs:\d+: deliberate panic \(tessera\.test=panic\)",
            r"^FATAL: stopping the machine \(exit status 3\)",
        ],
        ..BASE
    },
    Scenario {
        name: "rootserver",
        append: "tessera.test=rootserver",
        expect: &[
            r"^tessera: boot complete",
            r"^rootserver: entry 0x[0-9a-f]+, \d+ frames, \d+ page tables, \d+ untyped \((20[0-9]{2}) MiB\)",
            r"^rootserver: running at EL0 on 4 cores",
            r"^rootserver: \d+ untyped capabilities, 20[0-9]{2} MiB of RAM; \d+ free slots from \d+",
            r"^rootserver: archive has rootserver \(\d+ bytes\)",
            r"^rootserver: archive has vmm \(\d+ bytes\)",
            r"^rootserver: archive has rtos \(\d+ bytes\)",
            // systems/default.toml, decoded by the no_std rootserver.
            r#"^rootserver: system description "default": 4 components, 1 memory regions, 8 channels, 2 interrupts, 1 devices"#,
            r"^tessera: shutdown requested by user level \(status 0\)",
        ],
        forbid: &["FATAL", "^fault:", PANICKED],
        ..BASE
    },
    Scenario {
        name: "kernel-suite",
        append: "tessera.test=suite tessera.rootserver=ktest",
        timeout_secs: 300,
        // The fastpath must actually be taken (a suite case runs a client
        // and server where its conditions hold).
        expect: &[
            r"^ktest: \d+ passed, 0 failed$",
            r"^tessera: IPC fastpath taken [1-9]\d* times",
        ],
        forbid: &["FATAL", PANICKED, "^ktest: FAIL"],
        sub_results: Some("^ktest: (PASS|FAIL) "),
        ..BASE
    },
    // The same suite with the IPC fastpath off: both paths must give the
    // same results (the fastpath only takes calls whose outcome it is sure
    // of, so every case passing on both is the comparison).
    Scenario {
        name: "kernel-suite-slowpath",
        append: "tessera.test=suite tessera.rootserver=ktest tessera.fastpath=off",
        timeout_secs: 300,
        expect: &[
            r"^tessera: IPC fastpath off",
            r"^ktest: \d+ passed, 0 failed$",
            r"^tessera: IPC fastpath taken 0 times",
        ],
        forbid: &["FATAL", PANICKED, "^ktest: FAIL"],
        sub_results: Some("^ktest: (PASS|FAIL) "),
        ..BASE
    },
    // The serial driver alone (systems/tests/echo.toml): what is typed on
    // the console comes back, by interrupt, and each line is reported.
    Scenario {
        name: "serial-echo",
        append: "tessera.system=echo",
        expect: &[
            r#"^rootserver: system description "echo": 1 components, 0 memory regions, 0 channels, 1 interrupts, 1 devices"#,
            r"^rootserver: started serial \(program serial, core 0, priority 200\)",
            r"^serial: ready on core 0, interrupt 33 \(id 0\)",
            r"^hello tessera$",
            r#"^serial: input line "hello tessera"$"#,
            r"^42$",
            r#"^serial: input line "42"$"#,
        ],
        input: &[
            InputStep {
                wait_for: r"serial: ready on core 0",
                text: "hello tessera\r",
            },
            // A terminal's CR LF ends one line, not two.
            InputStep {
                wait_for: r#"serial: input line "hello tessera""#,
                text: "42\r\n",
            },
        ],
        forbid: &[
            "FATAL",
            PANICKED,
            "^fault:",
            "faulted",
            r#"^serial: input line ""$"#,
            "^serial: .*cannot",
        ],
        stop_when_expected: true,
        ..BASE
    },
    // The default system: ping (core 0) and pong (core 1) play ping-pong
    // by shared memory and notifications, then by protected calls, all
    // printing through the serial driver.
    Scenario {
        name: "components-pingpong",
        append: "tessera.system=default",
        // About 1.5 s on an idle host; each cross-core wake-up waits for
        // the host to schedule a vCPU thread, and on a loaded two-core host
        // the 4000 of them took up to a minute.
        timeout_secs: 180,
        expect: &[
            r#"^rootserver: system description "default": 4 components, 1 memory regions, 8 channels, 2 interrupts, 1 devices"#,
            r"^rootserver: started serial \(program serial, core 0, priority 200\)",
            r"^rootserver: started timer \(program timer, core 0, priority 150\)",
            r"^rootserver: started ping \(program ping, core 0, priority 100\)",
            r"^rootserver: started pong \(program pong, core 1, priority 110\)",
            // The rootserver prints the running line through the serial
            // driver, so after the driver's own first line; pong (on core
            // 1) may print before or after it: each of these two matches
            // either line, so both must appear.
            r"^serial: ready on core 0, interrupt 33",
            r#"^(rootserver: system "default" running, 4 components|pong: ready on core 1, shared region at 0x5000)"#,
            r#"^(rootserver: system "default" running, 4 components|pong: ready on core 1, shared region at 0x5000)"#,
            r"^ping: 1000 notification round trips with pong$",
            r"^ping: 1000 protected calls answered by pong$",
            r"^pong: answered 1000 calls and 1000 notifications$",
            r"^ping: done$",
            // The timer service wakes it, never early.
            r"^ping: the timer service woke me after (2\d\d|[3-9]\d\d|\d{4,}) ms \(asked 200 ms\)$",
        ],
        forbid: COMPONENT_FORBID,
        stop_when_expected: true,
        ..BASE
    },
    // systems/tests/fault.toml: the default system plus `faulty`, which
    // reads an unmapped address. The rootserver reports and stops it; the
    // others finish their ping-pong. The report goes through the serial
    // driver: "reported through serial" is only said when the driver
    // confirmed writing the report's first line (its replies' byte
    // counts); a report on the kernel's debug console lacks it.
    Scenario {
        name: "component-fault",
        append: "tessera.system=fault",
        // As components-pingpong.
        timeout_secs: 180,
        expect: &[
            r#"^rootserver: system description "fault": 4 components"#,
            r"^rootserver: started faulty \(program faulty, core 2, priority 150\)",
            r"^faulty: reading address 0x10 on core 2$",
            r"^rootserver: component faulty faulted: data access translation fault, level \d at 0x10 \(pc 0x[0-9a-f]+, ESR 0x[0-9a-f]+\)$",
            r"^rootserver: component faulty stopped; reported through serial$",
            r"^ping: 1000 protected calls answered by pong$",
            r"^pong: answered 1000 calls and 1000 notifications$",
            r"^ping: done$",
        ],
        forbid: &[
            "FATAL",
            PANICKED,
            "^fault:",
            "the read returned",
            r"component (serial|ping|pong) faulted",
            "^(ping|pong|serial): .*(cannot|failed|came back)",
        ],
        stop_when_expected: true,
        ..BASE
    },
    // systems/tests/timer.toml: the timer service on core 0 (its EL2
    // virtual timer, PPI 28) and two clients on cores 1 and 2, each asking
    // for three timeouts and checking on the counter that none woke it
    // early. Their lines interleave, so the summaries are matched alike.
    Scenario {
        name: "timer-wake",
        append: "tessera.system=timer",
        timeout_secs: 120,
        expect: &[
            r#"^rootserver: system description "timer": 4 components"#,
            r"^rootserver: started timer \(program timer, core 0, priority 150\)",
            r"^timer: ready on core 0, counter at \d+ Hz$",
            r"^sleeper[12]: woke after \d+ us, asked \d+ us: on time$",
            r"^sleeper[12]: 3 timeouts, 0 early$",
            r"^sleeper[12]: 3 timeouts, 0 early$",
        ],
        forbid: &[
            "FATAL",
            PANICKED,
            "^fault:",
            "faulted",
            "EARLY",
            "^(timer|sleeper[12]|serial): .*(cannot|refused)",
            "^rootserver: cannot",
        ],
        stop_when_expected: true,
        ..BASE
    },
    // systems/tests/bad-memory.toml: valid, but its region's physical
    // address is no free RAM. The rootserver names the entry and starts
    // nothing.
    Scenario {
        name: "rootserver-build-error",
        append: "tessera.system=bad-memory",
        expect: &[
            r#"^rootserver: system description "bad-memory": 1 components"#,
            r#"^rootserver: cannot build system "bad-memory": memory_region "nowhere": taking its physical memory: physical page 0x8000000: no Untyped capability covers it; no component started$"#,
        ],
        forbid: &[
            "FATAL",
            PANICKED,
            "^fault:",
            "^serial:",
            "^rootserver: started",
        ],
        stop_when_expected: true,
        ..BASE
    },
];

/// What no component scenario may print: a kernel failure, a thread
/// fault (the kernel's report, or the rootserver's), a component's error.
const COMPONENT_FORBID: &[&str] = &[
    "FATAL",
    PANICKED,
    "^fault:",
    "faulted",
    "^(ping|pong|serial|timer): .*(cannot|failed|came back|refused)",
    "^rootserver: cannot",
];

/// Looks a scenario up by name.
pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_regex_compiles() {
        for s in SCENARIOS {
            let all = s
                .expect
                .iter()
                .chain(s.forbid)
                .chain(s.input.iter().map(|i| &i.wait_for))
                .chain(s.sub_results.as_ref());
            for re in all {
                assert!(
                    regex::Regex::new(re).is_ok(),
                    "{}: bad regex {re:?}",
                    s.name
                );
            }
        }
    }

    #[test]
    fn names_are_unique_and_usable_as_file_names() {
        for (i, s) in SCENARIOS.iter().enumerate() {
            assert!(
                !s.name.is_empty()
                    && s.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            );
            assert!(
                SCENARIOS[..i].iter().all(|o| o.name != s.name),
                "duplicate {}",
                s.name
            );
            assert!(s.timeout_secs > 0);
        }
    }

    #[test]
    fn the_boot_scenarios_are_there() {
        let names: Vec<_> = SCENARIOS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "boot",
                "fault",
                "panic",
                "rootserver",
                "kernel-suite",
                "kernel-suite-slowpath",
                "serial-echo",
                "components-pingpong",
                "component-fault",
                "timer-wake",
                "rootserver-build-error",
            ]
        );
        assert_eq!(find("fault").map(|s| s.exit_status), Some(3));
        assert!(find("boot").unwrap().forbid.contains(&"FATAL"));
        assert!(SCENARIOS.iter().all(|s| s.forbid.contains(&PANICKED)));
        let suite = find("kernel-suite").unwrap();
        assert_eq!(suite.timeout_secs, 300);
        assert!(suite.forbid.contains(&"^ktest: FAIL"));
        assert!(suite.sub_results.is_some());
        let running: Vec<_> = SCENARIOS
            .iter()
            .filter(|s| s.stop_when_expected)
            .map(|s| s.name)
            .collect();
        assert_eq!(
            running,
            [
                "serial-echo",
                "components-pingpong",
                "component-fault",
                "timer-wake",
                "rootserver-build-error"
            ]
        );
        // A run that stops once its lines appeared must still check some.
        assert!(
            SCENARIOS
                .iter()
                .filter(|s| s.stop_when_expected)
                .all(|s| s.expect.len() >= 2)
        );
    }
}
