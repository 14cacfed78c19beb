//! Walking a database's search tree for many IPv4 addresses at once.
//!
//! One address's walk is a chain of up to 32 dependent reads, and in a real-size database
//! most of them miss the CPU's caches: each read waits for the one before. Walking several
//! addresses side by side (a few lanes, each one step at a time in turn) keeps several
//! reads on their way from memory at once, which a walk of one address cannot do. The
//! `maxminddb` reader walks one address per call; this walk gives the same answer (the
//! record the walk ends on and its depth), and the reader stays the one for everything else
//! (IPv6 addresses, unusual trees, decoding).
//!
//! The tree's layout (MaxMind DB spec, "Search Tree Section"): node `n` is `record_size / 4`
//! bytes at `n * record_size / 4`, its left record first; a 28-bit node keeps the top four
//! bits of its left record in the high half of its middle byte, of its right record in the
//! low half. A record below `node_count` is the next node, `node_count` means "no data",
//! above it is a pointer into the data section.

use std::net::Ipv4Addr;

/// How many addresses walk side by side: enough for their waits on memory to overlap (more
/// lanes made the lookup bench no faster; see docs/performance.md).
const LANES: usize = 8;

/// Where IPv4 addresses start in a database's search tree, and how its nodes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V4Tree {
    /// The node IPv4 addresses start from: the root of an IPv4 database; 96 left turns down
    /// from the root of an IPv6 one (`::a.b.c.d`).
    start: usize,
    /// Nodes in the tree.
    node_count: usize,
    /// Bits per record: 24, 28 or 32.
    record_size: u16,
}

/// Where one address's walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Walked {
    /// The record the walk ended on: `node_count` or less when there is no data, else a
    /// pointer into the data section (see [`V4Tree::data_offset`]).
    pub record: usize,
    /// How many bits of the address the walk read: the prefix length of its network.
    pub depth: u8,
}

impl V4Tree {
    /// The IPv4 part of the tree in `bytes` (the whole database file), when it has the usual
    /// shape: records of 24, 28 or 32 bits, a tree that fits in `bytes`, and (in an IPv6
    /// database) a node 96 bits down. Otherwise `None`, and the reader walks each address.
    pub fn new(bytes: &[u8], ip_version: u16, node_count: u32, record_size: u16) -> Option<Self> {
        if !matches!(record_size, 24 | 28 | 32) {
            return None;
        }
        let node_count = usize::try_from(node_count).ok()?;
        let tree_len = node_count.checked_mul(usize::from(record_size))? / 4;
        if tree_len > bytes.len() {
            return None;
        }
        let mut tree = V4Tree {
            start: 0,
            node_count,
            record_size,
        };
        match ip_version {
            4 => {}
            6 => {
                let mut node = 0;
                for _ in 0..96 {
                    if node >= node_count {
                        // IPv4 addresses are answered above the IPv4 subtree: the reader
                        // reports those networks in IPv6 terms.
                        return None;
                    }
                    node = tree.read(bytes, node, 0);
                }
                tree.start = node;
            }
            _ => return None,
        }
        (tree.start < node_count).then_some(tree)
    }

    /// Record `bit` (0 left, 1 right) of node `node`, which must be below `node_count` (its
    /// bytes are then inside the tree, which [`V4Tree::new`] checked fits in `bytes`). One
    /// four-byte read inside the node holds the record.
    #[inline(always)]
    fn read(&self, bytes: &[u8], node: usize, bit: usize) -> usize {
        let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
        let record = match self.record_size {
            // Six bytes: the left record is the first three, the right the last three.
            24 => word(node * 6 + bit * 2) >> (8 - 8 * bit as u32) & 0x00ff_ffff,
            // Seven bytes: three of the left record, the shared nibbles, three of the right.
            28 if bit == 0 => {
                let w = word(node * 7);
                w >> 8 | (w & 0xf0) << 20
            }
            28 => word(node * 7 + 3) & 0x0fff_ffff,
            _ => word(node * 8 + bit * 4),
        };
        record as usize
    }

    /// Walks each of `ips` down the tree, [`LANES`] at a time, and appends where each walk
    /// ended to `out`, in the order of `ips`.
    pub fn walk(&self, bytes: &[u8], ips: &[Ipv4Addr], out: &mut Vec<Walked>) {
        let first = out.len();
        out.resize(
            first + ips.len(),
            Walked {
                record: self.node_count,
                depth: 0,
            },
        );
        let answers = &mut out[first..];
        // Each lane: (index into `ips`, the address's bits, current node, depth so far).
        let mut lanes = [(usize::MAX, 0u32, 0usize, 0u8); LANES];
        let mut next = 0;
        let mut busy = 0;
        for lane in &mut lanes {
            if next < ips.len() {
                *lane = (next, u32::from(ips[next]), self.start, 0);
                next += 1;
                busy += 1;
            }
        }
        while busy > 0 {
            for lane in &mut lanes {
                let (i, bits, node, depth) = *lane;
                if i == usize::MAX {
                    continue;
                }
                if node >= self.node_count || depth == 32 {
                    answers[i] = Walked {
                        record: node,
                        depth,
                    };
                    if next < ips.len() {
                        *lane = (next, u32::from(ips[next]), self.start, 0);
                        next += 1;
                    } else {
                        lane.0 = usize::MAX;
                        busy -= 1;
                    }
                    continue;
                }
                let bit = (bits >> (31 - depth) & 1) as usize;
                *lane = (i, bits, self.read(bytes, node, bit), depth + 1);
            }
        }
    }

    /// The data section offset a walk's record points to; `Ok(None)` when it holds no data,
    /// an error when it points outside the `data_len` bytes of the data section.
    pub fn data_offset(&self, walked: Walked, data_len: usize) -> Result<Option<usize>, String> {
        if walked.record <= self.node_count {
            return Ok(None);
        }
        walked
            .record
            .checked_sub(self.node_count + 16)
            .filter(|&offset| offset < data_len)
            .map(Some)
            .ok_or_else(|| {
                format!(
                    "the search tree points to {}, outside the data section",
                    walked.record
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of one node (`record_size` bits per record) holding `left` and `right`,
    /// laid out as the spec says, and what it reads them back as.
    fn node(record_size: u16, left: u32, right: u32) -> (usize, usize) {
        let bytes = match record_size {
            24 => [&left.to_be_bytes()[1..], &right.to_be_bytes()[1..]].concat(),
            28 => {
                let middle = ((left >> 24) as u8) << 4 | (right >> 24) as u8;
                [
                    &left.to_be_bytes()[1..],
                    &[middle][..],
                    &right.to_be_bytes()[1..],
                ]
                .concat()
            }
            _ => [left.to_be_bytes(), right.to_be_bytes()].concat(),
        };
        let tree = V4Tree::new(&bytes, 4, 1, record_size).expect("one node");
        (tree.read(&bytes, 0, 0), tree.read(&bytes, 0, 1))
    }

    #[test]
    fn records_read_as_the_spec_lays_them_out() {
        assert_eq!(node(24, 0xab_cdef, 0x12_3456), (0xab_cdef, 0x12_3456));
        // The shared byte's high half belongs to the left record, its low half to the right.
        assert_eq!(
            node(28, 0x0abc_def1, 0x0123_4567),
            (0x0abc_def1, 0x0123_4567)
        );
        assert_eq!(
            node(28, 0x0000_ffff, 0x0f00_0000),
            (0x0000_ffff, 0x0f00_0000)
        );
        assert_eq!(
            node(32, 0xdead_beef, 0x0102_0304),
            (0xdead_beef, 0x0102_0304)
        );
    }

    #[test]
    fn a_tree_that_does_not_fit_its_file_or_has_odd_records_is_not_walked() {
        assert_eq!(
            V4Tree::new(&[0; 13], 4, 2, 28),
            None,
            "two 7-byte nodes in 13 bytes"
        );
        assert!(V4Tree::new(&[0; 14], 4, 2, 28).is_some());
        assert_eq!(V4Tree::new(&[0; 64], 4, 2, 20), None);
        assert_eq!(V4Tree::new(&[0; 64], 5, 2, 24), None);
    }

    #[test]
    fn each_address_gets_its_own_answer_whatever_the_lanes_finish_first() {
        // Node 0 sends 0.x.x.x (left) to no data at depth 1; node 0's right goes to node 1,
        // whose left is a record (pointer 5 + 16 past the 2 nodes) and whose right is node 2;
        // node 2 is a chain of right turns to itself down to depth 32.
        let count = 3;
        let data = count + 16;
        let mut bytes = Vec::new();
        for (left, right) in [
            (count as u32, 1u32),
            (data as u32 + 5, 2),
            (count as u32, 2),
        ] {
            bytes.extend(left.to_be_bytes());
            bytes.extend(right.to_be_bytes());
        }
        let tree = V4Tree::new(&bytes, 4, count as u32, 32).unwrap();
        let ips: Vec<Ipv4Addr> = (0..40u32)
            .map(|i| match i % 3 {
                0 => Ipv4Addr::new(1, 0, 0, i as u8),
                1 => Ipv4Addr::new(128, 0, 0, i as u8),
                _ => Ipv4Addr::new(255, 255, 255, 255),
            })
            .collect();
        let mut out = Vec::new();
        tree.walk(&bytes, &ips, &mut out);
        for (ip, w) in ips.iter().zip(&out) {
            let expected = match ip.octets()[0] {
                1 => Walked {
                    record: count,
                    depth: 1,
                },
                128 => Walked {
                    record: data + 5,
                    depth: 2,
                },
                _ => Walked {
                    record: 2,
                    depth: 32,
                },
            };
            assert_eq!(*w, expected, "{ip}");
        }
        assert_eq!(tree.data_offset(out[1], 100), Ok(Some(5)));
        assert_eq!(tree.data_offset(out[0], 100), Ok(None));
        assert_eq!(
            tree.data_offset(out[2], 100),
            Ok(None),
            "ran out of bits on a node"
        );
        assert!(
            tree.data_offset(out[1], 5).is_err(),
            "past the data section"
        );
    }
}
