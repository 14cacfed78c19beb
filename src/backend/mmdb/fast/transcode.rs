//! The fast path of a one-database lookup: the record's bytes in the MaxMind DB data section are
//! walked once, written straight out as JSON, and the values the mapping table needs are
//! captured on the way — no tree is built and no string is copied but into the output.
//!
//! The data section format (MaxMind DB spec §"Output Data Section"): a control byte gives the
//! type (3 bits, or an extended type in the next byte) and a size (5 bits, or 1–3 more bytes);
//! pointers (type 1) refer to another offset of the section and are followed once. Every offset
//! is bounds-checked, nesting is limited and output size is capped, so a corrupt or hostile file
//! yields an error, never a crash, a hang or a bomb.

use foldhash::HashMap;

use crate::mapping::{Capture, Leaf, PathTrie, TrieNode};

/// Deepest nesting of maps and arrays followed.
const MAX_DEPTH: usize = 64;
/// Largest JSON written for one record.
const MAX_OUTPUT: usize = 4 << 20;

/// Whether the value at `offset` (after a pointer) is an empty map: MaxMind's "no data".
pub fn is_empty_map(data: &[u8], offset: usize) -> bool {
    // Only the control bytes are read: nothing is written, captured or allocated.
    let mut captures = Vec::new();
    let mut out = String::new();
    let empty = PathTrie::empty();
    let w = Walker {
        data,
        out: &mut out,
        captures: &mut captures,
        trie: &empty,
        groups: 0,
        splice: None,
        memo: None,
    };
    let resolved = w.control(offset).and_then(|(kind, size, at)| {
        if kind == 1 {
            let target = w.pointer(size, at)?.0;
            w.control(target)
        } else {
            Ok((kind, size, at))
        }
    });
    matches!(resolved, Ok((7, 0, _)))
}

/// Where `ip_address` and `prefix_len` belong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inject {
    /// At the top of a flat record.
    Top,
    /// Under `traits` of a located record (created when absent).
    Traits,
}

/// Where the per-address fields go in a transcoded record, which is otherwise the same for
/// every address that shares it (so it can be cached by its data offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splice {
    /// Byte offset in the JSON where the fields are inserted.
    pub at: usize,
    /// Whether they follow other entries of their map (a comma first).
    pub comma: bool,
    /// Whether a `traits` map must be created around them.
    pub new_traits: bool,
}

impl Splice {
    /// The text that puts the fields of `ip` in place, to insert at [`Splice::at`].
    pub fn insert(&self, ip: std::net::IpAddr, prefix_len: u8) -> String {
        let mut out = String::with_capacity(80);
        if self.comma {
            out.push(',');
        }
        if self.new_traits {
            out.push_str("\"traits\":{");
        }
        // An address's text needs no escaping.
        out.push_str("\"ip_address\":\"");
        crate::ip::push_text(&mut out, ip);
        out.push_str("\",\"prefix_len\":");
        out.push_str(itoa::Buffer::new().format(prefix_len));
        if self.new_traits {
            out.push('}');
        }
        out
    }
}

/// Maps and arrays behind pointers, already written. A MaxMind DB shares sub-maps among many
/// records through pointers (one country, continent or city map for all the records that name
/// it), so each is walked, checked and escaped once, then copied with its captures replayed.
///
/// It belongs to one database and one mapping trie (`owner`); [`Memo::for_owner`] starts it
/// afresh for another. At most [`MEMO_ENTRIES`] fragments are kept.
#[derive(Default)]
pub struct Memo {
    owner: u64,
    entries: HashMap<(usize, u32), Fragment>,
    /// Map keys behind pointers, by a hash of their place ([`KEY_SLOTS`] slots, empty until
    /// the first key): a record's keys are a few dozen strings its maps point to over and over.
    keys: Vec<Key>,
}

/// Slots of [`Memo`]'s map keys (a City database has about 30 distinct keys).
const KEY_SLOTS: usize = 256;

/// A map key behind a pointer, checked and written once.
struct Key {
    /// Where the key's string is in the data section (`usize::MAX`: an empty slot).
    target: usize,
    /// The key as written before its value: `"text":` (only plain keys are kept).
    json: Box<str>,
    /// The trie node (if any) the child below was found under.
    node: Option<TrieNode>,
    /// The key's trie child under `node`, if it has one.
    child: Option<TrieNode>,
}

impl Key {
    /// An empty slot (it allocates nothing).
    fn empty() -> Key {
        Key {
            target: usize::MAX,
            json: Box::default(),
            node: None,
            child: None,
        }
    }

    /// The key's text.
    fn text(&self) -> &str {
        &self.json[1..self.json.len() - 2]
    }
}

/// The slot of the key at `target` among [`KEY_SLOTS`] (Fibonacci hashing).
fn key_slot(target: usize) -> usize {
    ((target as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize % KEY_SLOTS
}

/// Fragments a memo keeps at most (a City sub-map is a few hundred bytes).
pub const MEMO_ENTRIES: usize = 32_768;

/// A written map or array, and what the mapping captured in it.
struct Fragment {
    json: Box<str>,
    captures: Box<[Stored]>,
    /// Groups the fragment numbered (its captures' groups are relative to its start).
    groups: u32,
}

/// A capture kept without borrowing: strings by their place in the data section.
#[derive(Clone, Copy)]
struct Stored {
    node: u32,
    group: u32,
    value: StoredLeaf,
}

#[derive(Clone, Copy)]
enum StoredLeaf {
    Str { at: usize, len: usize },
    Other(Leaf<'static>),
}

impl Memo {
    /// This memo, emptied first unless it already belongs to `owner`.
    pub fn for_owner(&mut self, owner: u64) -> &mut Self {
        if self.owner != owner {
            self.entries.clear();
            self.keys.clear();
            self.owner = owner;
        }
        self
    }
}

struct Walker<'a, 'o, 'c> {
    data: &'a [u8],
    out: &'o mut String,
    captures: &'c mut Vec<Capture<'a>>,
    trie: &'a PathTrie,
    groups: u32,
    splice: Option<Splice>,
    memo: Option<&'o mut Memo>,
}

type Walk<T> = Result<T, String>;

/// Writes the record at `offset` of `data` as JSON into `out`, pushes the values `trie` asks
/// for into `captures`, and says where the per-address fields go ([`Splice::insert`]). Shared
/// sub-maps come from, and go to, `memo` (which must belong to this `data` and `trie`).
pub fn transcode<'a>(
    data: &'a [u8],
    offset: usize,
    trie: &'a PathTrie,
    inject: Inject,
    out: &mut String,
    captures: &mut Vec<Capture<'a>>,
    memo: Option<&mut Memo>,
) -> Result<Splice, String> {
    let mut w = Walker {
        data,
        out,
        captures,
        trie,
        groups: 0,
        splice: None,
        memo,
    };
    let (kind, size, at) = w.control(offset)?;
    let (kind, size, at) = if kind == 1 {
        let target = w.pointer(size, at)?.0;
        w.control(target)?
    } else {
        (kind, size, at)
    };
    if kind != 7 {
        return Err("a record is not a map".into());
    }
    w.map(size, at, Some(trie.root()), 0, Some(inject))?;
    w.splice
        .ok_or_else(|| "the record has no place for the address".to_owned())
}

impl<'a> Walker<'a, '_, '_> {
    fn byte(&self, at: usize) -> Walk<u8> {
        self.data
            .get(at)
            .copied()
            .ok_or_else(|| format!("data offset {at} is past the data section"))
    }

    fn bytes(&self, at: usize, len: usize) -> Walk<&'a [u8]> {
        let end = at.checked_add(len).ok_or("a size overflows")?;
        self.data
            .get(at..end)
            .ok_or_else(|| format!("{len} bytes at data offset {at} run past the data section"))
    }

    /// Reads a control byte at `at`: (type, size, offset of the payload).
    #[inline]
    fn control(&self, at: usize) -> Walk<(u8, usize, usize)> {
        // Nearly always the five bytes a control can span are in the section: read them at
        // once, with one bounds check (what `control_checked` reads byte by byte).
        let Some(&[ctrl, b1, b2, b3, b4]) = at
            .checked_add(5)
            .and_then(|end| self.data.get(at..end))
            .and_then(|head| <&[u8; 5]>::try_from(head).ok())
        else {
            return self.control_checked(at);
        };
        let (kind, rest) = match ctrl >> 5 {
            0 => (
                b1.checked_add(7).ok_or("an extended type overflows")?,
                [b2, b3, b4],
            ),
            kind => (kind, [b1, b2, b3]),
        };
        let header = if ctrl >> 5 == 0 { 2 } else { 1 };
        let small = usize::from(ctrl & 0x1f);
        if kind == 1 {
            // Pointers keep their size bits for the pointer itself.
            return Ok((1, small, at + header));
        }
        let [r0, r1, r2] = rest.map(usize::from);
        Ok(match small {
            0..=28 => (kind, small, at + header),
            29 => (kind, 29 + r0, at + header + 1),
            30 => (kind, 285 + (r0 << 8 | r1), at + header + 2),
            _ => (kind, 65_821 + (r0 << 16 | r1 << 8 | r2), at + header + 3),
        })
    }

    /// [`Walker::control`] near the end of the section, every byte checked.
    #[cold]
    fn control_checked(&self, at: usize) -> Walk<(u8, usize, usize)> {
        let ctrl = self.byte(at)?;
        let mut next = at + 1;
        let mut kind = ctrl >> 5;
        if kind == 0 {
            kind = self
                .byte(next)?
                .checked_add(7)
                .ok_or("an extended type overflows")?;
            next += 1;
        }
        if kind == 1 {
            // Pointers keep their size bits for the pointer itself.
            return Ok((1, usize::from(ctrl & 0x1f), next));
        }
        let small = usize::from(ctrl & 0x1f);
        let size = match small {
            0..=28 => small,
            29 => 29 + usize::from(self.byte(next)?),
            30 => 285 + usize::from(u16::from_be_bytes([self.byte(next)?, self.byte(next + 1)?])),
            _ => {
                let b = self.bytes(next, 3)?;
                65_821 + (usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
            }
        };
        next += match small {
            29 => 1,
            30 => 2,
            31 => 3,
            _ => 0,
        };
        Ok((kind, size, next))
    }

    /// Resolves a pointer whose control bits are `bits`, payload at `at`: (target, next offset).
    fn pointer(&self, bits: usize, at: usize) -> Walk<(usize, usize)> {
        let ss = (bits >> 3) & 0x3;
        let vvv = bits & 0x7;
        let b = self.bytes(at, ss + 1)?;
        let target = match ss {
            0 => (vvv << 8) | usize::from(b[0]),
            1 => ((vvv << 16) | usize::from(b[0]) << 8 | usize::from(b[1])) + 2048,
            2 => {
                ((vvv << 24) | usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
                    + 526_336
            }
            _ => u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize,
        };
        Ok((target, at + ss + 1))
    }

    /// Writes the value at `at` (following one pointer); returns the offset after it.
    fn value(&mut self, at: usize, node: Option<TrieNode>, depth: usize) -> Walk<usize> {
        if depth > MAX_DEPTH {
            return Err("records nest too deep".into());
        }
        if self.out.len() > MAX_OUTPUT {
            return Err("a record expands past 4 MiB".into());
        }
        let (kind, size, payload) = self.control(at)?;
        if kind == 1 {
            let (target, next) = self.pointer(size, payload)?;
            let (kind, size, payload) = self.control(target)?;
            if kind == 1 {
                return Err("a pointer points to a pointer".into());
            }
            if (kind == 7 || kind == 11) && self.memo.is_some() {
                self.shared(target, kind, size, payload, node, depth)?;
            } else {
                self.typed(kind, size, payload, node, depth)?;
            }
            return Ok(next);
        }
        self.typed(kind, size, payload, node, depth)
    }

    /// A map or array behind a pointer: copied from the memo when it was written before,
    /// else written and remembered.
    fn shared(
        &mut self,
        target: usize,
        kind: u8,
        size: usize,
        payload: usize,
        node: Option<TrieNode>,
        depth: usize,
    ) -> Walk<()> {
        let key = (target, node.map_or(u32::MAX, |n| n.0));
        if let Some(f) = self.memo.as_deref().and_then(|m| m.entries.get(&key)) {
            self.out.push_str(&f.json);
            let base = self.groups;
            for c in f.captures.iter() {
                let value = match c.value {
                    StoredLeaf::Other(leaf) => leaf,
                    StoredLeaf::Str { at, len } => {
                        let bytes = self.bytes(at, len)?;
                        Leaf::Str(text(bytes).ok_or("a string is not UTF-8")?)
                    }
                };
                self.captures.push(Capture {
                    node: c.node,
                    group: base + c.group,
                    value,
                });
            }
            self.groups += f.groups;
            if self.out.len() > MAX_OUTPUT {
                return Err("a record expands past 4 MiB".into());
            }
            return Ok(());
        }
        let (out_from, captures_from, groups_from) =
            (self.out.len(), self.captures.len(), self.groups);
        self.typed(kind, size, payload, node, depth)?;
        let base = self.data.as_ptr() as usize;
        let stored = self.captures[captures_from..]
            .iter()
            .map(|c| Stored {
                node: c.node,
                group: c.group - groups_from,
                value: match c.value {
                    Leaf::Str(s) => StoredLeaf::Str {
                        at: s.as_ptr() as usize - base,
                        len: s.len(),
                    },
                    Leaf::Uint(v) => StoredLeaf::Other(Leaf::Uint(v)),
                    Leaf::Int(v) => StoredLeaf::Other(Leaf::Int(v)),
                    Leaf::Uint128(v) => StoredLeaf::Other(Leaf::Uint128(v)),
                    Leaf::Float(v) => StoredLeaf::Other(Leaf::Float(v)),
                    Leaf::Bool(v) => StoredLeaf::Other(Leaf::Bool(v)),
                },
            })
            .collect();
        let fragment = Fragment {
            json: self.out[out_from..].into(),
            captures: stored,
            groups: self.groups - groups_from,
        };
        if let Some(memo) = self.memo.as_deref_mut() {
            if memo.entries.len() >= MEMO_ENTRIES {
                memo.entries.clear();
            }
            memo.entries.insert(key, fragment);
        }
        Ok(())
    }

    fn capture(&mut self, node: Option<TrieNode>, value: Leaf<'a>) {
        if let Some(n) = node.filter(|n| self.trie.is_terminal(*n)) {
            self.captures.push(Capture {
                node: n.0,
                group: self.groups,
                value,
            });
        }
    }

    /// Writes a value of `kind` whose payload starts at `at`; returns the offset after it.
    fn typed(
        &mut self,
        kind: u8,
        size: usize,
        at: usize,
        node: Option<TrieNode>,
        depth: usize,
    ) -> Walk<usize> {
        match kind {
            2 => {
                let bytes = self.bytes(at, size)?;
                let s = write_json_bytes(self.out, bytes).ok_or("a string is not UTF-8")?;
                self.capture(node, Leaf::Str(s));
                Ok(at + size)
            }
            3 => {
                if size != 8 {
                    return Err(format!("a double of size {size}"));
                }
                let b = self.bytes(at, 8)?;
                let f = f64::from_be_bytes(b.try_into().map_err(|_| "a double is short")?);
                write_float(self.out, f);
                self.capture(node, Leaf::Float(f));
                Ok(at + 8)
            }
            15 => {
                if size != 4 {
                    return Err(format!("a float of size {size}"));
                }
                let b = self.bytes(at, 4)?;
                let f = f64::from(f32::from_be_bytes(
                    b.try_into().map_err(|_| "a float is short")?,
                ));
                write_float(self.out, f);
                self.capture(node, Leaf::Float(f));
                Ok(at + 4)
            }
            4 => {
                let b = self.bytes(at, size)?;
                self.out.push('[');
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.out.push_str(itoa::Buffer::new().format(*byte));
                }
                self.out.push(']');
                Ok(at + size)
            }
            5 | 6 | 9 | 10 => {
                let max = match kind {
                    5 => 2,
                    6 => 4,
                    9 => 8,
                    _ => 16,
                };
                if size > max {
                    return Err(format!("an unsigned integer of {size} bytes"));
                }
                let b = self.bytes(at, size)?;
                let v = b.iter().fold(0u128, |acc, &x| acc << 8 | u128::from(x));
                let leaf = u64::try_from(v).map_or(Leaf::Uint128(v), Leaf::Uint);
                let mut digits = itoa::Buffer::new();
                self.out.push_str(match leaf {
                    Leaf::Uint(small) => digits.format(small),
                    _ => digits.format(v),
                });
                self.capture(node, leaf);
                Ok(at + size)
            }
            8 => {
                if size > 4 {
                    return Err(format!("an int32 of {size} bytes"));
                }
                let b = self.bytes(at, size)?;
                let raw = b.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x));
                let v = i64::from(raw as i32);
                self.out.push_str(itoa::Buffer::new().format(v));
                self.capture(
                    node,
                    if v >= 0 {
                        Leaf::Uint(v as u64)
                    } else {
                        Leaf::Int(v)
                    },
                );
                Ok(at + size)
            }
            14 => {
                let b = size != 0;
                self.out.push_str(if b { "true" } else { "false" });
                self.capture(node, Leaf::Bool(b));
                Ok(at)
            }
            7 => self.map(size, at, node, depth, None),
            11 => {
                self.out.push('[');
                let mut next = at;
                for i in 0..size {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.groups += 1;
                    let child = node.and_then(|n| self.trie.each(n));
                    next = self.value(next, child, depth + 1)?;
                }
                self.out.push(']');
                Ok(next)
            }
            other => Err(format!("unknown data type {other}")),
        }
    }

    /// Writes a map of `size` entries whose first key is at `at`; returns the offset after it.
    fn map(
        &mut self,
        size: usize,
        at: usize,
        node: Option<TrieNode>,
        depth: usize,
        inject: Option<Inject>,
    ) -> Walk<usize> {
        self.groups += 1;
        self.out.push('{');
        let mut next = at;
        let mut traits_written = false;
        for i in 0..size {
            if i > 0 {
                self.out.push(',');
            }
            let (child, traits, after_key) = self.key(next, node)?;
            if let (Some(Inject::Traits), true) = (inject, traits) {
                // The record's traits, with ours added inside them.
                let (kind, size, payload) = self.control(after_key)?;
                let (size, payload, after_pointer) = if kind == 1 {
                    let (target, after) = self.pointer(size, payload)?;
                    let (kind, size, payload) = self.control(target)?;
                    if kind != 7 {
                        return Err("traits is not a map".into());
                    }
                    (size, payload, Some(after))
                } else if kind == 7 {
                    (size, payload, None)
                } else {
                    return Err("traits is not a map".into());
                };
                let end = self.map(size, payload, child, depth + 1, Some(Inject::Top))?;
                next = after_pointer.unwrap_or(end);
                traits_written = true;
                continue;
            }
            next = self.value(after_key, child, depth + 1)?;
        }
        match inject {
            Some(Inject::Top) => {
                self.splice = Some(Splice {
                    at: self.out.len(),
                    comma: size > 0,
                    new_traits: false,
                });
            }
            Some(Inject::Traits) if !traits_written => {
                self.splice = Some(Splice {
                    at: self.out.len(),
                    comma: size > 0,
                    new_traits: true,
                });
            }
            _ => {}
        }
        self.out.push('}');
        Ok(next)
    }

    /// Writes the map key at `at` (a string, perhaps behind a pointer) and its colon; returns
    /// its trie child under `node`, whether it is `traits`, and the offset after it. A key
    /// behind a pointer is read, checked and looked up in the trie once per memo (then
    /// `node`'s child is remembered with it).
    fn key(&mut self, at: usize, node: Option<TrieNode>) -> Walk<(Option<TrieNode>, bool, usize)> {
        let (kind, size, payload) = self.control(at)?;
        let (kind, size, payload, next, target) = if kind == 1 {
            let (target, next) = self.pointer(size, payload)?;
            if let Some(memo) = self.memo.as_deref_mut() {
                if let Some(key) = memo.keys.get_mut(key_slot(target)) {
                    if key.target == target {
                        self.out.push_str(&key.json);
                        if key.node != node {
                            key.node = node;
                            key.child = node.and_then(|n| self.trie.child(n, key.text()));
                        }
                        return Ok((key.child, &*key.json == "\"traits\":", next));
                    }
                }
            }
            let (k, s, p) = self.control(target)?;
            (k, s, p, next, Some(target))
        } else {
            (kind, size, payload, payload + size, None)
        };
        if kind != 2 {
            return Err("a map key is not a string".into());
        }
        let bytes = self.bytes(payload, size)?;
        let from = self.out.len();
        let key = write_json_bytes(self.out, bytes).ok_or("a map key is not UTF-8")?;
        self.out.push(':');
        let child = node.and_then(|n| self.trie.child(n, key));
        if let (Some(target), Some(memo)) = (target, self.memo.as_deref_mut()) {
            // Only plain keys, whose text sits between the quotes as it is.
            if self.out.len() - from == key.len() + 3 {
                if memo.keys.is_empty() {
                    memo.keys.resize_with(KEY_SLOTS, Key::empty);
                }
                memo.keys[key_slot(target)] = Key {
                    target,
                    json: self.out[from..].into(),
                    node,
                    child,
                };
            }
        }
        Ok((child, key == "traits", next))
    }
}

/// Writes `f` as serde_json does: the shortest round-trip form, `null` when not finite.
fn write_float(out: &mut String, f: f64) {
    if f.is_finite() {
        let mut buf = zmij::Buffer::new();
        out.push_str(buf.format_finite(f));
    } else {
        out.push_str("null");
    }
}

/// `bytes` as text, when they are UTF-8.
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// Writes `bytes` as a JSON string, escaped as serde_json escapes it (by serde_json, for any
/// text that needs escaping), and gives them back as text; none (and nothing written) when
/// they are not UTF-8.
fn write_json_bytes<'b>(out: &mut String, bytes: &'b [u8]) -> Option<&'b str> {
    let s = text(bytes)?;
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.reserve(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(s).ok()?);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_fields_are_written_where_they_belong() {
        for (comma, new_traits) in [(false, false), (true, false), (false, true), (true, true)] {
            let splice = Splice {
                at: 0,
                comma,
                new_traits,
            };
            for (ip, prefix) in [("1.2.3.4", 8u8), ("81.2.69.142", 24), ("2001:db8::1", 128)] {
                let text = splice.insert(ip.parse().unwrap(), prefix);
                let fields = format!(r#""ip_address":"{ip}","prefix_len":{prefix}"#);
                let expected = match (comma, new_traits) {
                    (false, false) => fields,
                    (true, false) => format!(",{fields}"),
                    (false, true) => format!(r#""traits":{{{fields}}}"#),
                    (true, true) => format!(r#","traits":{{{fields}}}"#),
                };
                assert_eq!(text, expected);
            }
        }
    }

    #[test]
    fn record_bytes_write_as_serde_json_writes_their_text() {
        for s in [
            "",
            "geoname_id",
            "a string of more than eight bytes",
            "quote \" slash \\ nl \n tab \t, past eight bytes",
            "\u{7f}\u{1}",
            "ünïcödé ロンドン",
        ] {
            let mut out = String::from("x");
            assert_eq!(write_json_bytes(&mut out, s.as_bytes()), Some(s));
            assert_eq!(out[1..], serde_json::to_string(s).unwrap(), "{s:?}");
        }
        for bytes in [&b"\xff"[..], b"eight by\xc3", b"\xed\xa0\x80 surrogate"] {
            let mut out = String::from("x");
            assert_eq!(write_json_bytes(&mut out, bytes), None, "{bytes:?}");
            assert_eq!(out, "x", "nothing written");
        }
    }

    #[test]
    fn control_bytes_read_alike_at_once_or_one_by_one() {
        // Random bytes: every type, extended type and size form, and the section's end.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let data: Vec<u8> = (0..8192)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let (mut out, mut captures, trie) = (String::new(), Vec::new(), PathTrie::empty());
        let w = Walker {
            data: &data,
            out: &mut out,
            captures: &mut captures,
            trie: &trie,
            groups: 0,
            splice: None,
            memo: None,
        };
        for at in 0..data.len() + 2 {
            assert_eq!(w.control(at), w.control_checked(at), "at {at}");
        }
    }

    #[test]
    fn floats_print_as_serde_json_does() {
        for f in [51.5142, 37.0, -0.0931, 1e-7, 0.20000000298023224, 1e21] {
            let mut out = String::new();
            write_float(&mut out, f);
            assert_eq!(out, serde_json::to_string(&f).unwrap(), "{f}");
        }
    }
}
