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
            // Test images carry the kernel suite (`ktest`) as well, and
            // every image the compiled system description.
            r"^archive: 5 entries",
            r"^archive:\s+rootserver\s+\d+ bytes",
            r"^archive:\s+vmm\s+\d+ bytes",
            r"^archive:\s+rtos\s+\d+ bytes",
            r"^archive:\s+ktest\s+\d+ bytes",
            r"^archive:\s+system\s+\d+ bytes",
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
            r"^rootserver: system description: 2 components, 1 memory regions, 2 channels, 0 interrupts, 0 devices",
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
                "kernel-suite-slowpath"
            ]
        );
        assert_eq!(find("fault").map(|s| s.exit_status), Some(3));
        assert!(find("boot").unwrap().forbid.contains(&"FATAL"));
        assert!(SCENARIOS.iter().all(|s| s.forbid.contains(&PANICKED)));
        let suite = find("kernel-suite").unwrap();
        assert_eq!(suite.timeout_secs, 300);
        assert!(suite.forbid.contains(&"^ktest: FAIL"));
        assert!(suite.sub_results.is_some());
    }
}
