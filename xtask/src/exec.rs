//! Running external commands, each echoed first so the user sees what
//! xtask does.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result, bail};

/// Prints an informational line, prefixed with `xtask:`, on stderr (where
/// cargo prints its own progress), keeping stdout for results.
macro_rules! note {
    ($($arg:tt)*) => { eprintln!("xtask: {}", format_args!($($arg)*)) };
}
pub(crate) use note;

/// The command line of `cmd` as a user would type it: the program's file name
/// (not its full path) and the arguments, quoted where needed.
pub fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program());
    let program = program.file_name().unwrap_or(program.as_os_str());
    let mut words = vec![quote(program)];
    words.extend(cmd.get_args().map(quote));
    words.join(" ")
}

/// Quotes one word for a POSIX shell if it needs it.
fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=,:+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Echoes `cmd`, runs it with inherited stdio and returns its exit status.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    let line = describe(cmd);
    note!("{line}");
    cmd.status()
        .with_context(|| format!("cannot start `{line}`"))
}

/// Echoes `cmd`, runs it and fails unless it exits successfully.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(cmd));
    }
    Ok(())
}

/// Echoes `cmd`, runs it with stderr inherited and returns its stdout; fails
/// unless it exits successfully.
pub fn output(cmd: &mut Command) -> Result<String> {
    let line = describe(cmd);
    note!("{line}");
    let out = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !out.status.success() {
        bail!("`{line}` failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The full path of `program` if an executable of that name is on `PATH`.
pub fn find_in_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The exit code to hand on for a child's `status`: its own code, or
/// 128 + the signal number if a signal ended it (as shells report it).
pub fn exit_code(status: ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(1),
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_shows_file_name_and_quotes_arguments() {
        let mut cmd = Command::new("/usr/bin/qemu-system-aarch64");
        cmd.args(["-m", "2G", "-append", "tessera.test=boot quiet", "it's"]);
        assert_eq!(
            describe(&cmd),
            r"qemu-system-aarch64 -m 2G -append 'tessera.test=boot quiet' 'it'\''s'"
        );
    }

    #[test]
    fn empty_argument_is_quoted() {
        let mut cmd = Command::new("echo");
        cmd.arg("");
        assert_eq!(describe(&cmd), "echo ''");
    }
}
