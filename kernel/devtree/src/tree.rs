//! A depth-first walk of the tree that knows each node's context.

use fdt::node::FdtNode;

use crate::cells::{CellSizes, u32_property};
use crate::structure::MAX_DEPTH;

/// The node a visited node hangs from, where that matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parent {
    /// The node is the root.
    None,
    /// The root.
    Root,
    /// `/cpus`.
    Cpus,
    /// `/reserved-memory`.
    ReservedMemory,
    /// Any other node.
    Other,
}

/// A node and what its ancestors say about it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Visit<'b, 'a> {
    /// The node.
    pub(crate) node: FdtNode<'b, 'a>,
    /// Its parent.
    pub(crate) parent: Parent,
    /// The cell sizes of its `reg`, from its parent.
    pub(crate) cells: CellSizes,
    /// The phandle of its interrupt parent, its own or inherited.
    pub(crate) interrupt_parent: Option<u32>,
    /// Whether `/chosen/stdout-path` names this node.
    pub(crate) is_stdout: bool,
}

/// Calls `visit` on `root` and every node below it, in tree order.
/// `stdout` is the absolute path of the console node, if any.
pub(crate) fn walk<'b, 'a, F>(root: FdtNode<'b, 'a>, stdout: Option<&str>, visit: &mut F)
where
    F: FnMut(&Visit<'b, 'a>),
{
    let interrupt_parent = u32_property(root, "interrupt-parent");
    let is_stdout = stdout == Some("/");
    let root_visit = Visit {
        node: root,
        parent: Parent::None,
        cells: CellSizes::DEFAULT,
        interrupt_parent,
        is_stdout,
    };
    let rest = stdout.and_then(|path| path.strip_prefix('/'));
    walk_from(&root_visit, rest, 1, visit);
}

/// Visits `here`, then its subtree. `stdout` is what is left of the console
/// path below `here`, if the path leads through it; `depth` is `here`'s depth.
fn walk_from<'b, 'a, F>(here: &Visit<'b, 'a>, stdout: Option<&str>, depth: usize, visit: &mut F)
where
    F: FnMut(&Visit<'b, 'a>),
{
    visit(here);
    if depth >= MAX_DEPTH {
        return;
    }
    let parent = kind(here);
    let cells = CellSizes::of(here.node);
    for node in here.node.children() {
        let interrupt_parent = u32_property(node, "interrupt-parent").or(here.interrupt_parent);
        let rest = stdout.and_then(|path| follow(path, node.name));
        let is_stdout = rest == Some("");
        let child = Visit {
            node,
            parent,
            cells,
            interrupt_parent,
            is_stdout,
        };
        walk_from(&child, rest, depth + 1, visit);
    }
}

/// What `here` is as a parent of its children.
fn kind(here: &Visit<'_, '_>) -> Parent {
    match (here.parent, base_name(here.node.name)) {
        (Parent::None, _) => Parent::Root,
        (Parent::Root, "cpus") => Parent::Cpus,
        (Parent::Root, "reserved-memory") => Parent::ReservedMemory,
        _ => Parent::Other,
    }
}

/// A node name without its unit address: `cpu` for `cpu@1`.
pub(crate) fn base_name(name: &str) -> &str {
    name.split_once('@').map_or(name, |(base, _)| base)
}

/// If the first component of the relative `path` names the node `name`, the
/// rest of the path after it. A component without a unit address matches
/// any unit address.
fn follow<'p>(path: &'p str, name: &str) -> Option<&'p str> {
    let (component, rest) = path.split_once('/').unwrap_or((path, ""));
    let matches = component == name || (!component.contains('@') && component == base_name(name));
    (!component.is_empty() && matches).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_name_drops_the_unit_address() {
        assert_eq!(base_name("cpu@1"), "cpu");
        assert_eq!(base_name("cpus"), "cpus");
        assert_eq!(base_name("@1"), "");
    }

    #[test]
    fn follow_matches_full_names() {
        assert_eq!(follow("pl011@9000000", "pl011@9000000"), Some(""));
        assert_eq!(follow("soc/uart@1000", "soc"), Some("uart@1000"));
        assert_eq!(follow("pl011@9000000", "pl011@9040000"), None);
    }

    #[test]
    fn follow_matches_base_names_without_unit_address() {
        assert_eq!(follow("pl011", "pl011@9000000"), Some(""));
        assert_eq!(follow("pl011", "pl0"), None);
    }

    #[test]
    fn follow_rejects_empty_components() {
        assert_eq!(follow("", "x"), None);
        assert_eq!(follow("/x", "x"), None);
        assert_eq!(follow("", ""), None);
    }
}
