//! IP addresses as indicators: parsing one value (with refanging), and the special-purpose ranges
//! that are never looked up.
//!
//! The special-purpose tables are the entries of IANA's IPv4 and IPv6 Special-Purpose Address
//! Registries marked "Globally Reachable: False", plus multicast and 240.0.0.0/4. Entries that are
//! globally reachable inside a non-reachable block (e.g. 192.0.0.9/32 inside 192.0.0.0/24) are
//! listed as exceptions, so they are looked up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::error::{Error, MAX_ECHO, shorten};

/// `ip` as text, as `Display` writes it (RFC 5952 for IPv6).
pub fn text(ip: IpAddr) -> String {
    Text::new(ip).as_str().to_owned()
}

/// A network as text (`81.2.69.0/24`), as `Display` writes it.
pub fn net_text(net: ipnet::IpNet) -> String {
    let mut out = String::with_capacity(18);
    push_text(&mut out, net.addr());
    out.push('/');
    out.push_str(itoa::Buffer::new().format(net.prefix_len()));
    out
}

/// Appends `ip` as text, as `Display` writes it, without the formatting machinery: a bulk
/// writes three texts for each of its addresses and `extract` one, and `Display` took a tenth
/// of their time. (`Display` is the reference: a test holds the two alike.)
pub fn push_text(out: &mut String, ip: IpAddr) {
    out.push_str(Text::new(ip).as_str());
}

/// An address's text, as `Display` writes it (RFC 5952 for IPv6), written on the stack:
/// [`Text::as_bytes`] for a byte sink (no UTF-8 check), [`Text::as_str`] for a `String`.
#[repr(C, align(8))]
pub struct Text {
    /// The longest text (39 bytes, where the last store of an octet or a group ends at most)
    /// rounded up to the 16-byte blocks [`Text::as_str`] checks; first, so 8-aligned.
    bytes: [u8; TEXT_ROOM],
    len: usize,
}

/// The room of [`Text`]: the longest address text rounded up to 16-byte blocks.
const TEXT_ROOM: usize = 48;
const _: () = assert!(39usize.next_multiple_of(16) <= TEXT_ROOM);

/// The decimal digits of each octet, zero-padded to three, and how many there are.
const DECIMAL: [([u8; 3], u8); 256] = {
    let mut table = [([0u8; 3], 0u8); 256];
    let mut n = 0;
    while n < 256 {
        let digits = [
            b'0' + (n / 100) as u8,
            b'0' + (n / 10 % 10) as u8,
            b'0' + (n % 10) as u8,
        ];
        table[n] = if n >= 100 {
            (digits, 3)
        } else if n >= 10 {
            ([digits[1], digits[2], 0], 2)
        } else {
            ([digits[2], 0, 0], 1)
        };
        n += 1;
    }
    table
};

impl Text {
    /// Writes `ip`.
    pub fn new(ip: IpAddr) -> Text {
        let mut text = Text {
            bytes: [0; TEXT_ROOM],
            len: 0,
        };
        match ip {
            IpAddr::V4(v4) => text.v4(v4),
            IpAddr::V6(v6) => {
                if let Some(v4) = v6.to_ipv4_mapped() {
                    text.push(b"::ffff:");
                    text.v4(v4);
                    return text;
                }
                let groups = v6.segments();
                // The first longest run of zero groups, if it is at least two long.
                let (mut zeros_at, mut zeros_len, mut run_at) = (0, 0, 0);
                for (i, &group) in groups.iter().enumerate() {
                    if group != 0 {
                        run_at = i + 1;
                    } else if i + 1 - run_at > zeros_len {
                        (zeros_at, zeros_len) = (run_at, i + 1 - run_at);
                    }
                }
                if zeros_len < 2 {
                    text.groups(&groups);
                } else {
                    text.groups(&groups[..zeros_at]);
                    text.push(b"::");
                    text.groups(&groups[zeros_at + zeros_len..]);
                }
            }
        }
        text
    }

    /// The text, in ASCII.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Checked in whole aligned blocks of 16 bytes, `from_utf8`'s fast path (the dozen bytes
        // of a text alone are checked one at a time): what follows the text is ASCII too.
        let blocks = &self.bytes[..self.len.next_multiple_of(16)];
        let all = std::str::from_utf8(blocks).expect("digits, hex letters, `.` and `:`");
        &all[..self.len]
    }

    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn v4(&mut self, v4: Ipv4Addr) {
        for (i, octet) in v4.octets().into_iter().enumerate() {
            if i > 0 {
                self.push(b".");
            }
            // All three stored; the next piece overwrites the padding.
            let (digits, len) = DECIMAL[usize::from(octet)];
            self.bytes[self.len..self.len + 3].copy_from_slice(&digits);
            self.len += usize::from(len);
        }
    }

    /// Groups in lower-case hex without leading zeros, joined by `:`. Each group is stored as
    /// four bytes with its leading zeros shifted out (no branch on how many digits it has).
    fn groups(&mut self, groups: &[u16]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, &group) in groups.iter().enumerate() {
            if i > 0 {
                self.push(b":");
            }
            let digits = (16 - group.leading_zeros() as usize).div_ceil(4).max(1);
            let nibble = |shift: u16| HEX[usize::from(group >> shift & 0xf)];
            let all = u32::from_le_bytes([nibble(12), nibble(8), nibble(4), nibble(0)]);
            let shown = all >> (8 * (4 - digits));
            self.bytes[self.len..self.len + 4].copy_from_slice(&shown.to_le_bytes());
            self.len += digits;
        }
    }
}

/// What one indicator value (a Lookup's, an argument of `lookup`, a related indicator) holds:
/// read as `extract` reads text, so that a value is one address exactly when `extract` finds
/// one address in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// One address.
    Address(IpAddr),
    /// One network, written as a CIDR.
    Network(ipnet::IpNet),
}

/// Reads one indicator value: surrounding whitespace, every defanged form of threat reports
/// (`1.2.3[.]4`, `1[.]2(.)3{.}4`, `1[dot]2[DOT]3[dot]4`, `2001:db8[:]:1`), brackets, a port,
/// a URL around it (`hxxp://1.2.3[.]4/gate`), a zone id. An IPv4-mapped IPv6 address
/// (`::ffff:1.2.3.4`) is the IPv4 address. Anything that is not exactly one address or network
/// is [`Error::InvalidIp`], saying why.
pub fn parse_value(value: &str) -> Result<Value, Error> {
    let trimmed = value.trim();
    let invalid = |reason: String| Error::InvalidIp {
        value: shorten(trimmed),
        reason,
    };
    if trimmed.len() > MAX_ECHO {
        return Err(invalid("far too long to be an IP address".into()));
    }
    if trimmed.is_empty() {
        return Err(invalid("the value is empty".into()));
    }
    let mut found = Vec::new();
    crate::extract::scan_value(trimmed.as_bytes(), &mut |e| found.push(e));
    match found.as_slice() {
        [one] => Ok(match one.network {
            Some(net) => Value::Network(net),
            None => Value::Address(one.ip),
        }),
        [] => Err(invalid("expected an IPv4 or IPv6 address".into())),
        many => Err(invalid(format!(
            "it holds {} addresses; give one at a time",
            many.len()
        ))),
    }
}

/// Reads one indicator value as the one address to look up ([`parse_value`]); a network is
/// [`Error::InvalidIp`].
///
/// ```
/// use maxmind_geolocate::parse_indicator;
///
/// assert_eq!(parse_indicator(" 81.2.69[.]142 ").unwrap().to_string(), "81.2.69.142");
/// assert_eq!(parse_indicator("hxxp://81[.]2.69.142:8080/gate").unwrap().to_string(), "81.2.69.142");
/// assert_eq!(parse_indicator("::ffff:81.2.69.142").unwrap().to_string(), "81.2.69.142");
/// assert_eq!(parse_indicator("81.2.69.0/24").unwrap_err().code(), "invalid_ip");
/// ```
pub fn parse_indicator(value: &str) -> Result<IpAddr, Error> {
    match parse_value(value)? {
        Value::Address(ip) => Ok(ip),
        Value::Network(_) => Err(Error::InvalidIp {
            value: shorten(value.trim()),
            reason: "a network (CIDR) is not one address; give a single IP".into(),
        }),
    }
}

/// One entry of a special-purpose registry.
#[derive(Debug, Clone, Copy)]
pub struct SpecialRange {
    /// The network as written in the registry.
    pub network: &'static str,
    /// The registry's name for it.
    pub name: &'static str,
}

struct V4Entry(u32, u8, &'static str, &'static str);
struct V6Entry(u128, u8, &'static str, &'static str);

const fn v4(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// IPv4 entries that are not globally reachable.
const V4_SPECIAL: &[V4Entry] = &[
    V4Entry(v4(0, 0, 0, 0), 8, "0.0.0.0/8", "\"this network\""),
    V4Entry(v4(10, 0, 0, 0), 8, "10.0.0.0/8", "private-use"),
    V4Entry(
        v4(100, 64, 0, 0),
        10,
        "100.64.0.0/10",
        "shared address space",
    ),
    V4Entry(v4(127, 0, 0, 0), 8, "127.0.0.0/8", "loopback"),
    V4Entry(v4(169, 254, 0, 0), 16, "169.254.0.0/16", "link-local"),
    V4Entry(v4(172, 16, 0, 0), 12, "172.16.0.0/12", "private-use"),
    V4Entry(
        v4(192, 0, 0, 0),
        24,
        "192.0.0.0/24",
        "IETF protocol assignments",
    ),
    V4Entry(
        v4(192, 0, 2, 0),
        24,
        "192.0.2.0/24",
        "documentation (TEST-NET-1)",
    ),
    V4Entry(v4(192, 168, 0, 0), 16, "192.168.0.0/16", "private-use"),
    V4Entry(v4(198, 18, 0, 0), 15, "198.18.0.0/15", "benchmarking"),
    V4Entry(
        v4(198, 51, 100, 0),
        24,
        "198.51.100.0/24",
        "documentation (TEST-NET-2)",
    ),
    V4Entry(
        v4(203, 0, 113, 0),
        24,
        "203.0.113.0/24",
        "documentation (TEST-NET-3)",
    ),
    V4Entry(v4(224, 0, 0, 0), 4, "224.0.0.0/4", "multicast"),
    V4Entry(
        v4(240, 0, 0, 0),
        4,
        "240.0.0.0/4",
        "reserved (includes limited broadcast)",
    ),
];

/// IPv4 entries inside [`V4_SPECIAL`] blocks that are globally reachable.
const V4_REACHABLE: &[(u32, u8)] = &[
    (v4(192, 0, 0, 9), 32),  // Port Control Protocol anycast
    (v4(192, 0, 0, 10), 32), // Traversal Using Relays around NAT anycast
];

const fn v6(segments: [u16; 8]) -> u128 {
    let mut out = 0u128;
    let mut i = 0;
    while i < 8 {
        out = (out << 16) | segments[i] as u128;
        i += 1;
    }
    out
}

/// IPv6 entries that are not globally reachable.
const V6_SPECIAL: &[V6Entry] = &[
    V6Entry(0, 128, "::/128", "unspecified"),
    V6Entry(1, 128, "::1/128", "loopback"),
    V6Entry(
        v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0]),
        48,
        "64:ff9b:1::/48",
        "IPv4-IPv6 translation (local use)",
    ),
    V6Entry(
        v6([0x100, 0, 0, 0, 0, 0, 0, 0]),
        64,
        "100::/64",
        "discard-only",
    ),
    V6Entry(
        v6([0x100, 0, 0, 1, 0, 0, 0, 0]),
        64,
        "100:0:0:1::/64",
        "dummy IPv6 prefix",
    ),
    V6Entry(
        v6([0x2001, 0, 0, 0, 0, 0, 0, 0]),
        23,
        "2001::/23",
        "IETF protocol assignments",
    ),
    V6Entry(
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
        32,
        "2001:db8::/32",
        "documentation",
    ),
    V6Entry(
        v6([0x3fff, 0, 0, 0, 0, 0, 0, 0]),
        20,
        "3fff::/20",
        "documentation",
    ),
    V6Entry(
        v6([0x5f00, 0, 0, 0, 0, 0, 0, 0]),
        16,
        "5f00::/16",
        "segment routing (SRv6) SIDs",
    ),
    V6Entry(
        v6([0xfc00, 0, 0, 0, 0, 0, 0, 0]),
        7,
        "fc00::/7",
        "unique-local",
    ),
    V6Entry(
        v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]),
        10,
        "fe80::/10",
        "link-local unicast",
    ),
    V6Entry(
        v6([0xff00, 0, 0, 0, 0, 0, 0, 0]),
        8,
        "ff00::/8",
        "multicast",
    ),
];

/// IPv6 entries inside [`V6_SPECIAL`] blocks that are globally reachable.
const V6_REACHABLE: &[(u128, u8)] = &[
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 1]), 128),    // PCP anycast
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 2]), 128),    // TURN anycast
    (v6([0x2001, 1, 0, 0, 0, 0, 0, 3]), 128),    // DNS-SD service registration protocol anycast
    (v6([0x2001, 3, 0, 0, 0, 0, 0, 0]), 32),     // AMT
    (v6([0x2001, 4, 0x112, 0, 0, 0, 0, 0]), 48), // AS112-v6
    (v6([0x2001, 0x20, 0, 0, 0, 0, 0, 0]), 28),  // ORCHIDv2
    (v6([0x2001, 0x30, 0, 0, 0, 0, 0, 0]), 28),  // drone remote ID
];

fn in_v4(addr: u32, base: u32, len: u8) -> bool {
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    addr & mask == base
}

fn in_v6(addr: u128, base: u128, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    };
    addr & mask == base
}

/// The special-purpose, not globally reachable range holding `ip`, if any.
///
/// IPv4-mapped IPv6 addresses are judged as their IPv4 address.
pub fn special_purpose(ip: IpAddr) -> Option<SpecialRange> {
    match crate::extract::canonical(ip) {
        IpAddr::V4(addr) => special_v4(addr),
        IpAddr::V6(addr) => special_v6(addr),
    }
}

fn special_v4(addr: Ipv4Addr) -> Option<SpecialRange> {
    let a = u32::from(addr);
    if V4_REACHABLE.iter().any(|&(b, l)| in_v4(a, b, l)) {
        return None;
    }
    V4_SPECIAL
        .iter()
        .find(|e| in_v4(a, e.0, e.1))
        .map(|e| SpecialRange {
            network: e.2,
            name: e.3,
        })
}

fn special_v6(addr: Ipv6Addr) -> Option<SpecialRange> {
    let a = u128::from(addr);
    if V6_REACHABLE.iter().any(|&(b, l)| in_v6(a, b, l)) {
        return None;
    }
    V6_SPECIAL
        .iter()
        .find(|e| in_v6(a, e.0, e.1))
        .map(|e| SpecialRange {
            network: e.2,
            name: e.3,
        })
}

/// [`Error::ReservedIp`] for `ip` when it is special-purpose.
pub fn check_reachable(ip: IpAddr) -> Result<(), Error> {
    match special_purpose(ip) {
        Some(range) => Err(Error::ReservedIp {
            ip: ip.to_string(),
            reason: format!(
                "in {} ({}), a special-purpose range that is not globally reachable; it was not looked up",
                range.network, range.name
            ),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_what_display_writes() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut cases: Vec<IpAddr> = [
            "0.0.0.0",
            "9.99.100.255",
            "255.255.255.255",
            "::",
            "::ffff:1.2.3.4",
            // The longest texts: every group of four digits, three-digit octets.
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "1111:2222:3333:4444:5555:6666:7777:8888",
            "::ffff:255.255.255.255",
            "ffff:ffff:ffff:ffff:ffff:ffff::",
            "::ffff:ffff:ffff:ffff:ffff:ffff",
            "ffff:0:ffff:ffff:ffff:ffff:ffff:ffff",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            cases.push(IpAddr::V4(Ipv4Addr::from(state as u32)));
            cases.push(IpAddr::V6(Ipv6Addr::from(
                u128::from(state) << (state % 64),
            )));
        }
        // Every pattern of zero and non-zero groups (where `::` goes), groups of every width.
        for pattern in 0..256u32 {
            for _ in 0..4 {
                let mut groups = [0u16; 8];
                for (i, group) in groups.iter_mut().enumerate() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if pattern & (1 << i) != 0 {
                        *group = ((state as u16) >> ((state >> 60) as u32 % 16)) | 1;
                    }
                }
                cases.push(IpAddr::V6(Ipv6Addr::from(groups)));
            }
        }
        for ip in cases {
            assert_eq!(text(ip), ip.to_string());
            assert_eq!(Text::new(ip).as_bytes(), ip.to_string().as_bytes());
            let longest = if ip.is_ipv4() { 32 } else { 128 };
            for prefix in [0, 8, 24, longest] {
                let net = ipnet::IpNet::new(ip, prefix).unwrap().trunc();
                assert_eq!(net_text(net), net.to_string());
            }
        }
    }

    fn ok(s: &str) -> String {
        parse_indicator(s).unwrap().to_string()
    }

    fn err(s: &str) -> String {
        match parse_indicator(s) {
            Err(Error::InvalidIp { reason, .. }) => reason,
            other => panic!("{s:?} gave {other:?}"),
        }
    }

    #[test]
    fn accepts_clean_padded_and_defanged_values() {
        assert_eq!(ok("81.2.69.142"), "81.2.69.142");
        assert_eq!(ok("  81.2.69.142\n"), "81.2.69.142");
        assert_eq!(ok("81.2.69[.]142"), "81.2.69.142");
        assert_eq!(ok("81[.]2(.)69{.}142"), "81.2.69.142");
        assert_eq!(ok("81[dot]2[DOT]69[dot]142"), "81.2.69.142");
        assert_eq!(ok("2001:db8[:]:1"), "2001:db8::1");
        assert_eq!(ok("2001:0DB8:0000::0001"), "2001:db8::1");
    }

    #[test]
    fn ipv4_mapped_ipv6_is_the_ipv4_address() {
        assert_eq!(ok("::ffff:81.2.69.142"), "81.2.69.142");
        assert_eq!(ok("::ffff:5102:458e"), "81.2.69.142");
        // NAT64 embeds IPv4 too, but is an IPv6 address of its own.
        assert_eq!(ok("64:ff9b::5102:458e"), "64:ff9b::5102:458e");
    }

    #[test]
    fn reads_a_value_as_extract_reads_text() {
        // Every form extract finds in text is one address in a value too.
        for (value, ip) in [
            ("81.2.69.142:443", "81.2.69.142"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("hxxp://81.2.69[.]142/gate", "81.2.69.142"),
            ("hxxps[:]//81.2.69.142/", "81.2.69.142"),
            ("81[Dot]2[Dot]69[Dot]142", "81.2.69.142"),
            ("[81.2.69.142]", "81.2.69.142"),
            ("fe80::1%eth0", "fe80::1"),
            ("src=81.2.69.142", "81.2.69.142"),
            (r"151\.106\.171\.63", "151.106.171.63"),
        ] {
            assert_eq!(ok(value), ip, "{value}");
            let mut found = Vec::new();
            crate::extract::scan(value.as_bytes(), &mut |e| found.push(e.ip.to_string()));
            assert_eq!(found, [ip], "extract finds the same in {value:?}");
        }
    }

    #[test]
    fn a_value_may_be_any_address_text_would_leave_out() {
        // Text leaves out IPv6 space nothing is assigned in (binaries are full of `1::`); a
        // value is an address because someone said so (MaxMind's test data has `::2:0:0`).
        for value in ["::", "1::", "::2:0:0", "4000::1"] {
            assert_eq!(ok(value), value);
            let mut found = 0;
            crate::extract::scan(value.as_bytes(), &mut |_| found += 1);
            assert_eq!(found, 0, "{value}");
        }
    }

    #[test]
    fn refuses_anything_but_one_address() {
        assert!(err("10.0.0.0/8").contains("CIDR"));
        assert!(err("2001:db8::/32").contains("CIDR"));
        assert!(err("1.2.3.4 and 5.6.7.8").contains("2 addresses"));
        assert!(err("").contains("empty"));

        for junk in [
            "example.com",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1 . 2 . 3 . 4",
        ] {
            assert!(parse_indicator(junk).is_err(), "{junk:?} was accepted");
        }
    }

    #[test]
    fn special_purpose_ranges_are_named() {
        let name = |s: &str| special_purpose(s.parse().unwrap()).map(|r| r.network);
        assert_eq!(name("10.1.12.1"), Some("10.0.0.0/8"));
        assert_eq!(name("127.0.0.1"), Some("127.0.0.0/8"));
        assert_eq!(name("100.64.0.1"), Some("100.64.0.0/10"));
        assert_eq!(name("192.0.2.1"), Some("192.0.2.0/24"));
        assert_eq!(name("198.19.255.255"), Some("198.18.0.0/15"));
        assert_eq!(name("239.255.255.250"), Some("224.0.0.0/4"));
        assert_eq!(name("255.255.255.255"), Some("240.0.0.0/4"));
        assert_eq!(name("0.0.0.0"), Some("0.0.0.0/8"));
        assert_eq!(name("::"), Some("::/128"));
        assert_eq!(name("::1"), Some("::1/128"));
        assert_eq!(name("fe80::1"), Some("fe80::/10"));
        assert_eq!(name("fd00::1"), Some("fc00::/7"));
        assert_eq!(name("2001:db8::1"), Some("2001:db8::/32"));
        assert_eq!(name("3fff::1"), Some("3fff::/20"));
        assert_eq!(name("ff02::1"), Some("ff00::/8"));
        assert_eq!(name("::ffff:192.168.1.1"), Some("192.168.0.0/16"));
    }

    #[test]
    fn globally_reachable_addresses_are_looked_up() {
        for s in [
            "81.2.69.142",
            "1.1.1.1",
            "192.0.0.9",
            "192.0.0.10",
            "192.88.99.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "223.255.255.255",
            "2a02:cf40::1",
            "64:ff9b::808:808",
            "2001:1::1",
            "2001:4:112::1",
            "2001:20::1",
            "2002:5102:458e::1",
        ] {
            assert!(
                special_purpose(s.parse().unwrap()).is_none(),
                "{s} was refused"
            );
        }
    }
}
