//! `/chosen`: command line, initrd and console path.

use fdt::node::FdtNode;

use crate::cells::{number, str_property};
use crate::platform::Region;
use crate::tree::base_name;

/// What `/chosen` says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Chosen<'a> {
    /// `bootargs`, `""` if absent or not UTF-8.
    pub(crate) bootargs: &'a str,
    /// `linux,initrd-start` to `linux,initrd-end`.
    pub(crate) initrd: Option<Region>,
    /// The absolute path `stdout-path` names, aliases resolved and options
    /// (after `:`) dropped.
    pub(crate) stdout: Option<&'a str>,
}

impl<'a> Chosen<'a> {
    /// Reads `/chosen` (and `/aliases` if needed) below `root`.
    pub(crate) fn read(root: FdtNode<'_, 'a>) -> Self {
        let Some(chosen) = child(root, "chosen") else {
            return Self::default();
        };
        Self {
            bootargs: str_property(chosen, "bootargs").unwrap_or_default(),
            initrd: initrd(chosen),
            stdout: stdout(root, chosen),
        }
    }
}

/// The first child of `node` called `name`, with or without unit address.
fn child<'b, 'a>(node: FdtNode<'b, 'a>, name: &str) -> Option<FdtNode<'b, 'a>> {
    node.children().find(|child| base_name(child.name) == name)
}

/// The initrd range; `None` unless both ends are 1- or 2-cell numbers in
/// order.
fn initrd(chosen: FdtNode<'_, '_>) -> Option<Region> {
    let start = number(chosen.property("linux,initrd-start")?.value)?;
    let end = number(chosen.property("linux,initrd-end")?.value)?;
    Some(Region {
        base: start,
        size: end.checked_sub(start)?,
    })
}

/// The console's absolute path from `stdout-path` (or the older
/// `linux,stdout-path`), through `/aliases` if it is an alias.
fn stdout<'a>(root: FdtNode<'_, 'a>, chosen: FdtNode<'_, 'a>) -> Option<&'a str> {
    let value = str_property(chosen, "stdout-path")
        .or_else(|| str_property(chosen, "linux,stdout-path"))?;
    let path = without_options(value);
    if path.starts_with('/') {
        return Some(path);
    }
    let resolved = without_options(str_property(child(root, "aliases")?, path)?);
    resolved.starts_with('/').then_some(resolved)
}

/// A console path without its options: `/uart@1` for `/uart@1:115200n8`.
fn without_options(path: &str) -> &str {
    path.split_once(':').map_or(path, |(path, _)| path)
}
