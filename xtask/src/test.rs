//! `cargo xtask test`: the host unit tests, then the QEMU scenarios on the
//! `test` kernel variant, then one closing line `N passed, M failed`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Context, Result};
use regex::Regex;

use crate::build::{self, Artifacts, Layout, Variant};
use crate::exec::{self, note};
use crate::scenarios::{self, SCENARIOS, Scenario};
use crate::verdict;
use crate::{components, console, qemu};

/// The crates that build only for the AArch64 targets (they hold
/// inline assembly for EL2 or EL0), besides the component programs under
/// `components/`. `tessera-rt` is not one: its assembly is compiled out on
/// the host, where its pure logic is tested.
const TARGET_ONLY_CRATES: [&str; 6] = [
    "tessera-kernel",
    "tessera-rootserver",
    "tessera-ktest",
    "tessera-bench",
    "tessera-vmm",
    "tessera-rtos",
];
/// How much of a failed scenario's log to show.
const LOG_TAIL_LINES: usize = 30;

/// Passed and failed counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// Runs everything; `only` names the scenarios to run (all if empty).
pub fn run(layout: &Layout, only: &[String]) -> Result<ExitCode> {
    let selected = select(only)?;
    qemu::ensure_installed()?;

    let mut tally = host_tests(layout)?;
    note!(
        "host tests: {} passed, {} failed",
        tally.passed,
        tally.failed
    );

    match build::build(layout, Variant::Test) {
        Ok(artifacts) => tally += run_scenarios(layout, &artifacts, &selected)?,
        Err(e) => {
            println!("xtask: the test build failed: {e:#}");
            for s in &selected {
                println!("FAIL {}: not run, the test build failed", s.name);
            }
            tally.failed += selected.len() as u64;
        }
    }
    println!("{} passed, {} failed", tally.passed, tally.failed);
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn select(only: &[String]) -> Result<Vec<&'static Scenario>> {
    if only.is_empty() {
        return Ok(SCENARIOS.iter().collect());
    }
    only.iter()
        .map(|name| {
            scenarios::find(name).with_context(|| {
                let known: Vec<_> = SCENARIOS.iter().map(|s| s.name).collect();
                format!("no scenario `{name}`; there are: {}", known.join(", "))
            })
        })
        .collect()
}

/// `cargo test` on the host crates, its output streamed through; counts the
/// `test result:` lines, and a failure for a run that failed without one
/// (a compile error).
fn host_tests(layout: &Layout) -> Result<Tally> {
    let mut cmd = layout.cargo();
    // --no-fail-fast: one failing crate must not hide the other crates' counts.
    cmd.args(["test", "--workspace", "--no-fail-fast"]);
    for krate in TARGET_ONLY_CRATES {
        cmd.args(["--exclude", krate]);
    }
    for component in components::discover(&layout.workspace)? {
        cmd.args(["--exclude", &component.package]);
    }
    cmd.stdout(Stdio::piped());
    note!("{}", exec::describe(&cmd));
    let mut child = cmd.spawn().context("cannot start cargo test")?;
    let stdout = child.stdout.take().context("no stdout from cargo test")?;
    let mut tally = Tally::default();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("cannot read cargo test's output")?;
        println!("{line}");
        if let Some(result) = parse_test_result(&line) {
            tally += result;
        }
    }
    let status = child.wait()?;
    if !status.success() && tally.failed == 0 {
        println!("xtask: cargo test failed ({status}) without a failed test: counted as 1 failure");
        tally.failed += 1;
    }
    Ok(tally)
}

/// The counts of a libtest summary line
/// (`test result: ok. 3 passed; 0 failed; 0 ignored; ...`).
pub fn parse_test_result(line: &str) -> Option<Tally> {
    static RESULT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed;").unwrap()
    });
    let caps = RESULT.captures(line)?;
    Some(Tally {
        passed: caps[1].parse().ok()?,
        failed: caps[2].parse().ok()?,
    })
}

fn run_scenarios(layout: &Layout, artifacts: &Artifacts, selected: &[&Scenario]) -> Result<Tally> {
    let logs = layout.test_logs();
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    let mut tally = Tally::default();
    for scenario in selected {
        tally += run_scenario(scenario, artifacts, &logs)?;
    }
    Ok(tally)
}

/// What one scenario adds to the totals: itself, plus its sub-results (the
/// cases of an in-QEMU suite) if it names a pattern for them.
pub fn scenario_tally(scenario: &Scenario, passed: bool, output: &str) -> Tally {
    let mut tally = Tally {
        passed: passed as u64,
        failed: !passed as u64,
    };
    if let Some(pattern) = scenario.sub_results {
        let (p, f) = verdict::sub_results(pattern, output);
        tally += Tally {
            passed: p,
            failed: f,
        };
    }
    tally
}

/// Runs one scenario and prints its PASS or FAIL line; returns its tally.
fn run_scenario(scenario: &Scenario, artifacts: &Artifacts, logs: &Path) -> Result<Tally> {
    let log = logs.join(format!("{}.log", scenario.name));
    let config = qemu::Config {
        kernel: &artifacts.kernel_bin,
        initrd: &artifacts.archive,
        append: scenario.append,
        console: qemu::Console::Captured,
        gdb: false,
        deterministic: false,
    };
    let timeout = Duration::from_secs(scenario.timeout_secs);
    let expected = verdict::Expected::new(scenario.expect);
    let all_expected = |out: &[u8]| expected.all_in(&String::from_utf8_lossy(out));
    let stop_when: Option<console::StopWhen<'_>> =
        scenario.stop_when_expected.then_some(&all_expected);
    let capture = console::run(
        qemu::command(&config),
        &log,
        timeout,
        scenario.input,
        stop_when,
    )?;
    let output = String::from_utf8_lossy(&capture.output);
    let secs = capture.elapsed.as_secs_f64();
    let verdict = verdict::judge(scenario, &output, capture.ending);
    let tally = scenario_tally(scenario, verdict.is_ok(), &output);
    if scenario.sub_results.is_some() {
        println!(
            "{}: {} cases passed, {} failed",
            scenario.name,
            tally.passed - verdict.is_ok() as u64,
            tally.failed - verdict.is_err() as u64
        );
    }
    match verdict {
        Ok(()) => {
            println!("PASS {} ({secs:.1} s)", scenario.name);
            Ok(tally)
        }
        Err(problems) => {
            println!(
                "FAIL {}: {} (log: {})",
                scenario.name,
                problems.join("; "),
                shown(&log).display()
            );
            print_tail(&log);
            Ok(tally)
        }
    }
}

/// `path` relative to the current directory when it lies below it.
fn shown(path: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
}

fn print_tail(log: &Path) {
    let Ok(bytes) = std::fs::read(log) else {
        return;
    };
    let text = String::from_utf8_lossy(&bytes);
    for line in tail(&text, LOG_TAIL_LINES) {
        println!("    | {line}");
    }
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> Vec<&str> {
    let lines = verdict::lines(text);
    lines[lines.len().saturating_sub(n)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_lines_are_parsed() {
        let ok = "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(
            parse_test_result(ok),
            Some(Tally {
                passed: 12,
                failed: 0
            })
        );
        let failed =
            "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out";
        assert_eq!(
            parse_test_result(failed),
            Some(Tally {
                passed: 3,
                failed: 2
            })
        );
        assert_eq!(parse_test_result("running 12 tests"), None);
        assert_eq!(parse_test_result("test foo::bar ... ok"), None);
    }

    #[test]
    fn tallies_add_up() {
        let mut t = Tally {
            passed: 1,
            failed: 2,
        };
        t += Tally {
            passed: 10,
            failed: 0,
        };
        assert_eq!(
            t,
            Tally {
                passed: 11,
                failed: 2
            }
        );
    }

    #[test]
    fn suite_cases_add_to_the_totals() {
        let suite = scenarios::find("kernel-suite").unwrap();
        let out = "ktest: PASS a\nktest: FAIL b: no\nktest: PASS c\nktest: 2 passed, 1 failed\n";
        assert_eq!(
            scenario_tally(suite, false, out),
            Tally {
                passed: 2,
                failed: 2
            }
        );
        let boot = scenarios::find("boot").unwrap();
        assert_eq!(
            scenario_tally(boot, true, out),
            Tally {
                passed: 1,
                failed: 0
            }
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\r\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(tail("a\n", 30), ["a"]);
    }

    #[test]
    fn unknown_scenarios_are_refused() {
        assert_eq!(select(&[]).unwrap().len(), SCENARIOS.len());
        assert_eq!(select(&["fault".into()]).unwrap()[0].name, "fault");
        let err = select(&["nope".into()]).unwrap_err().to_string();
        assert!(err.contains("boot, fault, panic"), "{err}");
    }
}
