//! Installing QEMU with Debian's apt when `qemu-system-aarch64` is missing.
//!
//! The subtle case (see shared/PLATFORM-NOTES.md): when the installed
//! `qemu-utils` comes from `<codename>-backports`, a plain
//! `apt-get install qemu-system-arm` removes it and brings the release's older
//! QEMU. Then QEMU must come from backports too; if no backports source is
//! configured, one is added with the URI of the existing Debian source (no
//! mirror host is written into the project).
//!
//! Everything that decides is a pure function of text read from the system,
//! so it is unit-tested without touching apt.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::exec::{self, note};

pub const PACKAGE: &str = "qemu-system-arm";
/// The installed package whose origin decides between the two plans.
const UTILS_PACKAGE: &str = "qemu-utils";
const SOURCES_DIR: &str = "/etc/apt/sources.list.d";
const SOURCES_LIST: &str = "/etc/apt/sources.list";
/// Used when /etc/os-release names no codename (Debian 12).
const DEFAULT_CODENAME: &str = "bookworm";

/// One apt source entry (a deb822 stanza or a one-line `deb` line).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AptSource {
    pub types: Vec<String>,
    pub uris: Vec<String>,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    /// A keyring path (only a single-line value is kept).
    pub signed_by: Option<String>,
}

impl AptSource {
    fn is_binary_for(&self, suite: &str) -> bool {
        self.types.iter().any(|t| t == "deb") && self.suites.iter().any(|s| s == suite)
    }
}

/// How to install QEMU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallPlan {
    /// `apt-get install qemu-system-arm` from the release's own suites.
    Plain,
    /// `apt-get install -t <suite> qemu-system-arm`, first adding a source for
    /// the suite if `new_source` is set.
    Backports {
        suite: String,
        new_source: Option<NewSource>,
    },
}

/// A sources file to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    pub path: PathBuf,
    pub contents: String,
}

/// Parses deb822 `.sources` text into its enabled stanzas.
pub fn parse_deb822(text: &str) -> Vec<AptSource> {
    let mut sources = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut finish = |fields: &mut Vec<(String, String)>| {
        if let Some(source) = stanza_to_source(fields) {
            sources.push(source);
        }
        fields.clear();
    };
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            finish(&mut fields);
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    finish(&mut fields);
    sources
}

fn stanza_to_source(fields: &[(String, String)]) -> Option<AptSource> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let words = |name: &str| -> Vec<String> {
        get(name).map_or_else(Vec::new, |v| {
            v.split_whitespace().map(String::from).collect()
        })
    };
    if fields.is_empty() || get("enabled").is_some_and(|v| v.eq_ignore_ascii_case("no")) {
        return None;
    }
    Some(AptSource {
        types: words("types"),
        uris: words("uris"),
        suites: words("suites"),
        components: words("components"),
        signed_by: get("signed-by")
            .filter(|v| !v.is_empty() && !v.contains('\n'))
            .map(String::from),
    })
}

/// Parses one-line-style `sources.list` text
/// (`deb [options] URI suite component...`).
pub fn parse_one_line(text: &str) -> Vec<AptSource> {
    text.lines().filter_map(parse_one_line_entry).collect()
}

fn parse_one_line_entry(line: &str) -> Option<AptSource> {
    let line = line.split('#').next().unwrap_or("");
    let (kind, rest) = line.trim().split_once(char::is_whitespace)?;
    if kind != "deb" && kind != "deb-src" {
        return None;
    }
    let mut rest = rest.trim_start();
    let mut signed_by = None;
    if let Some(after) = rest.strip_prefix('[') {
        let (options, tail) = after.split_once(']')?;
        signed_by = options
            .split_whitespace()
            .find_map(|o| o.strip_prefix("signed-by="))
            .map(String::from);
        rest = tail;
    }
    let mut words = rest.split_whitespace().map(String::from);
    let uri = words.next()?;
    let suite = words.next()?;
    Some(AptSource {
        types: vec![kind.to_string()],
        uris: vec![uri],
        suites: vec![suite],
        components: words.collect(),
        signed_by,
    })
}

/// The version of an installed package from the output of
/// `dpkg-query -W -f '${Status}|${Version}' PKG`; `None` unless it is
/// installed.
pub fn parse_dpkg_query(output: &str) -> Option<String> {
    let line = output.lines().next()?;
    let (status, version) = line.split_once('|')?;
    let installed = status.split_whitespace().nth(2) == Some("installed");
    (installed && !version.trim().is_empty()).then(|| version.trim().to_string())
}

/// Whether a Debian version string is a backports build (`~bpo12+1`).
pub fn is_backports_version(version: &str) -> bool {
    version.contains("bpo")
}

/// `VERSION_CODENAME` from /etc/os-release text.
pub fn parse_os_codename(os_release: &str) -> Option<String> {
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        .filter(|v| !v.is_empty())
}

/// Decides how to install QEMU, given the release codename, the installed
/// `qemu-utils` version (if any) and the configured apt sources.
pub fn plan(
    codename: &str,
    qemu_utils_version: Option<&str>,
    sources: &[AptSource],
) -> Result<InstallPlan, String> {
    if !qemu_utils_version.is_some_and(is_backports_version) {
        return Ok(InstallPlan::Plain);
    }
    let suite = format!("{codename}-backports");
    if sources.iter().any(|s| s.is_binary_for(&suite)) {
        return Ok(InstallPlan::Backports {
            suite,
            new_source: None,
        });
    }
    let Some(base) = sources
        .iter()
        .find(|s| s.is_binary_for(codename) && !s.uris.is_empty())
    else {
        return Err(format!(
            "{UTILS_PACKAGE} comes from {suite}, so QEMU must too, but no apt source for \
             `{codename}` was found to copy the mirror from; add a {suite} source and run \
             `apt-get install -t {suite} {PACKAGE}`"
        ));
    };
    let components = if base.components.is_empty() {
        "main".to_string()
    } else {
        base.components.join(" ")
    };
    let mut contents = format!(
        "# Added by `cargo xtask`: {PACKAGE} must come from {suite} like the installed \
         {UTILS_PACKAGE}.\nTypes: deb\nURIs: {}\nSuites: {suite}\nComponents: {components}\n",
        base.uris[0]
    );
    if let Some(key) = &base.signed_by {
        contents.push_str(&format!("Signed-By: {key}\n"));
    }
    let path = Path::new(SOURCES_DIR).join(format!("{suite}.sources"));
    Ok(InstallPlan::Backports {
        suite,
        new_source: Some(NewSource { path, contents }),
    })
}

/// The `apt-get install` arguments for `plan` (after `apt-get`).
pub fn install_args(plan: &InstallPlan, assume_yes: bool) -> Vec<String> {
    let mut args = vec!["install".to_string()];
    if assume_yes {
        args.push("-y".into());
    }
    if let InstallPlan::Backports { suite, .. } = plan {
        args.extend(["-t".into(), suite.clone()]);
    }
    args.push(PACKAGE.into());
    args
}

/// What a user without root rights should do to carry out `plan`.
pub fn manual_instructions(plan: &InstallPlan) -> String {
    let install = format!("sudo apt-get {}", install_args(plan, false).join(" "));
    match plan {
        InstallPlan::Plain => install,
        InstallPlan::Backports { new_source, .. } => {
            let mut text = String::new();
            if let Some(source) = new_source {
                text.push_str(&format!(
                    "create {} containing:\n{}\nthen run:\n",
                    source.path.display(),
                    source.contents
                ));
            }
            text.push_str(&format!("sudo apt-get update\n{install}"));
            text
        }
    }
}

/// Works out the plan on this machine.
pub fn plan_for_this_machine() -> Result<InstallPlan> {
    let codename = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| parse_os_codename(&t))
        .unwrap_or_else(|| DEFAULT_CODENAME.to_string());
    let utils = installed_version(UTILS_PACKAGE);
    if let Some(v) = &utils {
        note!("{UTILS_PACKAGE} {v} is installed");
    }
    plan(&codename, utils.as_deref(), &read_sources()).map_err(anyhow::Error::msg)
}

/// Carries out `plan` (as root).
pub fn install(plan: &InstallPlan) -> Result<()> {
    if let InstallPlan::Backports {
        new_source: Some(source),
        suite,
    } = plan
    {
        if source.path.exists() {
            bail!(
                "{} exists but gives no enabled {suite} source; fix it, then run `{}`",
                source.path.display(),
                manual_instructions(plan).replace("sudo ", "")
            );
        }
        note!(
            "adding the apt source {} for {suite}",
            source.path.display()
        );
        std::fs::write(&source.path, &source.contents)
            .with_context(|| format!("cannot write {}", source.path.display()))?;
    }
    let apt = |args: &[String]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null());
        exec::run(&mut cmd)
    };
    apt(&["update".to_string()])?;
    apt(&install_args(plan, true))
}

fn installed_version(package: &str) -> Option<String> {
    let mut cmd = Command::new("dpkg-query");
    cmd.args(["-W", "-f", "${Status}|${Version}", package]);
    note!("{}", exec::describe(&cmd));
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    parse_dpkg_query(&String::from_utf8_lossy(&out.stdout))
}

/// All enabled sources of /etc/apt/sources.list and sources.list.d.
fn read_sources() -> Vec<AptSource> {
    let mut files = vec![PathBuf::from(SOURCES_LIST)];
    if let Ok(dir) = std::fs::read_dir(SOURCES_DIR) {
        let mut listed: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        listed.sort();
        files.extend(listed);
    }
    let mut sources = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        match file.extension().and_then(|e| e.to_str()) {
            Some("sources") => sources.extend(parse_deb822(&text)),
            Some("list") => sources.extend(parse_one_line(&text)),
            _ => {}
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_SOURCES: &str = "\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
";

    const BPO_VERSION: &str = "1:10.0.2+ds-2+deb13u1~bpo12+1";

    fn deb(uri: &str, suites: &[&str]) -> AptSource {
        AptSource {
            types: vec!["deb".into()],
            uris: vec![uri.into()],
            suites: suites.iter().map(|s| s.to_string()).collect(),
            components: vec!["main".into()],
            signed_by: None,
        }
    }

    #[test]
    fn deb822_stanzas_are_parsed() {
        let sources = parse_deb822(DEBIAN_SOURCES);
        assert_eq!(sources.len(), 2);
        assert_eq!(sources[0].uris, ["http://mirror.example/debian"]);
        assert_eq!(sources[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(
            sources[0].signed_by.as_deref(),
            Some("/usr/share/keyrings/debian-archive-keyring.gpg")
        );
        assert_eq!(sources[1].suites, ["bookworm-security"]);
    }

    #[test]
    fn deb822_skips_disabled_stanzas_and_inline_keys() {
        let text = "Types: deb\nURIs: http://a/debian\nSuites: bookworm\nEnabled: no\n\n\
                    types: deb deb-src\nuris: http://b/debian\nsuites: bookworm\n\
                    components: main contrib\nsigned-by:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n";
        let sources = parse_deb822(text);
        assert_eq!(sources.len(), 1);
        assert_eq!(sources[0].types, ["deb", "deb-src"]);
        assert_eq!(sources[0].components, ["main", "contrib"]);
        assert_eq!(sources[0].signed_by, None);
    }

    #[test]
    fn one_line_sources_are_parsed() {
        let text = "# comment\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main contrib # x\n\
                    deb-src http://m/debian bookworm main\n\
                    deb https://packages.example/apt cloud-sdk main\n";
        let sources = parse_one_line(text);
        assert_eq!(sources.len(), 3);
        assert_eq!(sources[0].uris, ["http://m/debian"]);
        assert_eq!(sources[0].suites, ["bookworm"]);
        assert_eq!(sources[0].components, ["main", "contrib"]);
        assert_eq!(sources[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(sources[1].types, ["deb-src"]);
    }

    #[test]
    fn dpkg_query_output_is_parsed() {
        let installed = format!("install ok installed|{BPO_VERSION}");
        assert_eq!(parse_dpkg_query(&installed).as_deref(), Some(BPO_VERSION));
        assert_eq!(
            parse_dpkg_query("deinstall ok config-files|1:7.2+dfsg-7"),
            None
        );
        assert_eq!(parse_dpkg_query("unknown ok not-installed|"), None);
        assert_eq!(parse_dpkg_query(""), None);
    }

    #[test]
    fn backports_versions_are_recognised() {
        assert!(is_backports_version(BPO_VERSION));
        assert!(!is_backports_version("1:7.2+dfsg-7+deb12u13"));
    }

    #[test]
    fn os_codename_is_read() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_CODENAME=bookworm\n";
        assert_eq!(parse_os_codename(text).as_deref(), Some("bookworm"));
        assert_eq!(parse_os_codename("ID=debian\n"), None);
    }

    #[test]
    fn plain_install_without_backports_utils() {
        let sources = parse_deb822(DEBIAN_SOURCES);
        assert_eq!(plan("bookworm", None, &sources), Ok(InstallPlan::Plain));
        assert_eq!(
            plan("bookworm", Some("1:7.2+dfsg-7"), &sources),
            Ok(InstallPlan::Plain)
        );
        assert_eq!(
            manual_instructions(&InstallPlan::Plain),
            "sudo apt-get install qemu-system-arm"
        );
        assert_eq!(
            install_args(&InstallPlan::Plain, true),
            ["install", "-y", "qemu-system-arm"]
        );
    }

    #[test]
    fn backports_utils_add_a_source_with_the_existing_mirror() {
        let sources = parse_deb822(DEBIAN_SOURCES);
        let plan = plan("bookworm", Some(BPO_VERSION), &sources).unwrap();
        let InstallPlan::Backports {
            suite,
            new_source: Some(source),
        } = &plan
        else {
            panic!("expected a new backports source, got {plan:?}");
        };
        assert_eq!(suite, "bookworm-backports");
        assert_eq!(
            source.path,
            Path::new("/etc/apt/sources.list.d/bookworm-backports.sources")
        );
        let added = parse_deb822(&source.contents);
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].uris, ["http://mirror.example/debian"]);
        assert_eq!(added[0].suites, ["bookworm-backports"]);
        assert_eq!(
            added[0].signed_by.as_deref(),
            Some("/usr/share/keyrings/debian-archive-keyring.gpg")
        );
        assert_eq!(
            install_args(&plan, true),
            [
                "install",
                "-y",
                "-t",
                "bookworm-backports",
                "qemu-system-arm"
            ]
        );
        let manual = manual_instructions(&plan);
        assert!(manual.contains("bookworm-backports.sources"), "{manual}");
        assert!(
            manual.ends_with("sudo apt-get install -t bookworm-backports qemu-system-arm"),
            "{manual}"
        );
    }

    #[test]
    fn existing_backports_source_is_reused() {
        let sources = [
            deb("http://m/debian", &["bookworm"]),
            deb("http://m/debian", &["bookworm-backports"]),
        ];
        assert_eq!(
            plan("bookworm", Some(BPO_VERSION), &sources),
            Ok(InstallPlan::Backports {
                suite: "bookworm-backports".into(),
                new_source: None
            })
        );
    }

    #[test]
    fn one_line_debian_source_is_used_as_the_mirror() {
        let sources = parse_one_line("deb http://m/debian bookworm main contrib\n");
        let Ok(InstallPlan::Backports {
            new_source: Some(source),
            ..
        }) = plan("bookworm", Some(BPO_VERSION), &sources)
        else {
            panic!("expected a new source");
        };
        assert!(source.contents.contains("URIs: http://m/debian\n"));
        assert!(source.contents.contains("Components: main contrib\n"));
    }

    #[test]
    fn security_and_foreign_sources_are_not_mirrors() {
        let sources = [
            deb("http://m/debian-security", &["bookworm-security"]),
            deb("http://x/apt", &["stable"]),
        ];
        let err = plan("bookworm", Some(BPO_VERSION), &sources).unwrap_err();
        assert!(err.contains("no apt source for `bookworm`"), "{err}");
    }
}
