//! The PDF file structure: cross-reference tables and streams (incremental updates followed
//! through `/Prev`, hybrid files through `/XRefStm`), object streams, a recovery scan for files
//! whose cross-reference data is broken, lazy object loading (memory follows what is read, not
//! the page count), decryption, and capped stream decoding.

use super::crypt::Crypt;
use super::filters::{self, Decoded};
use super::lexer::{Dict, Lexer, Obj, Stream, Tok, parse_obj};
use crate::limits::{Budget, Limits};
use crate::sniff::find;
use crate::{DOCUMENT_LIMIT, DOCUMENT_PARTIAL, DOCUMENT_UNSUPPORTED};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    Offset(usize),
    InStream(u32, u32),
}

impl Entry {
    const IN_STREAM: u64 = 1 << 63;

    /// Eight bytes, never 0 (0 is "no entry"): an offset plus one, or the object stream's
    /// number and the index (31 bits; a larger one is found by searching the stream) tagged.
    fn pack(self) -> u64 {
        match self {
            Entry::Offset(o) => (o as u64).min(Self::IN_STREAM - 2) + 1,
            Entry::InStream(stm, idx) => {
                Self::IN_STREAM | u64::from(stm) << 31 | u64::from(idx.min(u32::MAX >> 1))
            }
        }
    }

    fn unpack(v: u64) -> Option<Entry> {
        match v {
            0 => None,
            v if v & Self::IN_STREAM == 0 => Some(Entry::Offset((v - 1) as usize)),
            v => Some(Entry::InStream(
                (v >> 31) as u32,
                (v & u64::from(u32::MAX >> 1)) as u32,
            )),
        }
    }
}

/// The cross-reference table: where each object is. Object numbers as files number them
/// (from 1, nearly without gaps) index a vector of packed entries, eight bytes an object; a
/// number far beyond the entries seen so far goes to a map, so that a hostile number cannot
/// make the vector large.
#[derive(Default)]
struct Xref {
    dense: Vec<u64>,
    sparse: HashMap<u32, u64>,
    len: usize,
}

impl Xref {
    fn get(&self, num: u32) -> Option<Entry> {
        match self.dense.get(num as usize) {
            Some(&v) => Entry::unpack(v),
            None => self.sparse.get(&num).copied().and_then(Entry::unpack),
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Sets the entry of `num`, unless it has one and `replace` is false (a newer section,
    /// read first, wins over the older ones).
    fn set(&mut self, num: u32, e: Entry, replace: bool) {
        let i = num as usize;
        let limit = 4096.max(self.len.saturating_mul(4));
        if i >= self.dense.len() && i < limit {
            let grown = (i + 1).max(self.dense.len() * 2).min(limit);
            self.dense.resize(grown, 0);
            let dense = &mut self.dense;
            self.sparse.retain(|&k, v| match dense.get_mut(k as usize) {
                Some(slot) => {
                    *slot = *v;
                    false
                }
                None => true,
            });
        }
        let slot = match self.dense.get_mut(i) {
            Some(slot) => slot,
            None => self.sparse.entry(num).or_insert(0),
        };
        if *slot == 0 {
            self.len += 1;
        } else if !replace {
            return;
        }
        *slot = e.pack();
    }

    /// The object numbers with an entry, in order.
    fn numbers(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = (0..self.dense.len() as u32)
            .filter(|&n| self.dense[n as usize] != 0)
            .chain(self.sparse.keys().copied())
            .collect();
        ids.sort_unstable();
        ids
    }
}

/// A decoded object stream: its data and where each object starts.
struct ObjStm {
    data: Vec<u8>,
    offsets: Vec<(u32, usize)>,
}

/// An open PDF.
pub(crate) struct Doc<'a> {
    buf: &'a [u8],
    xref: Xref,
    pub(crate) trailer: Dict,
    crypt: Option<Crypt>,
    objstms: HashMap<u32, Rc<ObjStm>>,
    objstm_bytes: usize,
    scanned: bool,
    fetches: usize,
    max_fetches: usize,
    max_objects: usize,
    pub(crate) max_depth: usize,
    stream_cap: usize,
    budget: Rc<Budget>,
    /// Loading depth (a `/Length` that refers to another object): bounds indirection.
    loading: usize,
    /// Warnings gathered while reading, drained by the caller.
    pub(crate) warnings: Vec<(&'static str, String)>,
    warned: HashSet<String>,
    endstream_memo: std::cell::Cell<(usize, usize)>,
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

impl<'a> Doc<'a> {
    /// Opens a PDF held in memory. The security handler is not opened yet (see `open_crypt`).
    pub(crate) fn open(buf: &'a [u8], limits: &Limits, budget: &Rc<Budget>) -> Doc<'a> {
        let mut d = Doc {
            buf,
            xref: Xref::default(),
            trailer: Dict::default(),
            crypt: None,
            objstms: HashMap::new(),
            objstm_bytes: 0,
            scanned: false,
            fetches: 0,
            max_fetches: limits.max_pdf_objects.saturating_mul(10),
            max_objects: limits.max_pdf_objects,
            max_depth: limits.max_xml_depth.min(512),
            stream_cap: usize::try_from(limits.max_pdf_stream_bytes).unwrap_or(usize::MAX),
            budget: Rc::clone(budget),
            loading: 0,
            warnings: Vec::new(),
            warned: HashSet::new(),
            endstream_memo: std::cell::Cell::new((usize::MAX, 0)),
        };
        if !d.load_xref() || d.root().is_none() {
            d.warn(
                DOCUMENT_PARTIAL,
                "cross-reference data broken; objects found by scanning the file".into(),
            );
            d.scan();
        }
        d
    }

    /// Records a warning once per distinct message.
    pub(crate) fn warn(&mut self, code: &'static str, msg: String) {
        if self.warned.len() < 200 && self.warned.insert(msg.clone()) {
            self.warnings.push((code, msg));
        }
    }

    /// The catalog.
    pub(crate) fn root(&mut self) -> Option<Dict> {
        let r = self.trailer.get(b"Root").cloned()?;
        self.resolve(&r).as_dict().cloned()
    }

    /// Opens the security handler if the file is encrypted. Err: it needs a password.
    pub(crate) fn open_crypt(&mut self) -> Result<(), String> {
        let Some(enc) = self.trailer.get(b"Encrypt").cloned() else {
            return Ok(());
        };
        let enc = match &enc {
            Obj::Ref(n) => self.load_plain(*n).and_then(|o| o.as_dict().cloned()),
            o => o.as_dict().cloned(),
        };
        let Some(enc) = enc else { return Ok(()) };
        let id0 = match self.trailer.get(b"ID") {
            Some(Obj::Array(a)) => a.first().and_then(Obj::as_str).unwrap_or(&[]).to_vec(),
            _ => Vec::new(),
        };
        self.crypt = Some(Crypt::open(&enc, &id0)?);
        Ok(())
    }

    fn load_xref(&mut self) -> bool {
        let tail_start = self.buf.len().saturating_sub(4096);
        let Some(p) = find_last(&self.buf[tail_start..], b"startxref") else {
            return false;
        };
        let mut lx = Lexer::new(self.buf, tail_start + p + 9);
        let Tok::Int(mut off) = lx.next_tok() else {
            return false;
        };
        let mut seen = HashSet::new();
        let mut first = true;
        for _ in 0..256 {
            if off < 0 || off as usize >= self.buf.len() || !seen.insert(off) {
                break;
            }
            let Some(trailer) = self.read_section(off as usize) else {
                return !first;
            };
            if let Some(x) = trailer.int(b"XRefStm") {
                if x >= 0 && seen.insert(x) {
                    self.read_section(x as usize);
                }
            }
            let prev = trailer.int(b"Prev");
            if first {
                self.trailer = trailer;
                first = false;
            }
            match prev {
                Some(p) => off = p,
                None => break,
            }
        }
        !first
    }

    /// Reads one cross-reference section (table or stream) at `off`; returns its trailer.
    fn read_section(&mut self, off: usize) -> Option<Dict> {
        let mut lx = Lexer::new(self.buf, off);
        if lx.next_tok() == Tok::Kw(b"xref") {
            loop {
                let save = lx.pos;
                match (lx.next_tok(), lx.next_tok()) {
                    (Tok::Int(start), Tok::Int(count)) if start >= 0 && count >= 0 => {
                        for i in 0..count {
                            let (Tok::Int(o), Tok::Int(_g), Tok::Kw(kind)) =
                                (lx.next_tok(), lx.next_tok(), lx.next_tok())
                            else {
                                return None;
                            };
                            let num = start.saturating_add(i);
                            if kind == b"n"
                                && o > 0
                                && num <= u32::MAX as i64
                                && self.xref.len() < self.max_objects
                            {
                                self.xref.set(num as u32, Entry::Offset(o as usize), false);
                            }
                        }
                    }
                    _ => {
                        lx.pos = save;
                        break;
                    }
                }
            }
            if lx.next_tok() != Tok::Kw(b"trailer") {
                return None;
            }
            return parse_obj(&mut lx, self.max_depth, true).and_then(|o| o.as_dict().cloned());
        }
        // A cross-reference stream.
        let (_, obj) = self.parse_indirect(off)?;
        let Obj::Stream(s) = obj else { return None };
        if s.dict.name(b"Type") != Some(b"XRef") {
            return None;
        }
        let data = self.decode_stream(&s, false)?.data;
        let w: Vec<usize> = s
            .dict
            .get(b"W")?
            .as_array()?
            .iter()
            .map(|o| o.as_int().unwrap_or(0).clamp(0, 8) as usize)
            .collect();
        if w.len() < 3 {
            return None;
        }
        let size = s.dict.int(b"Size").unwrap_or(0).max(0);
        let index: Vec<i64> = match s.dict.get(b"Index").and_then(Obj::as_array) {
            Some(a) => a.iter().filter_map(Obj::as_int).collect(),
            None => vec![0, size],
        };
        let row = w[0] + w[1] + w[2];
        let field = |b: &[u8]| b.iter().fold(0u64, |acc, &x| acc << 8 | x as u64);
        let mut pos = 0;
        for pair in index.chunks(2) {
            let [start, count] = pair else { break };
            for i in 0..(*count).max(0) {
                if pos + row > data.len() {
                    break;
                }
                let r = &data[pos..pos + row];
                pos += row;
                let t = if w[0] == 0 { 1 } else { field(&r[..w[0]]) };
                let a = field(&r[w[0]..w[0] + w[1]]);
                let b = field(&r[w[0] + w[1]..]);
                let num = start.saturating_add(i);
                if num < 0 || num > u32::MAX as i64 || self.xref.len() >= self.max_objects {
                    continue;
                }
                let e = match t {
                    1 if a > 0 => Entry::Offset(a as usize),
                    2 => Entry::InStream(a as u32, b as u32),
                    _ => continue,
                };
                self.xref.set(num as u32, e, false);
            }
        }
        Some(s.dict.clone())
    }

    /// Rebuilds the object table by scanning for `N G obj`, and finds the trailer.
    fn scan(&mut self) {
        if self.scanned {
            return;
        }
        self.scanned = true;
        let buf = self.buf;
        let mut found: HashMap<u32, Entry> = HashMap::new();
        let mut i = 0;
        while let Some(p) = find(&buf[i..], b"obj") {
            let at = i + p;
            i = at + 3;
            if buf
                .get(at + 3)
                .is_some_and(|&c| !super::lexer::is_ws(c) && !super::lexer::is_delim(c))
            {
                continue;
            }
            // Walk back over "N G ".
            let mut j = at;
            let mut nums = [0usize; 2];
            let mut ok = true;
            for slot in nums.iter_mut().rev() {
                while j > 0 && super::lexer::is_ws(buf[j - 1]) {
                    j -= 1;
                }
                let end = j;
                while j > 0 && buf[j - 1].is_ascii_digit() {
                    j -= 1;
                }
                if j == end || end - j > 10 {
                    ok = false;
                    break;
                }
                *slot = j;
            }
            if !ok
                || (j > 0
                    && !super::lexer::is_ws(buf[j - 1])
                    && !super::lexer::is_delim(buf[j - 1]))
            {
                continue;
            }
            let num = std::str::from_utf8(&buf[nums[0]..]).ok().and_then(|s| {
                s.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<u32>()
                    .ok()
            });
            if let Some(num) = num {
                if found.len() < self.max_objects {
                    found.insert(num, Entry::Offset(nums[0]));
                }
            }
        }
        // Found objects replace the table's; objects inside object streams are added.
        for (k, v) in found.iter() {
            self.xref.set(*k, *v, true);
        }
        let ids: Vec<u32> = found.keys().copied().collect();
        let mut trailer_root = None;
        for id in ids {
            let Some(o) = self.load_plain(id) else {
                continue;
            };
            if let Obj::Stream(s) = &o {
                match s.dict.name(b"Type") {
                    Some(b"ObjStm") => {
                        if let Some(stm) = self.objstm(id) {
                            for (k, &(num, _)) in stm.offsets.iter().enumerate() {
                                self.xref.set(num, Entry::InStream(id, k as u32), false);
                            }
                        }
                    }
                    Some(b"XRef") if s.dict.get(b"Root").is_some() => {
                        trailer_root = Some(s.dict.clone())
                    }
                    _ => {}
                }
            }
        }
        // Trailer: the last `trailer` dictionary with a /Root, else an XRef stream's, else a catalog.
        let mut pos = 0;
        let mut best: Option<Dict> = None;
        while let Some(p) = find(&buf[pos..], b"trailer") {
            let mut lx = Lexer::new(buf, pos + p + 7);
            if let Some(d) =
                parse_obj(&mut lx, self.max_depth, true).and_then(|o| o.as_dict().cloned())
            {
                if d.get(b"Root").is_some() {
                    best = Some(d);
                }
            }
            pos += p + 7;
        }
        if let Some(t) = best.or(trailer_root) {
            self.trailer = t;
        }
        if self.root().is_none() {
            for id in self.xref.numbers() {
                if let Some(o) = self.get(id) {
                    if o.as_dict().and_then(|d| d.name(b"Type")) == Some(b"Catalog") {
                        self.trailer.0.push((b"Root".to_vec(), Obj::Ref(id)));
                        break;
                    }
                }
            }
        }
    }

    /// Parses `N G obj … [stream … endstream]` at `off`.
    fn parse_indirect(&mut self, off: usize) -> Option<(u32, Obj)> {
        let mut lx = Lexer::new(self.buf, off);
        let (Tok::Int(num), Tok::Int(generation), Tok::Kw(b"obj")) =
            (lx.next_tok(), lx.next_tok(), lx.next_tok())
        else {
            return None;
        };
        let num = u32::try_from(num).ok()?;
        let obj = parse_obj(&mut lx, self.max_depth, true).unwrap_or(Obj::Null);
        if let (Obj::Dict(dict), Tok::Kw(b"stream")) = (&obj, lx.next_tok()) {
            let mut start = lx.pos;
            if self.buf.get(start) == Some(&b'\r') {
                start += 1;
            }
            if self.buf.get(start) == Some(&b'\n') {
                start += 1;
            }
            let declared = match dict.get(b"Length") {
                Some(Obj::Int(n)) => Some(*n),
                Some(Obj::Ref(r)) if self.loading < 4 && *r != num => {
                    self.loading += 1;
                    let n = self.get(*r).and_then(|o| o.as_int());
                    self.loading -= 1;
                    n
                }
                _ => None,
            };
            let end = self.stream_end(start, declared);
            let s = Stream {
                dict: dict.clone(),
                start,
                end,
                id: (num, generation.clamp(0, 65535) as u16),
            };
            return Some((num, Obj::Stream(Rc::new(s))));
        }
        Some((num, obj))
    }

    /// Where stream data ends: the declared length if `endstream` follows it, else the next
    /// `endstream` (never trusting `/Length`).
    fn stream_end(&self, start: usize, declared: Option<i64>) -> usize {
        let buf = self.buf;
        if let Some(n) = declared.filter(|&n| n >= 0).map(|n| n as usize) {
            if let Some(end) = start.checked_add(n).filter(|&e| e <= buf.len()) {
                let mut k = end;
                while k < buf.len() && super::lexer::is_ws(buf[k]) {
                    k += 1;
                }
                if buf[k..].starts_with(b"endstream") {
                    return end;
                }
            }
        }
        // Remembered search: the first `endstream` at or after an earlier start is also the
        // first one after any later start before it (no quadratic rescans of broken files).
        let (from, at) = self.endstream_memo.get();
        let found = if start >= from && start <= at {
            Some(at)
        } else {
            let f = find(&buf[start..], b"endstream").map_or(buf.len(), |p| start + p);
            self.endstream_memo.set((start, f));
            Some(f).filter(|&f| f < buf.len())
        };
        let found = found.filter(|&f| f < buf.len());
        match found.map(|f| f - start) {
            Some(p) => {
                let mut end = start + p;
                if end > start && buf[end - 1] == b'\n' {
                    end -= 1;
                }
                if end > start && buf[end - 1] == b'\r' {
                    end -= 1;
                }
                end
            }
            None => buf.len(),
        }
    }

    /// Loads an object stored directly in the file, without decrypting it.
    fn load_plain(&mut self, id: u32) -> Option<Obj> {
        let Entry::Offset(off) = self.xref.get(id)? else {
            return None;
        };
        match self.parse_indirect(off) {
            Some((num, o)) if num == id => Some(o),
            _ => None,
        }
    }

    fn objstm(&mut self, id: u32) -> Option<Rc<ObjStm>> {
        if let Some(s) = self.objstms.get(&id) {
            return Some(Rc::clone(s));
        }
        let Some(Obj::Stream(s)) = self.load_plain(id) else {
            return None;
        };
        let data = self.decode_stream(&s, true)?.data;
        let n = s.dict.int(b"N").unwrap_or(0).clamp(0, 1 << 20) as usize;
        let first = s.dict.int(b"First").unwrap_or(0).max(0) as usize;
        let mut lx = Lexer::new(&data, 0);
        let mut offsets = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            match (lx.next_tok(), lx.next_tok()) {
                (Tok::Int(num), Tok::Int(o)) if num >= 0 && o >= 0 && num <= u32::MAX as i64 => {
                    offsets.push((num as u32, first.saturating_add(o as usize)))
                }
                _ => break,
            }
        }
        // Keep a bounded cache of decoded object streams.
        if self.objstm_bytes > 32 << 20 {
            self.objstms.clear();
            self.objstm_bytes = 0;
        }
        self.objstm_bytes += data.len();
        let stm = Rc::new(ObjStm { data, offsets });
        self.objstms.insert(id, Rc::clone(&stm));
        Some(stm)
    }

    /// Loads indirect object `id` (decrypted), or None.
    pub(crate) fn get(&mut self, id: u32) -> Option<Obj> {
        self.fetches += 1;
        if self.fetches == self.max_fetches + 1 {
            self.warn(
                DOCUMENT_LIMIT,
                format!(
                    "max_pdf_objects: more than {} object look-ups; the rest was skipped",
                    self.max_fetches
                ),
            );
        }
        if self.fetches > self.max_fetches {
            return None;
        }
        let entry = match self.xref.get(id) {
            Some(e) => e,
            None if !self.scanned => {
                self.scan();
                self.xref.get(id)?
            }
            None => return None,
        };
        match entry {
            Entry::Offset(off) => match self.parse_indirect(off) {
                Some((num, o)) if num == id => Some(self.decrypt_obj(o, id)),
                _ if !self.scanned => {
                    self.scan();
                    match self.xref.get(id) {
                        Some(Entry::Offset(o2)) if o2 != off => self
                            .parse_indirect(o2)
                            .filter(|(n, _)| *n == id)
                            .map(|(_, o)| self.decrypt_obj(o, id)),
                        Some(Entry::InStream(..)) => self.get(id),
                        _ => None,
                    }
                }
                _ => None,
            },
            Entry::InStream(stm, idx) => {
                if stm == id {
                    return None;
                }
                let s = self.objstm(stm)?;
                let &(num, off) = s
                    .offsets
                    .get(idx as usize)
                    .filter(|(n, _)| *n == id)
                    .or_else(|| s.offsets.iter().find(|(n, _)| *n == id))?;
                let _ = num;
                let mut lx = Lexer::new(&s.data, off);
                parse_obj(&mut lx, self.max_depth, true)
            }
        }
    }

    /// Decrypts the strings of an object loaded from the file (iteratively).
    fn decrypt_obj(&self, mut o: Obj, id: u32) -> Obj {
        let Some(c) = &self.crypt else { return o };
        let generation = match &o {
            Obj::Stream(s) => s.id.1,
            _ => 0,
        };
        let mut stack: Vec<&mut Obj> = vec![&mut o];
        while let Some(x) = stack.pop() {
            match x {
                Obj::Str(s) => *s = c.decrypt(s, (id, generation), false),
                Obj::Array(a) => stack.extend(a.iter_mut()),
                Obj::Dict(d) => stack.extend(d.0.iter_mut().map(|(_, v)| v)),
                _ => {}
            }
        }
        o
    }

    /// Follows references (a bounded number of hops).
    pub(crate) fn resolve(&mut self, o: &Obj) -> Obj {
        let mut cur = o.clone();
        for _ in 0..16 {
            match cur {
                Obj::Ref(n) => cur = self.get(n).unwrap_or(Obj::Null),
                other => return other,
            }
        }
        Obj::Null
    }

    /// A dictionary entry, resolved.
    pub(crate) fn get_in(&mut self, d: &Dict, key: &[u8]) -> Obj {
        match d.get(key) {
            Some(o) => self.resolve(&o.clone()),
            None => Obj::Null,
        }
    }

    /// Decodes a stream's data: decrypted, then filtered, capped at `max_pdf_stream_bytes` and
    /// charged to the attachment's budget. None if the filters are not supported (warned).
    pub(crate) fn decode_stream(&mut self, s: &Stream, decrypt: bool) -> Option<Decoded> {
        let raw = self.buf.get(s.start..s.end.max(s.start))?;
        let raw: std::borrow::Cow<'_, [u8]> = match (&self.crypt, decrypt) {
            (Some(c), true) if s.dict.name(b"Type") != Some(b"XRef") => {
                let is_meta = s.dict.name(b"Type") == Some(b"Metadata");
                if is_meta && !c.encrypt_metadata {
                    raw.into()
                } else {
                    c.decrypt(raw, s.id, true).into()
                }
            }
            _ => raw.into(),
        };
        let mut list = filters::filter_list(&s.dict);
        // Resolve indirect filter parameters.
        for (_, p) in list.iter_mut() {
            if let Some(d) = p {
                let resolved: Vec<(Vec<u8>, Obj)> =
                    d.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                let mut out = Vec::new();
                for (k, v) in resolved {
                    let v = self.resolve(&v);
                    out.push((k, v));
                }
                *d = Dict(out);
            }
        }
        if let Some((name, _)) = list.iter().find(|(n, _)| filters::is_image_filter(n)) {
            let name = String::from_utf8_lossy(name).into_owned();
            self.warn(
                DOCUMENT_UNSUPPORTED,
                format!("a stream with image filter {name} was expected to hold text; skipped"),
            );
            return None;
        }
        let cap = self
            .stream_cap
            .min(usize::try_from(self.budget.remaining()).unwrap_or(usize::MAX));
        let d = filters::decode(&raw, &list, cap);
        if let Some(f) = &d.unsupported {
            let f = f.clone();
            self.warn(
                DOCUMENT_UNSUPPORTED,
                format!("stream filter /{f} is not supported; that stream was skipped"),
            );
            return None;
        }
        if !self.budget.take(d.data.len() as u64) {
            return None;
        }
        if d.truncated {
            if self.budget.remaining() == 0 {
                self.budget.take(1);
            } else {
                self.warn(
                    DOCUMENT_LIMIT,
                    format!("max_pdf_stream_bytes: a stream decodes to more than {} bytes; the rest of it was skipped", self.stream_cap),
                );
            }
        }
        if d.corrupt {
            self.warn(
                DOCUMENT_PARTIAL,
                format!(
                    "a stream of object {} is corrupt; what came before the damage was read",
                    s.id.0
                ),
            );
        }
        Some(d)
    }

    /// Resolves `o` and decodes it if it is a stream.
    pub(crate) fn stream_bytes(&mut self, o: &Obj) -> Option<(Rc<Stream>, Vec<u8>)> {
        match self.resolve(o) {
            Obj::Stream(s) => {
                let d = self.decode_stream(&s, true)?;
                Some((s, d.data))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Entry, Xref};

    #[test]
    fn an_entry_survives_packing() {
        for e in [
            Entry::Offset(0),
            Entry::Offset(9),
            Entry::Offset(usize::MAX >> 2),
            Entry::InStream(0, 0),
            Entry::InStream(u32::MAX, (u32::MAX >> 1) - 1),
            Entry::InStream(7, 3),
        ] {
            assert_eq!(Entry::unpack(e.pack()), Some(e));
        }
        assert_eq!(Entry::unpack(0), None);
    }

    #[test]
    fn the_table_keeps_the_first_entry_unless_told_to_replace_it() {
        let mut x = Xref::default();
        x.set(5, Entry::Offset(100), false);
        x.set(5, Entry::Offset(200), false);
        assert_eq!(x.get(5), Some(Entry::Offset(100)));
        x.set(5, Entry::InStream(9, 1), true);
        assert_eq!(x.get(5), Some(Entry::InStream(9, 1)));
        assert_eq!((x.len(), x.get(4)), (1, None));
    }

    #[test]
    fn far_numbers_go_to_the_map_and_move_to_the_vector_when_it_reaches_them() {
        let mut x = Xref::default();
        x.set(u32::MAX, Entry::Offset(1), false);
        x.set(50_000, Entry::Offset(2), false);
        assert!(
            x.dense.len() <= 4096,
            "a far number does not grow the vector"
        );
        for n in 1..60_000 {
            x.set(n, Entry::Offset(n as usize * 10), false);
        }
        assert!(x.dense.len() >= 60_000, "the vector followed the entries");
        assert!(!x.sparse.contains_key(&50_000));
        assert_eq!(
            x.get(50_000),
            Some(Entry::Offset(2)),
            "moved, still the first"
        );
        assert_eq!(x.get(u32::MAX), Some(Entry::Offset(1)));
        assert_eq!(x.get(59_999), Some(Entry::Offset(599_990)));
        assert_eq!(x.len(), 60_000);
        let numbers = x.numbers();
        assert_eq!(numbers.len(), 60_000);
        assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    }
}
