//! PDF tokens and objects: a lexer over bytes and an iterative (stack-safe) object parser
//! with a nesting cap. Shared by the file structure (`doc`) and content streams (`content`).

use std::rc::Rc;

/// A PDF object.
#[derive(Debug, Clone)]
pub(crate) enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    Array(Vec<Obj>),
    Dict(Dict),
    /// An indirect reference (object number; generations are not needed to find objects).
    Ref(u32),
    Stream(Rc<Stream>),
}

/// A dictionary (few keys: a vector is faster than a map).
#[derive(Debug, Clone, Default)]
pub(crate) struct Dict(pub(crate) Vec<(Vec<u8>, Obj)>);

/// A stream: its dictionary and where its raw data lies in the file.
#[derive(Debug)]
pub(crate) struct Stream {
    pub(crate) dict: Dict,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The object it belongs to (for decryption).
    pub(crate) id: (u32, u16),
}

impl Obj {
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            Obj::Real(r) if r.is_finite() => Some(*r as i64),
            _ => None,
        }
    }
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Obj::Int(i) => Some(*i as f64),
            Obj::Real(r) if r.is_finite() => Some(*r),
            _ => None,
        }
    }
    pub(crate) fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
    pub(crate) fn as_str(&self) -> Option<&[u8]> {
        match self {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }
    pub(crate) fn as_array(&self) -> Option<&[Obj]> {
        match self {
            Obj::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The dictionary of a dictionary or of a stream.
    pub(crate) fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            Obj::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }
}

impl Dict {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Obj> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub(crate) fn name(&self, key: &[u8]) -> Option<&[u8]> {
        self.get(key).and_then(Obj::as_name)
    }
    pub(crate) fn int(&self, key: &[u8]) -> Option<i64> {
        self.get(key).and_then(Obj::as_int)
    }
}

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok<'a> {
    Int(i64),
    Real(f64),
    Name(Vec<u8>),
    Str(Vec<u8>),
    ArrOpen,
    ArrClose,
    DictOpen,
    DictClose,
    Kw(&'a [u8]),
    Eof,
}

pub(crate) fn is_ws(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}
pub(crate) fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// A lexer over a byte buffer.
pub(crate) struct Lexer<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
}

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        Lexer {
            buf,
            pos: pos.min(buf.len()),
        }
    }

    pub(crate) fn skip_ws(&mut self) {
        let b = self.buf;
        while self.pos < b.len() {
            let c = b[self.pos];
            if is_ws(c) {
                self.pos += 1;
            } else if c == b'%' {
                while self.pos < b.len() && b[self.pos] != b'\n' && b[self.pos] != b'\r' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    pub(crate) fn next_tok(&mut self) -> Tok<'a> {
        self.skip_ws();
        let b = self.buf;
        let Some(&c) = b.get(self.pos) else {
            return Tok::Eof;
        };
        match c {
            b'[' => {
                self.pos += 1;
                Tok::ArrOpen
            }
            b']' => {
                self.pos += 1;
                Tok::ArrClose
            }
            b'<' if b.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Tok::DictOpen
            }
            b'>' if b.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Tok::DictClose
            }
            b'<' => Tok::Str(self.hex_string()),
            b'(' => Tok::Str(self.literal_string()),
            b'/' => Tok::Name(self.name()),
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number(),
            _ => {
                let start = self.pos;
                while self.pos < b.len() && !is_ws(b[self.pos]) && !is_delim(b[self.pos]) {
                    self.pos += 1;
                }
                if self.pos == start {
                    self.pos += 1; // a lone delimiter such as ')' or '{'
                }
                Tok::Kw(&b[start..self.pos])
            }
        }
    }

    fn number(&mut self) -> Tok<'a> {
        let b = self.buf;
        let start = self.pos;
        self.pos += 1;
        while self.pos < b.len() && matches!(b[self.pos], b'0'..=b'9' | b'.' | b'-' | b'+') {
            self.pos += 1;
        }
        let s = &b[start..self.pos];
        let text = std::str::from_utf8(s).unwrap_or("0");
        if !text.contains('.') {
            if let Ok(i) = text.parse::<i64>() {
                return Tok::Int(i);
            }
        }
        // Lenient: "--5", "1.2.3" and friends read as far as they make sense.
        let cleaned: String = {
            let t = text.trim_start_matches(['+', '-']);
            let neg = text.starts_with('-');
            let mut seen_dot = false;
            let body: String = t
                .chars()
                .take_while(|&c| {
                    if c == '.' {
                        if seen_dot {
                            return false;
                        }
                        seen_dot = true;
                        true
                    } else {
                        c.is_ascii_digit()
                    }
                })
                .collect();
            format!("{}{}", if neg { "-" } else { "" }, body)
        };
        Tok::Real(cleaned.parse::<f64>().unwrap_or(0.0))
    }

    fn name(&mut self) -> Vec<u8> {
        let b = self.buf;
        self.pos += 1;
        let mut out = Vec::new();
        while self.pos < b.len() && !is_ws(b[self.pos]) && !is_delim(b[self.pos]) {
            let c = b[self.pos];
            if c == b'#' {
                if let (Some(h), Some(l)) = (
                    b.get(self.pos + 1).and_then(|&x| hexval(x)),
                    b.get(self.pos + 2).and_then(|&x| hexval(x)),
                ) {
                    out.push(h * 16 + l);
                    self.pos += 3;
                    continue;
                }
            }
            out.push(c);
            self.pos += 1;
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let b = self.buf;
        self.pos += 1;
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while self.pos < b.len() {
            let c = b[self.pos];
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if let Some(v) = hexval(c) {
                match hi.take() {
                    Some(h) => out.push(h * 16 + v),
                    None => hi = Some(v),
                }
            }
        }
        if let Some(h) = hi {
            out.push(h * 16);
        }
        out
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let b = self.buf;
        self.pos += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        while self.pos < b.len() {
            let c = b[self.pos];
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(&e) = b.get(self.pos) else { break };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            for _ in 0..2 {
                                match b.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + (d - b'0') as u32;
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        b'\r' => {
                            if b.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    // An end of line in a string is a line feed.
                    if b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(c),
            }
        }
        out
    }
}

enum Frame {
    Arr(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>, Option<Vec<u8>>),
}

/// Parses one object at the lexer's position, without recursion. `refs`: whether `N G R` is
/// read as a reference (not in content streams). None on a syntax error, or nesting deeper
/// than `max_depth`. A keyword inside a container ends it (a missing `]` or `>>`).
pub(crate) fn parse_obj(lx: &mut Lexer<'_>, max_depth: usize, refs: bool) -> Option<Obj> {
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let tok = lx.next_tok();
        let value = match tok {
            Tok::Int(i) => {
                let mut v = Obj::Int(i);
                if refs && i >= 0 && i <= u32::MAX as i64 {
                    let save = lx.pos;
                    if let Tok::Int(g) = lx.next_tok() {
                        if (0..=65535).contains(&g) && lx.next_tok() == Tok::Kw(b"R") {
                            v = Obj::Ref(i as u32);
                        } else {
                            lx.pos = save;
                        }
                    } else {
                        lx.pos = save;
                    }
                }
                v
            }
            Tok::Real(r) => Obj::Real(r),
            Tok::Name(n) => Obj::Name(n),
            Tok::Str(s) => Obj::Str(s),
            Tok::ArrOpen | Tok::DictOpen => {
                if stack.len() >= max_depth {
                    return None;
                }
                stack.push(if tok == Tok::ArrOpen {
                    Frame::Arr(Vec::new())
                } else {
                    Frame::Dict(Vec::new(), None)
                });
                continue;
            }
            Tok::ArrClose => match stack.pop() {
                Some(Frame::Arr(v)) => Obj::Array(v),
                Some(Frame::Dict(d, _)) => Obj::Dict(Dict(d)),
                None => return None,
            },
            Tok::DictClose => match stack.pop() {
                Some(Frame::Dict(d, _)) => Obj::Dict(Dict(d)),
                Some(Frame::Arr(v)) => Obj::Array(v),
                None => return None,
            },
            Tok::Kw(b"true") => Obj::Bool(true),
            Tok::Kw(b"false") => Obj::Bool(false),
            Tok::Kw(b"null") => Obj::Null,
            Tok::Kw(_) | Tok::Eof => {
                if stack.is_empty() || matches!(tok, Tok::Eof) && stack.is_empty() {
                    return None;
                }
                // Close everything that is open: a truncated or broken object.
                if let Tok::Kw(_) = tok {
                    lx.pos -= match tok {
                        Tok::Kw(k) => k.len(),
                        _ => 0,
                    };
                }
                let mut v = None;
                while let Some(f) = stack.pop() {
                    let o = match f {
                        Frame::Arr(mut a) => {
                            if let Some(inner) = v.take() {
                                a.push(inner);
                            }
                            Obj::Array(a)
                        }
                        Frame::Dict(mut d, key) => {
                            if let (Some(k), Some(inner)) = (key, v.take()) {
                                d.push((k, inner));
                            }
                            Obj::Dict(Dict(d))
                        }
                    };
                    v = Some(o);
                }
                return v;
            }
        };
        match stack.last_mut() {
            None => return Some(value),
            Some(Frame::Arr(a)) => a.push(value),
            Some(Frame::Dict(d, key)) => match key.take() {
                None => {
                    if let Obj::Name(n) = value {
                        *key = Some(n);
                    }
                }
                Some(k) => d.push((k, value)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Option<Obj> {
        parse_obj(&mut Lexer::new(s, 0), 100, true)
    }

    #[test]
    fn parses_nested_objects_and_refs() {
        let o =
            parse(b"<< /Type /Page /Kids [1 0 R 2 0 R] /N 3 /S (a\\(b\\)) /H <414> >>").unwrap();
        let d = o.as_dict().unwrap();
        assert_eq!(d.name(b"Type"), Some(&b"Page"[..]));
        assert!(matches!(
            d.get(b"Kids").unwrap().as_array().unwrap()[1],
            Obj::Ref(2)
        ));
        assert_eq!(d.get(b"S").unwrap().as_str(), Some(&b"a(b)"[..]));
        assert_eq!(d.get(b"H").unwrap().as_str(), Some(&b"A@"[..]));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let deep = vec![b'['; 1_000_000];
        assert!(parse(&deep).is_none());
    }
}
