//! PDF stream filters: Flate (zlib, or raw deflate), LZW, ASCII85, ASCIIHex, RunLength, and the
//! PNG and TIFF predictors. Every decoder writes into an output capped at a given size; image
//! codecs (DCT, JPX, CCITT, JBIG2) are reported, never decoded.

use super::lexer::{Dict, Obj};
use flate2::read::{DeflateDecoder, ZlibDecoder};
use std::io::Read;

/// The result of decoding a stream.
pub(crate) struct Decoded {
    pub(crate) data: Vec<u8>,
    /// The output cap was reached.
    pub(crate) truncated: bool,
    /// The data was corrupt; `data` holds what came before.
    pub(crate) corrupt: bool,
    /// A filter that is not decoded (its name).
    pub(crate) unsupported: Option<String>,
}

/// Applies a stream's filters in order, each output capped at `cap` bytes.
pub(crate) fn decode(raw: &[u8], filters: &[(Vec<u8>, Option<Dict>)], cap: usize) -> Decoded {
    let mut d = Decoded {
        data: raw.to_vec(),
        truncated: false,
        corrupt: false,
        unsupported: None,
    };
    for (name, parms) in filters {
        let input = std::mem::take(&mut d.data);
        let (out, ok) = match name.as_slice() {
            b"FlateDecode" | b"Fl" => flate(&input, cap),
            b"LZWDecode" | b"LZW" => {
                let early = parms
                    .as_ref()
                    .and_then(|p| p.int(b"EarlyChange"))
                    .unwrap_or(1)
                    != 0;
                lzw(&input, cap, early)
            }
            b"ASCII85Decode" | b"A85" => ascii85(&input, cap),
            b"ASCIIHexDecode" | b"AHx" => ascii_hex(&input, cap),
            b"RunLengthDecode" | b"RL" => run_length(&input, cap),
            b"Crypt" => (input, true),
            other => {
                d.unsupported = Some(String::from_utf8_lossy(other).into_owned());
                return d;
            }
        };
        d.truncated |= out.len() >= cap;
        d.corrupt |= !ok;
        d.data = out;
        if matches!(
            name.as_slice(),
            b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW"
        ) {
            if let Some(p) = parms {
                d.data = predict(std::mem::take(&mut d.data), p);
            }
        }
    }
    d
}

/// The filters of a stream dictionary with their parameters.
pub(crate) fn filter_list(dict: &Dict) -> Vec<(Vec<u8>, Option<Dict>)> {
    let parms: Vec<Option<Dict>> = match dict.get(b"DecodeParms").or_else(|| dict.get(b"DP")) {
        Some(Obj::Dict(d)) => vec![Some(d.clone())],
        Some(Obj::Array(a)) => a.iter().map(|o| o.as_dict().cloned()).collect(),
        _ => vec![],
    };
    let names: Vec<Vec<u8>> = match dict.get(b"Filter").or_else(|| dict.get(b"F")) {
        Some(Obj::Name(n)) => vec![n.clone()],
        Some(Obj::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().map(<[u8]>::to_vec))
            .collect(),
        _ => vec![],
    };
    names
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, parms.get(i).cloned().flatten()))
        .collect()
}

/// Filters whose output is an image, never text.
pub(crate) fn is_image_filter(name: &[u8]) -> bool {
    matches!(
        name,
        b"DCTDecode" | b"DCT" | b"JPXDecode" | b"CCITTFaxDecode" | b"CCF" | b"JBIG2Decode"
    )
}

fn read_capped(mut r: impl Read, cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let res = (&mut r).take(cap as u64).read_to_end(&mut out);
    (out, res.is_ok())
}

fn flate(input: &[u8], cap: usize) -> (Vec<u8>, bool) {
    // A zlib header: CM = 8 and a valid check value; otherwise try raw deflate.
    let zlib = input.len() >= 2
        && input[0] & 0x0f == 8
        && (u16::from(input[0]) << 8 | u16::from(input[1])) % 31 == 0;
    if zlib {
        let (out, ok) = read_capped(ZlibDecoder::new(input), cap);
        if ok || !out.is_empty() {
            return (out, ok);
        }
    }
    read_capped(DeflateDecoder::new(input), cap)
}

fn lzw(input: &[u8], cap: usize, early: bool) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut table: Vec<Vec<u8>> = Vec::with_capacity(4096);
    let reset = |t: &mut Vec<Vec<u8>>| {
        t.clear();
        for i in 0..256u16 {
            t.push(vec![i as u8]);
        }
        t.push(vec![]);
        t.push(vec![]);
    };
    reset(&mut table);
    let (mut bits, mut nbits, mut width) = (0u32, 0u32, 9u32);
    let mut prev: Option<usize> = None;
    for &byte in input {
        bits = (bits << 8) | byte as u32;
        nbits += 8;
        while nbits >= width {
            let code = ((bits >> (nbits - width)) & ((1 << width) - 1)) as usize;
            nbits -= width;
            bits &= (1 << nbits) - 1;
            match code {
                256 => {
                    reset(&mut table);
                    width = 9;
                    prev = None;
                    continue;
                }
                257 => return (out, true),
                _ => {}
            }
            let entry = if code < table.len() {
                let e = table[code].clone();
                if let Some(p) = prev {
                    let mut n = table[p].clone();
                    n.push(e[0]);
                    table.push(n);
                }
                e
            } else if let Some(p) = prev {
                if code != table.len() {
                    return (out, false);
                }
                let mut n = table[p].clone();
                n.push(table[p][0]);
                table.push(n.clone());
                n
            } else {
                return (out, false);
            };
            out.extend_from_slice(&entry);
            if out.len() >= cap {
                out.truncate(cap);
                return (out, true);
            }
            prev = Some(code);
            let next = table.len() + usize::from(early);
            width = match next {
                n if n >= 2048 => 12,
                n if n >= 1024 => 11,
                n if n >= 512 => 10,
                _ => 9,
            };
            if table.len() >= 4096 {
                // Full table without a clear code: keep decoding with what there is.
                table.truncate(4095);
            }
        }
    }
    (out, true)
}

fn ascii85(input: &[u8], cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut group = [0u8; 5];
    let mut n = 0;
    let body = input.strip_prefix(b"<~").unwrap_or(input);
    for &c in body {
        if out.len() >= cap {
            out.truncate(cap);
            return (out, true);
        }
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0, 0, 0, 0]),
            b'!'..=b'u' => {
                group[n] = c - b'!';
                n += 1;
                if n == 5 {
                    let v = group.iter().fold(0u64, |acc, &d| acc * 85 + d as u64);
                    if v > u32::MAX as u64 {
                        return (out, false);
                    }
                    out.extend_from_slice(&(v as u32).to_be_bytes());
                    n = 0;
                }
            }
            c if super::lexer::is_ws(c) => {}
            _ => return (out, false),
        }
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        let v = group
            .iter()
            .fold(0u64, |acc, &d| acc * 85 + d as u64)
            .min(u32::MAX as u64);
        out.extend_from_slice(&(v as u32).to_be_bytes()[..n - 1]);
    }
    out.truncate(cap);
    (out, true)
}

fn ascii_hex(input: &[u8], cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut hi: Option<u8> = None;
    for &c in input {
        if c == b'>' || out.len() >= cap {
            break;
        }
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => continue,
        };
        match hi.take() {
            Some(h) => out.push(h * 16 + v),
            None => hi = Some(v),
        }
    }
    if let Some(h) = hi {
        out.push(h * 16);
    }
    out.truncate(cap);
    (out, true)
}

fn run_length(input: &[u8], cap: usize) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() && out.len() < cap {
        let len = input[i];
        i += 1;
        match len {
            128 => break,
            0..=127 => {
                let n = len as usize + 1;
                let end = (i + n).min(input.len());
                out.extend_from_slice(&input[i..end]);
                i = end;
            }
            _ => {
                if let Some(&b) = input.get(i) {
                    out.extend(std::iter::repeat_n(b, 257 - len as usize));
                }
                i += 1;
            }
        }
    }
    out.truncate(cap);
    (out, true)
}

/// Undoes a PNG (10–15) or TIFF (2) predictor.
fn predict(data: Vec<u8>, p: &Dict) -> Vec<u8> {
    let predictor = p.int(b"Predictor").unwrap_or(1);
    if predictor < 2 {
        return data;
    }
    let colors = p.int(b"Colors").unwrap_or(1).clamp(1, 32) as usize;
    let bpc = p.int(b"BitsPerComponent").unwrap_or(8).clamp(1, 16) as usize;
    let columns = p.int(b"Columns").unwrap_or(1).clamp(1, 1 << 16) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row = (columns * colors * bpc).div_ceil(8);
    if predictor == 2 {
        let mut data = data;
        if bpc == 8 {
            for r in data.chunks_mut(row) {
                for i in bpp..r.len() {
                    r[i] = r[i].wrapping_add(r[i - bpp]);
                }
            }
        }
        return data;
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row];
    for chunk in data.chunks(row + 1) {
        let (&kind, src) = match chunk.split_first() {
            Some(x) => x,
            None => break,
        };
        let mut cur = vec![0u8; row];
        cur[..src.len()].copy_from_slice(src);
        for i in 0..row {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match kind {
                1 => cur[i].wrapping_add(a),
                2 => cur[i].wrapping_add(b),
                3 => cur[i].wrapping_add(((a as u16 + b as u16) / 2) as u8),
                4 => {
                    let pa = (b as i16 - c as i16).abs();
                    let pb = (a as i16 - c as i16).abs();
                    let pc = (a as i16 + b as i16 - 2 * c as i16).abs();
                    let pred = if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    };
                    cur[i].wrapping_add(pred)
                }
                _ => cur[i],
            };
        }
        out.extend_from_slice(&cur[..src.len()]);
        prev = cur;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_filters_and_run_length() {
        assert_eq!(ascii_hex(b"48 65 6c6C6f>", 100).0, b"Hello");
        assert_eq!(ascii85(b"87cURD]i,\"Ebo7~>", 100).0, b"Hello World");
        assert_eq!(
            run_length(&[2, b'a', b'b', b'c', 254, b'x', 128], 100).0,
            b"abcxxx"
        );
    }

    #[test]
    fn lzw_decodes_the_spec_example() {
        // PDF reference, LZWDecode example: 2D 2D 2D 2D 2D 41 2D 2D 2D 42
        let enc = [0x80, 0x0B, 0x60, 0x50, 0x22, 0x0C, 0x0C, 0x85, 0x01];
        assert_eq!(
            lzw(&enc, 100, true).0,
            [0x2D, 0x2D, 0x2D, 0x2D, 0x2D, 0x41, 0x2D, 0x2D, 0x2D, 0x42]
        );
    }

    #[test]
    fn flate_is_capped() {
        use flate2::{Compression, write::ZlibEncoder};
        use std::io::Write;
        let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
        e.write_all(&vec![0u8; 10 << 20]).unwrap();
        let z = e.finish().unwrap();
        let d = decode(&z, &[(b"FlateDecode".to_vec(), None)], 1 << 20);
        assert_eq!(d.data.len(), 1 << 20);
        assert!(d.truncated);
    }
}
