//! Judging a scenario's run: exit status, expected lines in order, forbidden
//! lines. Pure functions of the captured output.

use regex::Regex;

use crate::scenarios::Scenario;

/// How the QEMU process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Ended by a signal it did not ask for.
    Signalled(i32),
    /// Killed by the runner after the scenario's timeout.
    TimedOut {
        secs: u64,
    },
    /// Stopped by the runner once every expected line had appeared (a
    /// scenario whose system runs on, `stop_when_expected`).
    Stopped,
}

/// The console lines of `output`, without line terminators (`\r\n` from the
/// serial console included).
pub fn lines(output: &str) -> Vec<&str> {
    output.lines().map(|l| l.trim_end_matches('\r')).collect()
}

/// Checks a run against `scenario`; `Err` lists every problem found, the
/// most telling first.
pub fn judge(scenario: &Scenario, output: &str, ending: Ending) -> Result<(), Vec<String>> {
    let lines = lines(output);
    let mut problems = Vec::new();
    let missing = first_missing_expect(scenario.expect, &lines);
    match ending {
        Ending::TimedOut { secs } => {
            let mut p = format!("timed out after {secs} s");
            if let Some(m) = &missing {
                p.push_str(&format!(" ({})", m.describe()));
            }
            problems.push(p);
        }
        Ending::Signalled(signal) => problems.push(format!(
            "QEMU was ended by signal {signal}, expected exit status {}",
            scenario.exit_status
        )),
        Ending::Exited(code) if scenario.stop_when_expected => problems.push(format!(
            "QEMU exited (status {code}), but the system should have kept running"
        )),
        Ending::Exited(code) if code != scenario.exit_status => problems.push(format!(
            "exit status {code}, expected {}",
            scenario.exit_status
        )),
        Ending::Exited(_) => {}
        Ending::Stopped if !scenario.stop_when_expected => {
            problems.push("stopped by the runner, expected QEMU to exit".into())
        }
        Ending::Stopped => {}
    }
    if let (Some(m), false) = (&missing, matches!(ending, Ending::TimedOut { .. })) {
        problems.push(m.describe());
    }
    problems.extend(forbidden_lines(scenario.forbid, &lines));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Expected lines compiled once, to test output as it grows.
pub struct Expected(Option<Vec<Regex>>);

impl Expected {
    /// Compiles `expect`; a bad regex makes every output fall short.
    pub fn new(expect: &[&str]) -> Self {
        Self(expect.iter().map(|p| Regex::new(p).ok()).collect())
    }

    /// Whether every expected regex matches a line of `output`, in order.
    pub fn all_in(&self, output: &str) -> bool {
        let Some(regexes) = &self.0 else {
            return false;
        };
        let mut lines = lines(output).into_iter();
        regexes.iter().all(|re| lines.any(|l| re.is_match(l)))
    }
}

/// An expected regex that no line (after the previous expectation's line)
/// matches.
struct Missing<'a> {
    pattern: &'a str,
    /// The previous expectation and the 1-based line it matched.
    after: Option<(&'a str, usize)>,
}

impl Missing<'_> {
    fn describe(&self) -> String {
        match self.after {
            None => format!("no line matches `{}`", self.pattern),
            Some((previous, line)) => format!(
                "no line matches `{}` after line {line} (which matched `{previous}`)",
                self.pattern
            ),
        }
    }
}

fn first_missing_expect<'a>(expect: &[&'a str], lines: &[&str]) -> Option<Missing<'a>> {
    let mut next_line = 0;
    let mut after = None;
    for &pattern in expect {
        let re = match Regex::new(pattern) {
            Ok(re) => re,
            Err(_) => return Some(Missing { pattern, after }),
        };
        match lines[next_line..].iter().position(|l| re.is_match(l)) {
            Some(i) => {
                next_line += i + 1;
                after = Some((pattern, next_line));
            }
            None => return Some(Missing { pattern, after }),
        }
    }
    None
}

fn forbidden_lines(forbid: &[&str], lines: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    for &pattern in forbid {
        let Ok(re) = Regex::new(pattern) else {
            problems.push(format!("bad forbid regex `{pattern}`"));
            continue;
        };
        if let Some((i, line)) = lines.iter().enumerate().find(|(_, l)| re.is_match(l)) {
            problems.push(format!(
                "line {} matches forbidden `{pattern}`: {}",
                i + 1,
                shorten(line)
            ));
        }
    }
    problems
}

/// Counts the sub-result lines of `output`: lines matching `pattern` whose
/// first group is `PASS` count as passed, any other match as failed.
/// `(passed, failed)`; a bad pattern counts as one failure.
pub fn sub_results(pattern: &str, output: &str) -> (u64, u64) {
    let Ok(re) = Regex::new(pattern) else {
        return (0, 1);
    };
    let mut counts = (0, 0);
    for line in lines(output) {
        if let Some(caps) = re.captures(line) {
            match caps.get(1).map(|m| m.as_str()) {
                Some("PASS") => counts.0 += 1,
                _ => counts.1 += 1,
            }
        }
    }
    counts
}

fn shorten(line: &str) -> String {
    const MAX: usize = 120;
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCENARIO: Scenario = Scenario {
        name: "t",
        append: "",
        timeout_secs: 5,
        exit_status: 3,
        expect: &["^one", r"^two \d+", "^three"],
        forbid: &["FATAL", "(?i)panicked"],
        input: &[],
        sub_results: None,
        stop_when_expected: false,
    };

    #[test]
    fn passes_when_all_expected_lines_appear_in_order() {
        let out = "noise\r\none\r\nnoise\r\ntwo 22\r\nthree\r\n";
        assert_eq!(judge(&SCENARIO, out, Ending::Exited(3)), Ok(()));
    }

    #[test]
    fn expected_lines_must_come_in_order() {
        let out = "three\none\ntwo 1\n";
        let err = judge(&SCENARIO, out, Ending::Exited(3)).unwrap_err();
        assert_eq!(
            err,
            [r"no line matches `^three` after line 3 (which matched `^two \d+`)"]
        );
    }

    #[test]
    fn one_line_cannot_satisfy_two_expectations() {
        let scenario = Scenario {
            expect: &["a", "a"],
            ..SCENARIO
        };
        assert!(judge(&scenario, "a\n", Ending::Exited(3)).is_err());
        assert_eq!(judge(&scenario, "a\nba\n", Ending::Exited(3)), Ok(()));
    }

    #[test]
    fn anchors_apply_per_line() {
        let err = judge(&SCENARIO, "xone\ntwo 1\nthree\n", Ending::Exited(3)).unwrap_err();
        assert_eq!(err, ["no line matches `^one`"]);
    }

    #[test]
    fn wrong_exit_status_fails() {
        let out = "one\ntwo 1\nthree\n";
        let err = judge(&SCENARIO, out, Ending::Exited(0)).unwrap_err();
        assert_eq!(err, ["exit status 0, expected 3"]);
        let err = judge(&SCENARIO, out, Ending::Signalled(9)).unwrap_err();
        assert_eq!(err, ["QEMU was ended by signal 9, expected exit status 3"]);
    }

    #[test]
    fn forbidden_lines_fail_anywhere() {
        let out = "one\ntwo 1\nthree\nthread 'x' PANICKED at y\n";
        let err = judge(&SCENARIO, out, Ending::Exited(3)).unwrap_err();
        assert_eq!(
            err,
            ["line 4 matches forbidden `(?i)panicked`: thread 'x' PANICKED at y"]
        );
    }

    #[test]
    fn timeout_names_what_was_still_awaited() {
        let err = judge(&SCENARIO, "one\n", Ending::TimedOut { secs: 5 }).unwrap_err();
        assert_eq!(
            err,
            [
                "timed out after 5 s (no line matches `^two \\d+` after line 1 (which matched `^one`))"
            ]
        );
        let err = judge(
            &SCENARIO,
            "one\ntwo 1\nthree\n",
            Ending::TimedOut { secs: 5 },
        )
        .unwrap_err();
        assert_eq!(err, ["timed out after 5 s"]);
    }

    #[test]
    fn all_problems_are_listed() {
        let err = judge(&SCENARIO, "FATAL: x\n", Ending::Exited(1)).unwrap_err();
        assert_eq!(err.len(), 3, "{err:?}");
    }

    #[test]
    fn running_systems_are_stopped_once_all_lines_appeared() {
        let running = Scenario {
            stop_when_expected: true,
            ..SCENARIO
        };
        let out = "one\ntwo 1\nthree\n";
        let expected = Expected::new(running.expect);
        assert!(expected.all_in(out));
        assert!(!expected.all_in("one\nthree\n"));
        assert!(!expected.all_in("three\ntwo 1\none\n"));
        assert!(!Expected::new(&["("]).all_in(out));
        assert_eq!(judge(&running, out, Ending::Stopped), Ok(()));
        let err = judge(&running, out, Ending::Exited(3)).unwrap_err();
        assert_eq!(
            err,
            ["QEMU exited (status 3), but the system should have kept running"]
        );
        let err = judge(&SCENARIO, out, Ending::Stopped).unwrap_err();
        assert_eq!(err, ["stopped by the runner, expected QEMU to exit"]);
        let late = "one\ntwo 1\nthree\nFATAL: late\n";
        assert!(judge(&running, late, Ending::Stopped).is_err());
    }

    #[test]
    fn sub_results_are_counted_per_line() {
        let out = "ktest: PASS a\r\nktest: FAIL b: why\nktest: PASS c\nktest: 2 passed, 1 failed\nxktest: PASS d\n";
        assert_eq!(sub_results("^ktest: (PASS|FAIL) ", out), (2, 1));
        assert_eq!(sub_results("^ktest: (PASS|FAIL) ", ""), (0, 0));
        assert_eq!(sub_results("(", out), (0, 1));
    }

    #[test]
    fn long_lines_are_shortened() {
        assert_eq!(shorten(&"é".repeat(130)).chars().count(), 121);
        assert_eq!(shorten("short"), "short");
    }
}
