//! `cargo xtask bench`: boots the `bench` variant under QEMU with
//! deterministic timing (`qemu::DETERMINISTIC`), with the benchmark program
//! (`rootserver/bench`) as the first user program, reads its `bench:` lines,
//! prints a table next to seL4's figures and writes the minima to
//! `<target>/bench/latest.json`. What each figure measures is in
//! `docs/benchmarks.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::Duration;

use anyhow::{Context, Result};
use regex::Regex;

use crate::build::{self, Layout, Variant};
use crate::exec::note;
use crate::verdict::{self, Ending};
use crate::{console, qemu, test};

/// The benchmarks the program must report, in the order it prints them.
pub const NAMES: [&str; 6] = [
    "ipc_call",
    "ipc_replyrecv",
    "syscall_null",
    "irq_latency",
    "ipc_call_cross_core",
    "notify_cross_core",
];
/// The kernel command line that starts the benchmark program.
const APPEND: &str = "tessera.rootserver=bench";
/// QEMU is killed after this long.
const TIMEOUT: Duration = Duration::from_secs(300);
/// How much of a failed run's log to show.
const LOG_TAIL_LINES: usize = 30;

/// seL4's sel4bench figures for the same one-way, zero-length IPC in the
/// same emulator settings (release build with the fastpath, qemu-arm-virt,
/// AArch64): (kernel at EL1, kernel at EL2 with GICv3), in PMU counts.
/// Source: the project's platform notes, repeated in `docs/benchmarks.md`.
pub fn sel4_reference(name: &str) -> Option<(u64, u64)> {
    match name {
        "ipc_call" => Some((191, 209)),
        "ipc_replyrecv" => Some((215, 233)),
        _ => None,
    }
}

/// One `bench: <name> min=<n> max=<n> samples=<k>` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub name: String,
    pub min: u64,
    pub max: u64,
    pub samples: u64,
}

/// What a run printed: its figures and its `bench: error:` messages.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub figures: Vec<Figure>,
    pub errors: Vec<String>,
    /// Lines where a thread faulted (the kernel's `fault:` log).
    pub faults: Vec<String>,
}

/// Reads the benchmark lines of a console log.
pub fn parse(output: &str) -> Parsed {
    static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^bench: ([A-Za-z0-9_]+) min=(\d+) max=(\d+) samples=(\d+)\s*$").unwrap()
    });
    static ERROR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^bench: error: (.*)$").unwrap());
    let mut parsed = Parsed::default();
    for line in verdict::lines(output) {
        if let Some(c) = FIGURE.captures(line) {
            let numbers = (c[2].parse(), c[3].parse(), c[4].parse());
            if let (Ok(min), Ok(max), Ok(samples)) = numbers {
                parsed.figures.push(Figure {
                    name: c[1].to_string(),
                    min,
                    max,
                    samples,
                });
            } else {
                parsed.errors.push(format!("unreadable line `{line}`"));
            }
        } else if let Some(c) = ERROR.captures(line) {
            parsed.errors.push(c[1].to_string());
        } else if line.starts_with("fault:") {
            parsed.faults.push(line.to_string());
        }
    }
    parsed
}

/// Everything wrong with a run; empty if it is usable.
pub fn problems(parsed: &Parsed, ending: Ending) -> Vec<String> {
    let mut problems = Vec::new();
    match ending {
        Ending::Exited(0) => {}
        Ending::Exited(code) => problems.push(format!("QEMU exited with status {code}")),
        Ending::Signalled(signal) => problems.push(format!("QEMU was ended by signal {signal}")),
        Ending::TimedOut { secs } => problems.push(format!("timed out after {secs} s")),
        Ending::Stopped => problems.push("stopped by the runner".into()),
    }
    for e in &parsed.errors {
        problems.push(format!("bench: error: {e}"));
    }
    for f in &parsed.faults {
        problems.push(format!("a thread faulted: {f}"));
    }
    for name in NAMES {
        let all: Vec<_> = parsed.figures.iter().filter(|f| f.name == name).collect();
        match all.as_slice() {
            [] => problems.push(format!("no figure for {name}")),
            [f] if f.samples == 0 || f.min > f.max => {
                problems.push(format!("{name}: no valid samples"));
            }
            [_] => {}
            _ => problems.push(format!("{name} reported {} times", all.len())),
        }
    }
    problems
}

/// The minima as a flat JSON object, `{"name": min, ...}`, in the order
/// given, with a newline at the end.
pub fn to_json(figures: &[Figure]) -> String {
    let fields: Vec<String> = figures
        .iter()
        .map(|f| format!("{}: {}", json_string(&f.name), f.min))
        .collect();
    format!("{{{}}}\n", fields.join(", "))
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads back what [`to_json`] writes (a flat object of plain names and
/// unsigned integers); None for anything else.
pub fn from_json(text: &str) -> Option<Vec<(String, u64)>> {
    let body = text.trim().strip_prefix('{')?.strip_suffix('}')?.trim();
    if body.is_empty() {
        return Some(Vec::new());
    }
    body.split(',')
        .map(|field| {
            let (key, value) = field.split_once(':')?;
            let key = key.trim().strip_prefix('"')?.strip_suffix('"')?;
            let plain = |c: char| c.is_ascii_alphanumeric() || c == '_';
            if key.is_empty() || !key.chars().all(plain) {
                return None;
            }
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// The results table: one row per figure, with seL4's figures and the
/// previous run's minimum where there are any.
pub fn table(figures: &[Figure], previous: Option<&[(String, u64)]>) -> String {
    let mut out = format!(
        "{:<20} {:>8} {:>8} {:>8}   {:<20}",
        "benchmark", "min", "max", "samples", "seL4 EL1 / EL2"
    );
    if previous.is_some() {
        out.push_str("previous run");
    }
    let mut out = vec![out.trim_end().to_string()];
    for f in figures {
        let reference = match sel4_reference(&f.name) {
            Some((el1, el2)) => format!("{el1} / {el2}"),
            None => "-".to_string(),
        };
        let mut row = format!(
            "{:<20} {:>8} {:>8} {:>8}   {:<20}",
            f.name, f.min, f.max, f.samples, reference
        );
        if let Some(previous) = previous {
            match previous.iter().find(|(name, _)| *name == f.name) {
                Some((_, min)) if *min == f.min => row.push_str("same"),
                Some((_, min)) => {
                    let _ = write!(row, "{min} ({:+})", f.min as i128 - *min as i128);
                }
                None => row.push('-'),
            }
        }
        out.push(row.trim_end().to_string());
    }
    out.join("\n")
}

/// `cargo xtask bench`: build, run, report. `extra` is added to the kernel
/// command line (for instance `tessera.fastpath=off`).
pub fn run(layout: &Layout, extra: &str) -> Result<ExitCode> {
    qemu::ensure_installed()?;
    let artifacts = build::build(layout, Variant::Bench)?;
    let dir = layout.bench_dir();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let log = dir.join("latest.log");
    let json = dir.join("latest.json");
    // The previous results, for comparison; removed so that a failed run
    // leaves none behind that could be taken for its own.
    let previous = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| from_json(&t));
    if json.exists() {
        std::fs::remove_file(&json).with_context(|| format!("cannot remove {}", json.display()))?;
    }
    let append = if extra.is_empty() {
        APPEND.to_string()
    } else {
        format!("{APPEND} {extra}")
    };
    let config = qemu::Config {
        kernel: &artifacts.kernel_bin,
        initrd: &artifacts.archive,
        append: &append,
        console: qemu::Console::Captured,
        gdb: false,
        deterministic: true,
    };
    let capture = console::run(qemu::command(&config), &log, TIMEOUT, &[], None)?;
    let output = String::from_utf8_lossy(&capture.output);
    let parsed = parse(&output);
    let problems = problems(&parsed, capture.ending);
    if !parsed.figures.is_empty() {
        println!("{}", table(&parsed.figures, previous.as_deref()));
    }
    println!(
        "(virtual nanoseconds = instructions, minimum of each benchmark's samples; {:.1} s; log: {})",
        capture.elapsed.as_secs_f64(),
        log.display()
    );
    if !problems.is_empty() {
        println!("FAIL bench: {}", problems.join("; "));
        print_tail(&log);
        return Ok(ExitCode::FAILURE);
    }
    std::fs::write(&json, to_json(&parsed.figures))
        .with_context(|| format!("cannot write {}", json.display()))?;
    note!("wrote {}", json.display());
    Ok(ExitCode::SUCCESS)
}

fn print_tail(log: &Path) {
    let Ok(bytes) = std::fs::read(log) else {
        return;
    };
    for line in test::tail(&String::from_utf8_lossy(&bytes), LOG_TAIL_LINES) {
        println!("    | {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "Tessera 0.1.0\r\n\
        tessera: boot complete\r\n\
        bench: ipc_call min=412 max=9000 samples=256\r\n\
        bench: ipc_replyrecv min=430 max=431 samples=256\r\n\
        bench: syscall_null min=150 max=150 samples=256\r\n\
        bench: irq_latency min=519 max=519 samples=256\r\n\
        bench: ipc_call_cross_core min=4031 max=4100 samples=256\r\n\
        bench: notify_cross_core min=2296 max=2296 samples=256\r\n\
        tessera: shutdown requested by user level (status 0)\r\n";

    fn figure(name: &str, min: u64, max: u64, samples: u64) -> Figure {
        Figure {
            name: name.to_string(),
            min,
            max,
            samples,
        }
    }

    #[test]
    fn benchmark_lines_are_parsed() {
        let parsed = parse(RUN);
        assert_eq!(
            parsed.figures,
            [
                figure("ipc_call", 412, 9000, 256),
                figure("ipc_replyrecv", 430, 431, 256),
                figure("syscall_null", 150, 150, 256),
                figure("irq_latency", 519, 519, 256),
                figure("ipc_call_cross_core", 4031, 4100, 256),
                figure("notify_cross_core", 2296, 2296, 256),
            ]
        );
        assert!(parsed.errors.is_empty() && parsed.faults.is_empty());
        assert_eq!(problems(&parsed, Ending::Exited(0)), Vec::<String>::new());
    }

    #[test]
    fn only_whole_lines_count() {
        let parsed = parse(
            "xbench: ipc_call min=1 max=2 samples=3\n\
             bench: ipc_call min=1 max=2\n\
             bench: ipc_call min=-1 max=2 samples=3\n\
             bench: ipc call min=1 max=2 samples=3\n",
        );
        assert!(parsed.figures.is_empty(), "{parsed:?}");
        let huge = parse("bench: x min=99999999999999999999999 max=1 samples=1\n");
        assert!(huge.figures.is_empty());
        assert_eq!(huge.errors.len(), 1, "{huge:?}");
    }

    #[test]
    fn errors_faults_and_missing_figures_are_problems() {
        let out = "bench: ipc_call min=5 max=6 samples=64\n\
                   bench: error: spawning: Layout\n\
                   fault: thread 0x1234 stopped (no fault handler)\n";
        let parsed = parse(out);
        assert_eq!(parsed.errors, ["spawning: Layout"]);
        let p = problems(&parsed, Ending::Exited(1));
        assert_eq!(
            p,
            [
                "QEMU exited with status 1",
                "bench: error: spawning: Layout",
                "a thread faulted: fault: thread 0x1234 stopped (no fault handler)",
                "no figure for ipc_replyrecv",
                "no figure for syscall_null",
                "no figure for irq_latency",
                "no figure for ipc_call_cross_core",
                "no figure for notify_cross_core",
            ]
        );
    }

    #[test]
    fn timeouts_empty_and_repeated_figures_are_problems() {
        let mut parsed = parse(RUN);
        parsed.figures[2].samples = 0;
        parsed.figures.push(figure("ipc_call", 1, 1, 1));
        let p = problems(&parsed, Ending::TimedOut { secs: 300 });
        assert_eq!(
            p,
            [
                "timed out after 300 s",
                "ipc_call reported 2 times",
                "syscall_null: no valid samples",
            ]
        );
        assert_eq!(
            problems(&parse(RUN), Ending::Signalled(9)),
            ["QEMU was ended by signal 9"]
        );
    }

    #[test]
    fn json_is_a_flat_object_of_minima() {
        let parsed = parse(RUN);
        let json = to_json(&parsed.figures);
        assert_eq!(
            json,
            "{\"ipc_call\": 412, \"ipc_replyrecv\": 430, \"syscall_null\": 150, \
             \"irq_latency\": 519, \"ipc_call_cross_core\": 4031, \"notify_cross_core\": 2296}\n"
        );
        assert_eq!(to_json(&[]), "{}\n");
        assert_eq!(
            from_json(&json),
            Some(vec![
                ("ipc_call".to_string(), 412),
                ("ipc_replyrecv".to_string(), 430),
                ("syscall_null".to_string(), 150),
                ("irq_latency".to_string(), 519),
                ("ipc_call_cross_core".to_string(), 4031),
                ("notify_cross_core".to_string(), 2296),
            ])
        );
        assert_eq!(from_json("{}"), Some(vec![]));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n\u{1}"), r#""a\"b\\c\n\u0001""#);
        let odd = [figure("q\"uote", 1, 1, 1)];
        assert_eq!(to_json(&odd), "{\"q\\\"uote\": 1}\n");
        // Not a plain name: not read back.
        assert_eq!(from_json(&to_json(&odd)), None);
    }

    #[test]
    fn malformed_json_is_not_read() {
        for bad in [
            "",
            "[1]",
            "{\"a\": -1}",
            "{\"a\": 1,}",
            "{a: 1}",
            "{\"a\" 1}",
            "{\"\": 1}",
        ] {
            assert_eq!(from_json(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_table_shows_sel4_and_the_previous_run() {
        let parsed = parse(RUN);
        let t = table(&parsed.figures, None);
        let lines: Vec<_> = t.lines().collect();
        assert_eq!(lines.len(), 7);
        assert!(lines[0].starts_with("benchmark") && lines[0].ends_with("seL4 EL1 / EL2"));
        assert!(lines[1].contains("412") && lines[1].ends_with("191 / 209"));
        assert!(lines[2].ends_with("215 / 233"));
        assert!(lines[3].ends_with(" -"));
        let previous = vec![
            ("ipc_call".to_string(), 412),
            ("syscall_null".to_string(), 160),
        ];
        let t = table(&parsed.figures, Some(&previous));
        let lines: Vec<_> = t.lines().collect();
        assert!(lines[0].ends_with("previous run"));
        assert!(lines[1].ends_with("same"), "{}", lines[1]);
        assert!(lines[2].ends_with(" -"), "{}", lines[2]);
        assert!(lines[3].ends_with("160 (-10)"), "{}", lines[3]);
    }
}
