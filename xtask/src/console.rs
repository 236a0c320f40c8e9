//! Running one QEMU process with its console captured: stdout and stderr
//! together into a log file and memory, a timeout, and typed input.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use regex::bytes::Regex;

use crate::exec::{self, note};
use crate::scenarios::InputStep;
use crate::verdict::Ending;

/// How often the runner looks at the process while no output arrives.
const POLL: Duration = Duration::from_millis(50);
/// How long to wait for the last output once QEMU has ended.
const DRAIN: Duration = Duration::from_secs(5);
/// How long a run goes on after its stop condition held, so that lines
/// printed just after (a late fault) are still judged.
const GRACE: Duration = Duration::from_secs(1);

/// A condition on the output so far that ends the run (after [`GRACE`]).
pub type StopWhen<'a> = &'a dyn Fn(&[u8]) -> bool;

/// What a captured run produced.
#[derive(Debug)]
pub struct Capture {
    /// Everything QEMU wrote on stdout and stderr, in order.
    pub output: Vec<u8>,
    pub ending: Ending,
    pub elapsed: Duration,
}

/// Runs `cmd` (its stdio is replaced) until it exits, `timeout` passes or
/// `stop_when` has held for [`GRACE`], writing its output to `log` and
/// typing `input` into its stdin.
pub fn run(
    cmd: Command,
    log: &Path,
    timeout: Duration,
    input: &[InputStep],
    stop_when: Option<StopWhen<'_>>,
) -> Result<Capture> {
    let mut typist = Typist::new(input)?;
    let start = Instant::now();
    let (mut child, chunks) = spawn(cmd, log, !input.is_empty())?;
    let mut console = Console {
        chunks,
        output: Vec::new(),
        open: true,
    };
    let watched = console.watch(&mut child, start + timeout, &mut typist, stop_when);
    let elapsed = start.elapsed();
    let ending = match watched {
        Ok(Some(Ending::Stopped)) => {
            kill(&mut child);
            Ending::Stopped
        }
        Ok(Some(ending)) => ending,
        Ok(None) => {
            kill(&mut child);
            Ending::TimedOut {
                secs: timeout.as_secs(),
            }
        }
        Err(e) => {
            kill(&mut child);
            return Err(e);
        }
    };
    console.drain();
    Ok(Capture {
        output: console.output,
        ending,
        elapsed,
    })
}

/// Starts `cmd` with stdout and stderr into one pipe, which a thread copies
/// into `log` and hands on; stdin is piped only if there is input to type.
fn spawn(mut cmd: Command, log: &Path, typed: bool) -> Result<(Child, Receiver<Vec<u8>>)> {
    let line = exec::describe(&cmd);
    let mut log_file =
        File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    writeln!(log_file, "$ {line}")?;
    let (reader, writer) = io::pipe().context("cannot create a pipe")?;
    cmd.stdout(writer.try_clone()?).stderr(writer);
    cmd.stdin(if typed { Stdio::piped() } else { Stdio::null() });
    note!("{line}");
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{line}`"))?;
    // The pipe's write ends held by `cmd` must close, or the reader never
    // sees the end of the output.
    drop(cmd);
    Ok((child, spawn_reader(reader, log_file)))
}

/// The runner's side of the console: output received so far.
struct Console {
    chunks: Receiver<Vec<u8>>,
    output: Vec<u8>,
    /// False once the output has ended.
    open: bool,
}

impl Console {
    /// Collects output and types input until the process exits (giving how),
    /// `stop_when` has held for [`GRACE`] (giving `Stopped`; the process
    /// still runs) or the deadline passes (giving `None`; likewise).
    fn watch(
        &mut self,
        child: &mut Child,
        deadline: Instant,
        typist: &mut Typist,
        stop_when: Option<StopWhen<'_>>,
    ) -> Result<Option<Ending>> {
        let mut stdin = child.stdin.take();
        let mut stop_at = None;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(exit_ending(status)));
            }
            let now = Instant::now();
            if stop_at.is_some_and(|at| now >= at) {
                return Ok(Some(Ending::Stopped));
            }
            if now >= deadline {
                return Ok(None);
            }
            if stop_at.is_none() && stop_when.is_some_and(|f| f(&self.output)) {
                stop_at = Some(now + GRACE);
            }
            let wait = POLL.min(deadline - now);
            if self.open {
                self.receive(wait);
                if let Some(pipe) = &mut stdin {
                    typist.feed(&self.output, pipe)?;
                }
            } else {
                thread::sleep(wait);
            }
        }
    }

    /// Waits up to `wait` for more output.
    fn receive(&mut self, wait: Duration) {
        match self.chunks.recv_timeout(wait) {
            Ok(chunk) => self.output.extend_from_slice(&chunk),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => self.open = false,
        }
    }

    /// Takes the output still in flight once the process has ended.
    fn drain(&mut self) {
        let until = Instant::now() + DRAIN;
        while self.open && Instant::now() < until {
            self.receive(POLL);
        }
    }
}

/// Copies the pipe into the log and hands each chunk to the runner; the
/// channel closes at the end of the output.
fn spawn_reader(mut pipe: io::PipeReader, mut log: File) -> Receiver<Vec<u8>> {
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let _ = log.write_all(&buf[..n]);
                    if send.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = log.flush();
    });
    receive
}

fn exit_ending(status: std::process::ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(signal)) => Ending::Signalled(signal),
        (None, None) => Ending::Signalled(0),
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Types each input step's text once its regex matches the output that
/// follows the previous step's match.
struct Typist<'a> {
    steps: Vec<(Regex, &'a str)>,
    next: usize,
    /// Where in the output the next step's regex starts looking.
    cursor: usize,
}

impl<'a> Typist<'a> {
    fn new(input: &'a [InputStep]) -> Result<Self> {
        let steps = input
            .iter()
            .map(|step| {
                Regex::new(step.wait_for)
                    .map(|re| (re, step.text))
                    .with_context(|| format!("bad input regex `{}`", step.wait_for))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            steps,
            next: 0,
            cursor: 0,
        })
    }

    /// Writes the text of every step whose regex now matches. A console that
    /// has gone away (QEMU exiting) is not an error.
    fn feed(&mut self, output: &[u8], console: &mut impl Write) -> Result<()> {
        while let Some((re, text)) = self.steps.get(self.next) {
            let Some(found) = re.find(&output[self.cursor..]) else {
                break;
            };
            self.cursor += found.end();
            self.next += 1;
            match console
                .write_all(text.as_bytes())
                .and_then(|()| console.flush())
            {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                other => other.context("cannot type into the console")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: &[InputStep] = &[
        InputStep {
            wait_for: "login: $",
            text: "root\r",
        },
        InputStep {
            wait_for: r"(?m)^# ",
            text: "echo hi\r",
        },
        InputStep {
            wait_for: r"(?m)^# ",
            text: "poweroff\r",
        },
    ];

    #[test]
    fn typist_waits_for_each_prompt_in_turn() {
        let mut typist = Typist::new(STEPS).unwrap();
        let mut typed = Vec::new();
        let mut output = b"booting\r\nlogin".to_vec();
        typist.feed(&output, &mut typed).unwrap();
        assert!(typed.is_empty());
        output.extend_from_slice(b": ");
        typist.feed(&output, &mut typed).unwrap();
        assert_eq!(typed, b"root\r");
        // One prompt answers one step: the second `# ` step waits for the
        // prompt after it.
        output.extend_from_slice(b"\r\n# ");
        typist.feed(&output, &mut typed).unwrap();
        assert_eq!(typed, b"root\recho hi\r");
        output.extend_from_slice(b"echo hi\r\nhi\r\n# ");
        typist.feed(&output, &mut typed).unwrap();
        assert_eq!(typed, b"root\recho hi\rpoweroff\r");
        output.extend_from_slice(b"\r\n# ");
        typist.feed(&output, &mut typed).unwrap();
        assert_eq!(typed, b"root\recho hi\rpoweroff\r");
    }

    #[test]
    fn bad_input_regex_is_reported() {
        let steps = [InputStep {
            wait_for: "(",
            text: "",
        }];
        assert!(Typist::new(&steps).is_err());
    }

    #[test]
    fn captures_output_exit_status_and_timeout() {
        let dir = std::env::temp_dir().join(format!("xtask-console-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("t.log");

        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo out; echo err >&2; exit 3"]);
        let capture = run(cmd, &log, Duration::from_secs(20), &[], None).unwrap();
        assert_eq!(capture.ending, Ending::Exited(3));
        let text = String::from_utf8(capture.output).unwrap();
        assert!(text.contains("out\n") && text.contains("err\n"), "{text}");
        let logged = std::fs::read_to_string(&log).unwrap();
        assert!(
            logged.starts_with("$ sh -c ") && logged.contains("err\n"),
            "{logged}"
        );

        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo started; exec sleep 30"]);
        let capture = run(cmd, &log, Duration::from_millis(300), &[], None).unwrap();
        assert_eq!(capture.ending, Ending::TimedOut { secs: 0 });
        assert_eq!(capture.output, b"started\n");

        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo ready; exec sleep 30"]);
        let ready = |out: &[u8]| out.ends_with(b"ready\n");
        let capture = run(cmd, &log, Duration::from_secs(20), &[], Some(&ready)).unwrap();
        assert_eq!(capture.ending, Ending::Stopped);
        assert!(capture.elapsed < Duration::from_secs(10));

        let steps = [InputStep {
            wait_for: "name\\? $",
            text: "tessera\n",
        }];
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "printf 'name? '; read n; echo \"hello $n\""]);
        let capture = run(cmd, &log, Duration::from_secs(20), &steps, None).unwrap();
        assert_eq!(capture.ending, Ending::Exited(0));
        assert_eq!(capture.output, b"name? hello tessera\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
