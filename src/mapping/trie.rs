//! The record paths a database's rows read, as a trie the file backend's fast path walks
//! alongside a record's bytes, and the values it captures on the way. [`PathTrie::resolve`]
//! turns those captures into exactly what [`super::map_records`] makes of the
//! same record.

use super::{DisplayParts, Mapped, RowFilter, Seg, TABLE};

/// One value the mapping table asked for, with where it was found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capture<'a> {
    /// The trie node (row and locale role) that matched.
    pub node: u32,
    /// Which `names`-like map (or array element) it sits in, to tell elements apart.
    pub group: u32,
    /// The value.
    pub value: Leaf<'a>,
}

/// A scalar taken from a record without copying it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Leaf<'a> {
    /// A string.
    Str(&'a str),
    /// An unsigned integer.
    Uint(u64),
    /// A negative integer.
    Int(i64),
    /// A uint128 too large for 64 bits.
    Uint128(u128),
    /// A float or double.
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl Leaf<'_> {
    /// The platform's attribute value, as [`format_value`] gives it.
    pub fn format(&self) -> String {
        match *self {
            Leaf::Str(s) => s.to_owned(),
            Leaf::Uint(n) => n.to_string(),
            Leaf::Int(n) => n.to_string(),
            Leaf::Uint128(n) => n.to_string(),
            Leaf::Float(f) => super::float_text(f).unwrap_or_default(),
            Leaf::Bool(true) => "True".to_owned(),
            Leaf::Bool(false) => "False".to_owned(),
        }
    }
}

/// A node of a [`PathTrie`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrieNode(pub u32);

/// How a terminal node's value is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The value itself.
    Value,
    /// A name in the configured locale.
    Locale,
    /// The English name, used where the configured locale is missing.
    English,
}

#[derive(Debug, Clone, Default)]
struct Node {
    children: Vec<(&'static str, u32)>,
    each: Option<u32>,
    terminal: Option<(u16, Role)>,
}

/// The record paths a database's rows read, as a trie walked alongside the record (see
/// `backend::transcode`), for one locale.
#[derive(Debug, Clone)]
pub struct PathTrie {
    nodes: Vec<Node>,
}

impl PathTrie {
    /// The trie of the rows `filter` allows, names in `locale` (one of the [`crate::config::LOCALES`]).
    pub fn new(filter: RowFilter, locale: &'static str) -> Self {
        let mut trie = PathTrie {
            nodes: vec![Node::default()],
        };
        for (index, row) in TABLE.iter().enumerate() {
            if !filter.allows(row.class) {
                continue;
            }
            for prefix in row.scope.prefixes() {
                let mut at = 0;
                if let Some(key) = prefix {
                    at = trie.child_or_insert(at, key);
                }
                for seg in row.path {
                    match seg {
                        Seg::Key(k) => at = trie.child_or_insert(at, k),
                        Seg::Each => at = trie.each_or_insert(at),
                        Seg::Names => {
                            let names = trie.child_or_insert(at, "names");
                            let own = trie.child_or_insert(names, locale);
                            trie.nodes[own as usize].terminal = Some((index as u16, Role::Locale));
                            if locale != "en" {
                                let en = trie.child_or_insert(names, "en");
                                trie.nodes[en as usize].terminal =
                                    Some((index as u16, Role::English));
                            }
                            at = u32::MAX;
                            break;
                        }
                    }
                }
                if at != u32::MAX {
                    trie.nodes[at as usize].terminal = Some((index as u16, Role::Value));
                }
            }
        }
        trie
    }

    fn child_or_insert(&mut self, at: u32, key: &'static str) -> u32 {
        if let Some(&(_, c)) = self.nodes[at as usize]
            .children
            .iter()
            .find(|(k, _)| *k == key)
        {
            return c;
        }
        let c = self.nodes.len() as u32;
        self.nodes.push(Node::default());
        self.nodes[at as usize].children.push((key, c));
        c
    }

    fn each_or_insert(&mut self, at: u32) -> u32 {
        if let Some(c) = self.nodes[at as usize].each {
            return c;
        }
        let c = self.nodes.len() as u32;
        self.nodes.push(Node::default());
        self.nodes[at as usize].each = Some(c);
        c
    }

    /// A trie with no node at all, for walks that capture nothing and never descend (it
    /// allocates nothing, so a hot path can make one).
    pub const fn empty() -> Self {
        PathTrie { nodes: Vec::new() }
    }

    /// The root (the record itself).
    pub fn root(&self) -> TrieNode {
        TrieNode(0)
    }

    /// The node under map key `key`.
    pub fn child(&self, at: TrieNode, key: &str) -> Option<TrieNode> {
        self.nodes[at.0 as usize]
            .children
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, c)| TrieNode(c))
    }

    /// The node for the elements of an array.
    pub fn each(&self, at: TrieNode) -> Option<TrieNode> {
        self.nodes[at.0 as usize].each.map(TrieNode)
    }

    /// Whether a value at this node is captured.
    pub fn is_terminal(&self, at: TrieNode) -> bool {
        self.nodes[at.0 as usize].terminal.is_some()
    }

    /// Turns the values captured from one record into attributes, indicators and the table fields,
    /// exactly as [`super::map_records`] does for the same record.
    pub fn resolve(&self, captures: &[Capture<'_>]) -> Mapped {
        // (row, capture index) for every capture that is not an English name shadowed by a name
        // in the locale of the same names map; sorted by row, stable in document order.
        let mut localized: Vec<u32> = Vec::with_capacity(captures.len());
        localized.extend(
            captures
                .iter()
                .filter(|c| {
                    matches!(
                        self.nodes[c.node as usize].terminal,
                        Some((_, Role::Locale))
                    )
                })
                .map(|c| c.group),
        );
        let mut picked: Vec<(u16, usize)> = Vec::with_capacity(captures.len());
        picked.extend(captures.iter().enumerate().filter_map(|(i, c)| {
            let (row, role) = self.nodes[c.node as usize].terminal?;
            let shadowed = role == Role::English && localized.contains(&c.group);
            (!shadowed).then_some((row, i))
        }));
        picked.sort_by_key(|&(row, _)| row);
        let mut out = Mapped {
            attributes: Vec::with_capacity(picked.len()),
            ..Mapped::default()
        };
        let mut display = DisplayParts::default();
        for (row_index, i) in picked {
            let row = &TABLE[row_index as usize];
            let leaf = captures[i].value;
            let value = leaf.format();
            let number = match leaf {
                // The text is the float's shortest round-trip form: the same number.
                Leaf::Float(f) if f.is_finite() => Some(f),
                _ => None,
            };
            display.add(row, &value, number);
            out.push(row, value);
        }
        out.display = display.finish();
        out
    }
}
