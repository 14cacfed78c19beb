//! PDF fonts as far as text extraction needs them: how a string splits into character codes
//! (codespace ranges of CID fonts, Identity-H/V), what each code means in Unicode (ToUnicode
//! CMaps, then the simple-font encodings: Standard, WinAnsi, MacRoman, `/Differences` through
//! the Adobe Glyph List and `uniXXXX` names) and how wide each glyph is (`/Widths`, `/W`,
//! the standard 14 fonts), which decides where words and lines break.

use super::doc::Doc;
use super::lexer::{Dict, Lexer, Obj, Tok};
use super::tables;
use std::collections::HashMap;

/// A ToUnicode or encoding CMap.
#[derive(Default, Debug)]
pub(crate) struct CMap {
    /// (byte length, low bytes, high bytes)
    codespace: Vec<(usize, Vec<u8>, Vec<u8>)>,
    chars: HashMap<u32, String>,
    /// (low, high, first destination as UTF-16 units) or explicit destinations.
    ranges: Vec<(u32, u32, RangeDst)>,
    /// Code → CID ranges (encoding CMaps).
    cids: Vec<(u32, u32, u32)>,
}

#[derive(Debug)]
enum RangeDst {
    Base(Vec<u16>),
    List(Vec<String>),
}

fn be(bytes: &[u8]) -> u32 {
    bytes.iter().take(4).fold(0u32, |a, &b| a << 8 | b as u32)
}

fn utf16be(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks(2)
        .map(|c| {
            if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                c[0] as u16
            }
        })
        .collect();
    String::from_utf16_lossy(&units)
}

const MAX_CMAP_ENTRIES: usize = 200_000;

impl CMap {
    /// Parses a CMap program (bfchar, bfrange, cidchar, cidrange, codespacerange).
    pub(crate) fn parse(data: &[u8]) -> CMap {
        let mut m = CMap::default();
        let mut lx = Lexer::new(data, 0);
        let mut operands: Vec<Tok<'_>> = Vec::new();
        let mut entries = 0usize;
        loop {
            let t = lx.next_tok();
            match t {
                Tok::Eof => break,
                Tok::Kw(k) => {
                    match k {
                        b"endcodespacerange" => {
                            for p in operands.chunks(2) {
                                if let [Tok::Str(lo), Tok::Str(hi)] = p {
                                    if !lo.is_empty() && lo.len() == hi.len() && lo.len() <= 4 {
                                        m.codespace.push((lo.len(), lo.clone(), hi.clone()));
                                    }
                                }
                            }
                        }
                        b"endbfchar" => {
                            for p in operands.chunks(2) {
                                match p {
                                    [Tok::Str(src), Tok::Str(dst)] => {
                                        m.chars.insert(be(src), utf16be(dst));
                                    }
                                    [Tok::Str(src), Tok::Name(n)] => {
                                        if let Some(s) = glyph_unicode(n) {
                                            m.chars.insert(be(src), s);
                                        }
                                    }
                                    _ => {}
                                }
                                entries += 1;
                            }
                        }
                        b"endbfrange" => {
                            let mut i = 0;
                            while i + 2 < operands.len() {
                                if let (Tok::Str(lo), Tok::Str(hi)) =
                                    (&operands[i], &operands[i + 1])
                                {
                                    let (lo, hi) = (be(lo), be(hi));
                                    match &operands[i + 2] {
                                        Tok::Str(dst) => {
                                            let units = dst
                                                .chunks(2)
                                                .map(|c| {
                                                    if c.len() == 2 {
                                                        u16::from_be_bytes([c[0], c[1]])
                                                    } else {
                                                        c[0] as u16
                                                    }
                                                })
                                                .collect();
                                            m.ranges.push((lo, hi, RangeDst::Base(units)));
                                            i += 3;
                                        }
                                        Tok::ArrOpen => {
                                            let mut list = Vec::new();
                                            let mut j = i + 3;
                                            while j < operands.len() && operands[j] != Tok::ArrClose
                                            {
                                                if let Tok::Str(s) = &operands[j] {
                                                    list.push(utf16be(s));
                                                }
                                                j += 1;
                                            }
                                            m.ranges.push((lo, hi, RangeDst::List(list)));
                                            i = j + 1;
                                        }
                                        _ => i += 3,
                                    }
                                } else {
                                    i += 1;
                                }
                                entries += 1;
                            }
                        }
                        b"endcidrange" => {
                            for p in operands.chunks(3) {
                                if let [Tok::Str(lo), Tok::Str(hi), Tok::Int(cid)] = p {
                                    m.cids.push((
                                        be(lo),
                                        be(hi),
                                        (*cid).clamp(0, u32::MAX as i64) as u32,
                                    ));
                                }
                                entries += 1;
                            }
                        }
                        b"endcidchar" => {
                            for p in operands.chunks(2) {
                                if let [Tok::Str(c), Tok::Int(cid)] = p {
                                    let c = be(c);
                                    m.cids.push((c, c, (*cid).clamp(0, u32::MAX as i64) as u32));
                                }
                                entries += 1;
                            }
                        }
                        _ => {}
                    }
                    operands.clear();
                }
                other => {
                    if operands.len() < 40_000 {
                        operands.push(other);
                    }
                }
            }
            if entries > MAX_CMAP_ENTRIES {
                break;
            }
        }
        m
    }

    /// The Unicode text of a code.
    pub(crate) fn lookup(&self, code: u32) -> Option<String> {
        if let Some(s) = self.chars.get(&code) {
            return Some(s.clone());
        }
        for (lo, hi, dst) in &self.ranges {
            if (*lo..=*hi).contains(&code) {
                let off = code - lo;
                return match dst {
                    RangeDst::Base(units) => {
                        let mut u = units.clone();
                        if let Some(last) = u.last_mut() {
                            *last = last.wrapping_add(off as u16);
                        }
                        Some(String::from_utf16_lossy(&u))
                    }
                    RangeDst::List(l) => l.get(off as usize).cloned(),
                };
            }
        }
        None
    }

    fn cid(&self, code: u32) -> Option<u32> {
        self.cids
            .iter()
            .find(|(lo, hi, _)| (*lo..=*hi).contains(&code))
            .map(|(lo, _, cid)| cid.wrapping_add(code - lo))
    }

    /// Length of the code at the start of `b`, by the codespace ranges (None: no ranges).
    fn code_len(&self, b: &[u8]) -> Option<usize> {
        if self.codespace.is_empty() {
            return None;
        }
        for (n, lo, hi) in &self.codespace {
            if b.len() >= *n && (0..*n).all(|i| lo[i] <= b[i] && b[i] <= hi[i]) {
                return Some(*n);
            }
        }
        Some(
            self.codespace
                .iter()
                .map(|c| c.0)
                .min()
                .unwrap_or(1)
                .min(b.len())
                .max(1),
        )
    }
}

/// The Unicode text of a glyph name (Adobe Glyph List, `uniXXXX…`, `uXXXX`, ligatures with
/// `_`, suffixes after `.` dropped).
pub(crate) fn glyph_unicode(name: &[u8]) -> Option<String> {
    let name = std::str::from_utf8(name).ok()?;
    let base = name.split('.').next().unwrap_or(name);
    if base.is_empty() {
        return None;
    }
    if base.contains('_') {
        let parts: Option<Vec<String>> = base
            .split('_')
            .map(|p| glyph_unicode(p.as_bytes()))
            .collect();
        return parts.map(|p| p.concat());
    }
    if let Ok(i) = tables::GLYPHS.binary_search_by(|(k, _)| k.cmp(&base)) {
        return char::from_u32(tables::GLYPHS[i].1 as u32).map(String::from);
    }
    if let Some(hex) = base.strip_prefix("uni") {
        if hex.len() >= 4 && hex.len() % 4 == 0 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let units: Vec<u16> = (0..hex.len() / 4)
                .filter_map(|k| u16::from_str_radix(&hex[k * 4..k * 4 + 4], 16).ok())
                .collect();
            return Some(String::from_utf16_lossy(&units));
        }
    }
    if let Some(hex) = base.strip_prefix('u') {
        if (4..=6).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .map(String::from);
        }
    }
    None
}

/// A font, reduced to what text extraction needs.
pub(crate) struct Font {
    /// CID font (codes by the encoding CMap, widths by CID).
    cid: bool,
    encoding_cmap: Option<CMap>,
    /// The predefined encoding is UCS-2/UTF-16: codes are Unicode.
    ucs2: bool,
    to_unicode: Option<CMap>,
    /// Simple fonts: code → Unicode from the encoding.
    simple: [Option<char>; 256],
    diffs: HashMap<u8, String>,
    widths: HashMap<u32, f64>,
    wranges: Vec<(u32, u32, f64)>,
    default_width: f64,
    /// Width unit factor to 1/1000 em (Type 3 fonts have their own matrix).
    scale: f64,
    /// Nothing maps codes to Unicode (a CID font without ToUnicode).
    pub(crate) unmappable: bool,
    pub(crate) name: String,
    /// The width of its space glyph (1/1000 em), found once it is loaded.
    space: Option<f64>,
}

impl Font {
    /// A font for a missing or broken font resource: codes read as Latin-1.
    pub(crate) fn fallback() -> Font {
        let mut simple = [None; 256];
        for (i, s) in simple.iter_mut().enumerate() {
            *s = char::from_u32(tables::WIN_ANSI[i] as u32).filter(|&c| c != '\0');
        }
        Font {
            cid: false,
            encoding_cmap: None,
            ucs2: false,
            to_unicode: None,
            simple,
            diffs: HashMap::new(),
            widths: HashMap::new(),
            wranges: Vec::new(),
            default_width: 500.0,
            scale: 1.0,
            unmappable: false,
            name: "(none)".into(),
            space: None,
        }
    }

    /// Reads a font dictionary.
    pub(crate) fn load(doc: &mut Doc<'_>, d: &Dict) -> Font {
        let mut f = Font::fallback();
        let subtype = d.name(b"Subtype").unwrap_or(b"Type1").to_vec();
        let base_font = d
            .name(b"BaseFont")
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let plain_name = base_font
            .split_once('+')
            .map_or(base_font.as_str(), |(_, n)| n)
            .to_string();
        f.name = plain_name.clone();
        if let Some((_, data)) = d
            .get(b"ToUnicode")
            .cloned()
            .and_then(|o| doc.stream_bytes(&o))
        {
            f.to_unicode = Some(CMap::parse(&data));
        }
        if subtype == b"Type0" {
            f.cid = true;
            match doc.get_in(d, b"Encoding") {
                Obj::Name(n) => {
                    let n = String::from_utf8_lossy(&n).into_owned();
                    if n.contains("UCS2") || n.contains("UTF16") {
                        f.ucs2 = true;
                    }
                    // Identity-H/V and unknown predefined CMaps: 2-byte codes, CID = code.
                }
                Obj::Stream(s) => {
                    if let Some(dec) = doc.decode_stream(&s, true) {
                        f.encoding_cmap = Some(CMap::parse(&dec.data));
                    }
                }
                _ => {}
            }
            let desc = match doc.get_in(d, b"DescendantFonts") {
                Obj::Array(a) => a
                    .first()
                    .map(|o| doc.resolve(o))
                    .and_then(|o| o.as_dict().cloned()),
                _ => None,
            };
            f.default_width = 1000.0;
            if let Some(desc) = desc {
                f.default_width = desc.get(b"DW").and_then(Obj::as_f64).unwrap_or(1000.0);
                if let Obj::Array(w) = doc.get_in(&desc, b"W") {
                    let mut i = 0;
                    while i < w.len() && f.widths.len() < 100_000 {
                        let first = w[i].as_int().unwrap_or(0).max(0) as u32;
                        match w.get(i + 1).map(|o| doc.resolve(o)) {
                            Some(Obj::Array(list)) => {
                                for (k, wv) in list.iter().enumerate() {
                                    f.widths.insert(
                                        first.saturating_add(k as u32),
                                        wv.as_f64().unwrap_or(0.0),
                                    );
                                }
                                i += 2;
                            }
                            Some(last) => {
                                let last = last.as_int().unwrap_or(0).max(0) as u32;
                                let wv = w.get(i + 2).and_then(Obj::as_f64).unwrap_or(0.0);
                                f.wranges.push((first, last, wv));
                                i += 3;
                            }
                            None => break,
                        }
                    }
                }
            }
            f.unmappable = f.to_unicode.is_none() && !f.ucs2;
            return f;
        }
        // Simple fonts: encoding.
        let symbolic = doc
            .get_in(d, b"FontDescriptor")
            .as_dict()
            .and_then(|fd| fd.int(b"Flags"))
            .is_some_and(|fl| fl & 4 != 0);
        let default_table: &[u16; 256] = if subtype == b"Type1"
            && !symbolic
            && !plain_name.starts_with("Symbol")
            && !plain_name.starts_with("ZapfDingbats")
        {
            &tables::STANDARD
        } else {
            &tables::WIN_ANSI
        };
        let (base, diffs) = match doc.get_in(d, b"Encoding") {
            Obj::Name(n) => (Some(n), None),
            Obj::Dict(e) => (
                e.name(b"BaseEncoding").map(<[u8]>::to_vec),
                doc.get_in(&e, b"Differences")
                    .as_array()
                    .map(<[Obj]>::to_vec),
            ),
            _ => (None, None),
        };
        let table: &[u16; 256] = match base.as_deref() {
            Some(b"WinAnsiEncoding") => &tables::WIN_ANSI,
            Some(b"MacRomanEncoding") => &tables::MAC_ROMAN,
            Some(b"StandardEncoding") => &tables::STANDARD,
            _ => default_table,
        };
        for (i, s) in f.simple.iter_mut().enumerate() {
            *s = char::from_u32(table[i] as u32).filter(|&c| c != '\0');
        }
        if let Some(diffs) = diffs {
            let mut code = 0i64;
            for o in diffs {
                match o {
                    Obj::Int(c) => code = c,
                    Obj::Name(n) => {
                        if (0..256).contains(&code) {
                            if let Some(u) = glyph_unicode(&n) {
                                f.diffs.insert(code as u8, u);
                            } else {
                                f.simple[code as usize] = None;
                            }
                        }
                        code = code.saturating_add(1);
                    }
                    _ => {}
                }
            }
        }
        // Widths.
        let first = d.int(b"FirstChar").unwrap_or(0).max(0) as u32;
        if let Obj::Array(w) = doc.get_in(d, b"Widths") {
            for (k, wv) in w.iter().enumerate().take(256) {
                f.widths.insert(
                    first.saturating_add(k as u32),
                    doc.resolve(wv).as_f64().unwrap_or(0.0),
                );
            }
        } else if let Some((_, ws)) = tables::STANDARD_WIDTHS
            .iter()
            .find(|(n, _)| *n == plain_name)
        {
            for (k, &wv) in ws.iter().enumerate() {
                f.widths.insert(k as u32, wv as f64);
            }
        } else if plain_name.starts_with("Arial") || plain_name.starts_with("Helvetica") {
            for (k, &wv) in tables::STANDARD_WIDTHS[0].1.iter().enumerate() {
                f.widths.insert(k as u32, wv as f64);
            }
        }
        f.default_width = doc
            .get_in(d, b"FontDescriptor")
            .as_dict()
            .and_then(|fd| fd.get(b"MissingWidth").and_then(Obj::as_f64))
            .unwrap_or(500.0);
        if subtype == b"Type3" {
            if let Some(m) = d.get(b"FontMatrix").and_then(Obj::as_array) {
                f.scale = m.first().and_then(Obj::as_f64).unwrap_or(0.001).abs() * 1000.0;
            }
        }
        f.space = f.find_space_width();
        f
    }

    /// Splits a string into character codes (value, byte length).
    pub(crate) fn codes(&self, s: &[u8]) -> Vec<(u32, usize)> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            let n = if self.cid {
                self.encoding_cmap
                    .as_ref()
                    .and_then(|c| c.code_len(&s[i..]))
                    .or_else(|| {
                        if self.encoding_cmap.is_none() {
                            Some(2)
                        } else {
                            None
                        }
                    })
                    .unwrap_or(2)
            } else {
                1
            }
            .min(s.len() - i)
            .max(1);
            out.push((be(&s[i..i + n]), n));
            i += n;
        }
        out
    }

    /// The Unicode text of a code, if known.
    pub(crate) fn unicode(&self, code: u32) -> Option<String> {
        if let Some(t) = self.to_unicode.as_ref().and_then(|m| m.lookup(code)) {
            return Some(t);
        }
        if self.cid {
            return if self.ucs2 {
                char::from_u32(code).map(String::from)
            } else {
                None
            };
        }
        let b = code as u8;
        if let Some(d) = self.diffs.get(&b) {
            return Some(d.clone());
        }
        self.simple[b as usize].map(String::from)
    }

    /// Glyph width of a code in 1/1000 em.
    pub(crate) fn width(&self, code: u32) -> f64 {
        self.listed_width(code).unwrap_or(self.default_width) * self.scale
    }

    /// The width the font lists for a code (unscaled), if it lists one.
    fn listed_width(&self, code: u32) -> Option<f64> {
        let key = if self.cid {
            self.encoding_cmap
                .as_ref()
                .and_then(|c| c.cid(code))
                .unwrap_or(code)
        } else {
            code
        };
        self.widths.get(&key).copied().or_else(|| {
            self.wranges
                .iter()
                .find(|(lo, hi, _)| (*lo..=*hi).contains(&key))
                .map(|r| r.2)
        })
    }

    /// The width of the font's space glyph (1/1000 em), if the font says which glyph that is:
    /// code 32 of a simple font, the code a CID font's ToUnicode map gives a space.
    fn find_space_width(&self) -> Option<f64> {
        let code = if self.cid {
            let map = self.to_unicode.as_ref()?;
            map.chars
                .iter()
                .filter(|(_, t)| t.as_str() == " ")
                .map(|(&code, _)| code)
                .min()?
        } else {
            32
        };
        if self.unicode(code).as_deref() != Some(" ") {
            return None;
        }
        // Only a width the font gives (a missing one is a default, not the space's).
        self.listed_width(code)
            .filter(|&w| w > 0.0)
            .map(|w| w * self.scale)
    }

    /// The width of the font's space glyph (1/1000 em), if known.
    pub(crate) fn space_width(&self) -> Option<f64> {
        self.space
    }

    /// Whether codes are one byte (word spacing applies to code 32).
    pub(crate) fn single_byte(&self) -> bool {
        !self.cid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_unicode_cmap_ranges_and_chars() {
        let m = CMap::parse(
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange 2 beginbfchar <0003> <0020> <0011> <002E> endbfchar \
              1 beginbfrange <0013> <001C> <0030> endbfrange 1 beginbfrange <0020> <0021> [<0041> <0042>] endbfrange",
        );
        assert_eq!(m.lookup(0x11).as_deref(), Some("."));
        assert_eq!(m.lookup(0x15).as_deref(), Some("2"));
        assert_eq!(m.lookup(0x21).as_deref(), Some("B"));
        assert_eq!(m.code_len(&[0, 0x11]), Some(2));
    }

    #[test]
    fn glyph_names() {
        assert_eq!(glyph_unicode(b"period").as_deref(), Some("."));
        assert_eq!(glyph_unicode(b"uni0031").as_deref(), Some("1"));
        assert_eq!(glyph_unicode(b"zero.tf").as_deref(), Some("0"));
        assert_eq!(glyph_unicode(b"f_i").as_deref(), Some("fi"));
        assert_eq!(glyph_unicode(b"g123"), None);
    }
}
