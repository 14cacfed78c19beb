//! The addresses an action answers: distinct, in order of first appearance, each with where it
//! came from.

use foldhash::HashMap;
use std::collections::hash_map::Entry;
use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use crate::error::Error;
use crate::ip;
use crate::protocol::Origin;

/// One IP (or a value that is not one) an action answers. Kept small: a bulk holds one for
/// each of its addresses, written by one thread while the content is read.
#[derive(Debug)]
pub struct Target {
    /// The address (written out where its result is made, on the thread that looks it up),
    /// or the value that is not one.
    pub ip: Result<IpAddr, Box<Invalid>>,
    /// Lookup All Related IPs: where it came from.
    pub origin: Option<Origin>,
    /// Lookup All Related IPs: the network the content wrote it as.
    pub written_as: Option<IpNet>,
    /// Lookup All Related IPs: the part of the attachment it was first found in.
    pub found_in: Option<Arc<str>>,
}

/// A value that is not an address.
#[derive(Debug)]
pub struct Invalid {
    /// The value as received, trimmed.
    pub value: String,
    /// Why it is not an address.
    pub error: Error,
}

/// The addresses seen so far, each with the place it was first seen at: the one set of
/// distinct addresses, for an action's targets ([`Targets`]) and `extract`'s output alike.
#[derive(Debug, Default)]
pub struct Seen {
    v4: V4Places,
    v6: HashMap<u128, u32>,
}

impl Seen {
    /// How many addresses to [look ahead](Seen::look_ahead) at once: enough lookups to keep
    /// the memory system busy.
    pub const BATCH: usize = 32;

    /// Empty, with room for `n` IPv4 addresses before it grows.
    pub fn with_capacity(n: usize) -> Self {
        Seen {
            v4: V4Places::with_room(n),
            v6: HashMap::default(),
        }
    }

    /// Where `ip` was first seen: `Ok(place)` when it is new (it takes `place`), else
    /// `Err(earlier place)`.
    pub fn place(&mut self, ip: IpAddr, place: u32) -> Result<u32, u32> {
        let at = match ip {
            IpAddr::V4(v4) => self.v4.place(v4.to_bits(), place),
            IpAddr::V6(v6) => *self.v6.entry(v6.to_bits()).or_insert(place),
        };
        if at == place { Ok(at) } else { Err(at) }
    }

    /// Looks each of `ips` up without using the answer: in a table larger than the caches
    /// each lookup waits for memory, and lookups issued together overlap their waits, so that
    /// [`Seen::place`] then finds its slot cached.
    pub fn look_ahead(&self, ips: &[IpAddr]) {
        for ip in ips {
            if let IpAddr::V4(v4) = ip {
                std::hint::black_box(self.v4.peek(v4.to_bits()));
            }
        }
    }

    /// How many addresses were seen.
    pub fn len(&self) -> usize {
        self.v4.len + usize::from(self.v4.broadcast.is_some()) + self.v6.len()
    }

    /// Forgets every address, keeping the memory for as many.
    pub fn clear(&mut self) {
        self.v4.slots.fill(0);
        self.v4.len = 0;
        self.v4.broadcast = None;
        self.v6.clear();
    }
}

/// IPv4 addresses and their places: open addressing with linear probing over one array, so
/// that a new address costs one cache line where hashbrown, which keeps its control bytes
/// apart from its entries, costs two; extraction of a file of distinct addresses is bound by
/// those misses (docs/performance.md). A slot holds the address plus one in its high half and
/// the place in its low half; 0 marks a free slot, and 255.255.255.255 (which the plus one
/// wraps to 0) is kept apart. `std`'s `HashMap` is its reference (a test holds them alike).
#[derive(Debug)]
struct V4Places {
    slots: Vec<u64>,
    len: usize,
    /// The odd multiplier of the hash, drawn per process: a file cannot be made to collide.
    seed: u64,
    broadcast: Option<u32>,
}

impl Default for V4Places {
    fn default() -> Self {
        V4Places::with_room(0)
    }
}

impl V4Places {
    /// Empty, with room for `addresses` before it grows (at most half its slots are used).
    /// Slots not yet written take no memory: the zeroed table is fresh pages.
    fn with_room(addresses: usize) -> Self {
        use std::hash::BuildHasher;
        V4Places {
            slots: vec![0; addresses.saturating_mul(2).next_power_of_two().max(1 << 6)],
            len: 0,
            seed: std::collections::hash_map::RandomState::new().hash_one(0u8) | 1,
            broadcast: None,
        }
    }

    /// Where the probe for `key` starts (multiply-shift hashing: the top bits of the product).
    fn home(&self, key: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (u64::from(key).wrapping_mul(self.seed) >> (64 - bits)) as usize
    }

    /// The slot where the probe for `address` starts (to bring it into the cache).
    fn peek(&self, address: u32) -> u64 {
        self.slots[self.home(address.wrapping_add(1))]
    }

    /// The place of `address`, given `place` when it is new.
    fn place(&mut self, address: u32, place: u32) -> u32 {
        let key = address.wrapping_add(1);
        if key == 0 {
            return *self.broadcast.get_or_insert(place);
        }
        if (self.len + 1) * 2 > self.slots.len() {
            let grown = vec![0; self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, grown);
            for slot in old.into_iter().filter(|&s| s != 0) {
                self.put((slot >> 32) as u32, slot as u32);
            }
        }
        let at = self.put(key, place);
        self.len += usize::from(at == place);
        at
    }

    /// Puts `key` with `place` in its slot unless it is there; the place it has.
    fn put(&mut self, key: u32, place: u32) -> u32 {
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            match self.slots[at] {
                0 => {
                    self.slots[at] = u64::from(key) << 32 | u64::from(place);
                    return place;
                }
                slot if (slot >> 32) as u32 == key => return slot as u32,
                _ => at = (at + 1) & mask,
            }
        }
    }
}

/// Distinct targets in order of first appearance.
#[derive(Debug, Default)]
pub struct Targets {
    list: Vec<Target>,
    seen: Seen,
    invalid: HashMap<String, u32>,
}

impl Targets {
    /// Empty, with room for `n` addresses: a hundred thousand targets grown by doubling cost
    /// their one thread a copy of each of them and the fresh pages of every size.
    pub fn with_capacity(n: usize) -> Self {
        Targets {
            list: Vec::with_capacity(n),
            seen: Seen::with_capacity(n),
            ..Targets::default()
        }
    }

    /// Adds an indicator value; a repeat only merges where it came from.
    pub fn add_value(&mut self, value: &str, origin: Option<Origin>) {
        match ip::parse_indicator(value) {
            Ok(ip) => {
                self.add_ip(ip, origin, None);
            }
            Err(error) => {
                let value = crate::error::shorten(value.trim());
                let next = self.next();
                match self.invalid.entry(value) {
                    Entry::Occupied(seen) => {
                        merge_origin(&mut self.list[*seen.get() as usize].origin, origin);
                    }
                    Entry::Vacant(slot) => {
                        let value = slot.key().clone();
                        slot.insert(next);
                        self.list.push(Target {
                            ip: Err(Box::new(Invalid { value, error })),
                            origin,
                            written_as: None,
                            found_in: None,
                        });
                    }
                }
            }
        }
    }

    /// Adds an address; a repeat only merges where it came from. Whether it is new.
    pub fn add_ip(
        &mut self,
        ip: IpAddr,
        origin: Option<Origin>,
        written_as: Option<IpNet>,
    ) -> bool {
        self.add_found(ip, origin, written_as, None)
    }

    /// [`Targets::add_ip`], with the part of an attachment it was found in (the first is kept).
    pub fn add_found(
        &mut self,
        ip: IpAddr,
        origin: Option<Origin>,
        written_as: Option<IpNet>,
        found_in: Option<Arc<str>>,
    ) -> bool {
        if let Err(seen) = self.seen.place(ip, self.next()) {
            let target = &mut self.list[seen as usize];
            merge_origin(&mut target.origin, origin);
            target.written_as = target.written_as.or(written_as);
            if target.found_in.is_none() {
                target.found_in = found_in;
            }
            return false;
        }
        self.list.push(Target {
            ip: Ok(ip),
            origin,
            written_as,
            found_in,
        });
        true
    }

    /// The place of the next new target. (`max_ips` is checked only once all are in, but 2^32
    /// distinct targets would be 200 GB of them first: memory runs out long before.)
    fn next(&self) -> u32 {
        u32::try_from(self.list.len()).expect("fewer than 2^32 targets")
    }

    /// Adds `more`'s targets after these, as if each were added here.
    pub fn append(&mut self, more: Targets) {
        if self.list.is_empty() {
            *self = more;
            return;
        }
        for target in more.list {
            match target.ip {
                Ok(ip) => {
                    self.add_found(ip, target.origin, target.written_as, target.found_in);
                }
                Err(invalid) => self.add_value(&invalid.value, target.origin),
            }
        }
    }

    /// How many targets there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// The targets, in order.
    pub fn into_vec(self) -> Vec<Target> {
        self.list
    }
}

fn merge_origin(current: &mut Option<Origin>, new: Option<Origin>) {
    *current = match (*current, new) {
        (Some(a), Some(b)) if a != b => Some(Origin::Both),
        (a, b) => a.or(b),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keeps_what_a_hash_map_keeps_and_forgets_when_cleared() {
        for room in [0, 1, 700, 5_000] {
            let mut seen = Seen::with_capacity(room);
            let mut reference: std::collections::HashMap<IpAddr, u32> = Default::default();
            let mut x = 0x1234_5678_u32;
            for i in 0..60_000u32 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Repeats, neighbours, both ends of the space, and IPv6 with the same bits.
                let ip = match i % 6 {
                    0 => IpAddr::V4((x % 5_000).into()),
                    1 => IpAddr::V4((u32::MAX - x % 3).into()),
                    2 => IpAddr::V4((x & 0xffff_0000).into()),
                    3 => IpAddr::V6(u128::from(x % 7_000).into()),
                    _ => IpAddr::V4(x.into()),
                };
                let place = reference.len() as u32;
                let expected = match reference.get(&ip) {
                    Some(&earlier) => Err(earlier),
                    None => {
                        reference.insert(ip, place);
                        Ok(place)
                    }
                };
                seen.look_ahead(&[ip]);
                assert_eq!(seen.place(ip, place), expected, "{ip}");
                assert_eq!(seen.len(), reference.len());
                if i % 25_000 == 24_999 {
                    seen.clear();
                    reference.clear();
                    assert_eq!(seen.len(), 0);
                }
            }
        }
    }

    #[test]
    fn targets_keep_each_address_once_in_order_of_first_appearance() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let net = |s: &str| Some(s.parse::<IpNet>().unwrap());
        let mut targets = Targets::with_capacity(4);
        targets.add_ip(ip("0.0.0.1"), Some(Origin::Content), None);
        // The same bits in the other family are another address.
        targets.add_ip(ip("::1"), Some(Origin::Content), None);
        targets.add_value(" not an ip ", Some(Origin::Related));
        targets.add_ip(ip("0.0.0.1"), Some(Origin::Related), net("0.0.0.0/24"));
        targets.add_ip(ip("::1"), Some(Origin::Content), net("::/64"));
        targets.add_ip(ip("::1"), None, net("::/96"));
        targets.add_value("not an ip", Some(Origin::Content));
        let mut more = Targets::default();
        more.add_value("0.0.0.1", None);
        more.add_ip(ip("2001:db8::1"), Some(Origin::Content), None);
        targets.append(more);

        let list = targets.into_vec();
        let seen: Vec<(String, Option<Origin>, Option<IpNet>)> = list
            .iter()
            .map(|t| {
                let value = match &t.ip {
                    Ok(ip) => ip.to_string(),
                    Err(invalid) => format!("invalid {:?}", invalid.value),
                };
                (value, t.origin, t.written_as)
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("0.0.0.1".into(), Some(Origin::Both), net("0.0.0.0/24")),
                ("::1".into(), Some(Origin::Content), net("::/64")),
                ("invalid \"not an ip\"".into(), Some(Origin::Both), None),
                ("2001:db8::1".into(), Some(Origin::Content), None),
            ]
        );
    }
}
