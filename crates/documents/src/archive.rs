//! Archives: ZIP (zip64 too; every entry recursed through the decoder, entry names in labels;
//! Office documents handed to `office`), gzip (multi-member; the content keeps the gzip's own
//! label) and tar (POSIX/GNU, long names and pax paths), nested up to `max_depth`.

use crate::limits::Capped;
use crate::sniff::{parse_octal, tar_checksum_ok};
use crate::text::clean_name;
use crate::{
    Ctx, DOCUMENT_ENCRYPTED, DOCUMENT_LIMIT, DOCUMENT_PARTIAL, DOCUMENT_UNSUPPORTED, Format,
    ReadSeek, decode_reader, office,
};
use flate2::read::MultiGzDecoder;
use std::io::{self, Read, SeekFrom};
use zip::result::ZipError;
use zip::{CompressionMethod, ZipArchive};

/// Decodes a ZIP read in place: an Office document if its entries say so, else every entry.
pub(crate) fn zip(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn ReadSeek,
    depth: usize,
) -> io::Result<Format> {
    if let Some(n) = declared_entries(input) {
        if n > ctx.limits.max_entries as u64 * 4 {
            // Opening would index every entry first: read the entries one by one instead.
            ctx.warn(
                DOCUMENT_LIMIT,
                format!(
                    "{label}: declares {n} entries (max_entries {}); read sequentially",
                    ctx.limits.max_entries
                ),
            );
            input.seek(SeekFrom::Start(0))?;
            return zip_stream(ctx, label, input, depth);
        }
    }
    let mut archive = match ZipArchive::new(&mut *input) {
        Ok(a) => a,
        Err(e) => {
            ctx.warn(
                DOCUMENT_PARTIAL,
                format!("{label}: ZIP central directory unreadable ({e}); entries read one by one"),
            );
            input.seek(SeekFrom::Start(0))?;
            return zip_stream(ctx, label, input, depth);
        }
    };
    if let Some(kind) = office::kind(&mut archive) {
        office::decode(ctx, label, &mut archive, kind, depth)?;
        return Ok(kind);
    }
    if !ctx.may_nest(label, depth) {
        return Ok(Format::Zip);
    }
    for i in 0..archive.len() {
        let (name, is_dir, method) = match archive.by_index_raw(i) {
            Ok(f) => (f.name().to_string(), f.is_dir(), f.compression()),
            Err(e) => {
                ctx.warn(
                    DOCUMENT_PARTIAL,
                    format!("{label}: entry {i} unreadable: {e}"),
                );
                continue;
            }
        };
        if is_dir {
            continue;
        }
        let child = format!("{label}/{}", clean_name(&name));
        if !ctx.take_entry(&child) {
            break;
        }
        match archive.by_index(i) {
            Ok(file) => {
                let mut capped = Capped::new(file, &ctx.budget);
                if let Err(e) = decode_reader(ctx, &child, &mut capped, depth + 1) {
                    ctx.branch_error(&child, e)?;
                }
            }
            Err(e) => entry_error(ctx, &child, e, method),
        }
        ctx.note_budget(&child);
        if ctx.budget.remaining() == 0 {
            break;
        }
    }
    Ok(Format::Zip)
}

/// Warns that the entry `child`, compressed with `method`, could not be opened: encrypted,
/// compressed in a way not read, or damaged.
pub(crate) fn entry_error(ctx: &mut Ctx<'_>, child: &str, e: ZipError, method: CompressionMethod) {
    match e {
        ZipError::UnsupportedArchive(m) if m == ZipError::PASSWORD_REQUIRED => ctx.warn(
            DOCUMENT_ENCRYPTED,
            format!("{child}: encrypted ZIP entry not read"),
        ),
        ZipError::UnsupportedArchive(m) => ctx.warn(
            DOCUMENT_UNSUPPORTED,
            format!("{child}: not read: {m} ({})", method_name(method)),
        ),
        e => ctx.warn(DOCUMENT_PARTIAL, format!("{child}: unreadable: {e}")),
    }
}

/// The name of a ZIP compression method, for a warning: those this build does not decode
/// (LZMA, xz, zstd, PPMd, the legacy ones) come from the zip crate as numbers.
#[allow(deprecated)] // `Unsupported` is the only way to match a method built without.
fn method_name(method: CompressionMethod) -> String {
    match method {
        CompressionMethod::Unsupported(n) => match n {
            1 => "Shrink".into(),
            2..=5 => "Reduce".into(),
            6 => "Implode".into(),
            14 => "LZMA".into(),
            93 => "zstd".into(),
            95 => "xz".into(),
            98 => "PPMd".into(),
            n => format!("compression method {n}"),
        },
        m => m.to_string(),
    }
}

/// The entry count declared by the end-of-central-directory record (not zip64), if found.
fn declared_entries(input: &mut dyn ReadSeek) -> Option<u64> {
    let len = input.seek(SeekFrom::End(0)).ok()?;
    let tail = len.min(65_557);
    input.seek(SeekFrom::Start(len - tail)).ok()?;
    let mut buf = Vec::new();
    input.take(tail).read_to_end(&mut buf).ok()?;
    input.seek(SeekFrom::Start(0)).ok()?;
    let pos = buf.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let rec = buf.get(pos..pos + 22)?;
    let n = u16::from_le_bytes([rec[10], rec[11]]);
    (n != 0xFFFF).then_some(n as u64)
}

/// Reads ZIP entries from their local headers, one after another (a ZIP whose central
/// directory is missing or too large). Entries whose size is only given after their data
/// (data descriptors) end the walk.
fn zip_stream(
    ctx: &mut Ctx<'_>,
    label: &str,
    mut input: &mut dyn Read,
    depth: usize,
) -> io::Result<Format> {
    if !ctx.may_nest(label, depth) {
        return Ok(Format::Zip);
    }
    loop {
        match zip::read::read_zipfile_from_stream(&mut input) {
            Ok(Some(file)) => {
                if file.is_dir() {
                    continue;
                }
                let child = format!("{label}/{}", clean_name(file.name()));
                if !ctx.take_entry(&child) {
                    break;
                }
                let mut capped = Capped::new(file, &ctx.budget);
                if let Err(e) = decode_reader(ctx, &child, &mut capped, depth + 1) {
                    ctx.branch_error(&child, e)?;
                }
                // Whatever the decoder left unread is skipped when `file` drops.
                ctx.note_budget(&child);
                if ctx.budget.remaining() == 0 {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                ctx.warn(
                    DOCUMENT_PARTIAL,
                    format!("{label}: ZIP entries end early: {e}"),
                );
                break;
            }
        }
    }
    Ok(Format::Zip)
}

/// Decodes a gzip stream (all members); its content is decoded under the same label.
pub(crate) fn gzip(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    depth: usize,
) -> io::Result<Format> {
    if !ctx.may_nest(label, depth) {
        return Ok(Format::Gzip);
    }
    let mut capped = Capped::new(MultiGzDecoder::new(input), &ctx.budget);
    if let Err(e) = decode_reader(ctx, label, &mut capped, depth + 1) {
        ctx.branch_error(label, e)?;
    }
    ctx.note_budget(label);
    Ok(Format::Gzip)
}

/// Reads as much of `buf` as there is; the count read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Size field of a tar header: octal, or GNU base-256 when the high bit is set.
fn tar_size(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut v: u64 = (field[0] & 0x7f) as u64;
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(b as u64)?;
        }
        return Some(v);
    }
    parse_octal(field).or(Some(0))
}

/// The `path` record of a pax extended header.
fn pax_path(data: &[u8]) -> Option<String> {
    let s = String::from_utf8_lossy(data);
    s.lines().find_map(|l| {
        l.split_once(' ')
            .and_then(|(_, kv)| kv.strip_prefix("path="))
            .map(str::to_string)
    })
}

/// Decodes a tar stream: every regular file recursed, named `label/path`.
pub(crate) fn tar(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn Read,
    depth: usize,
) -> io::Result<Format> {
    if !ctx.may_nest(label, depth) {
        return Ok(Format::Tar);
    }
    let mut next_name: Option<String> = None;
    loop {
        let mut block = [0u8; 512];
        let n = read_full(input, &mut block)?;
        if n == 0 || block.iter().all(|&b| b == 0) {
            break;
        }
        if n < 512 || !tar_checksum_ok(&block) {
            ctx.warn(
                DOCUMENT_PARTIAL,
                format!("{label}: tar header damaged or cut short; the rest was skipped"),
            );
            break;
        }
        let size = tar_size(&block[124..136]).unwrap_or(0);
        let padded = size.div_ceil(512) * 512;
        let typeflag = block[156];
        let mut entry = input.take(size);
        match typeflag {
            b'L' | b'x' => {
                let mut data = Vec::new();
                (&mut entry).take(64 << 10).read_to_end(&mut data)?;
                next_name = if typeflag == b'L' {
                    Some(
                        String::from_utf8_lossy(data.split(|&c| c == 0).next().unwrap_or(&[]))
                            .into_owned(),
                    )
                } else {
                    pax_path(&data)
                };
            }
            b'0' | 0 | b'7' => {
                let name = next_name.take().unwrap_or_else(|| {
                    let field = |r: std::ops::Range<usize>| {
                        let f = &block[r];
                        String::from_utf8_lossy(
                            &f[..f.iter().position(|&c| c == 0).unwrap_or(f.len())],
                        )
                        .into_owned()
                    };
                    let (prefix, name) = (field(345..500), field(0..100));
                    if &block[257..263] == b"ustar\0" && !prefix.is_empty() {
                        format!("{prefix}/{name}")
                    } else {
                        name
                    }
                });
                let child = format!("{label}/{}", clean_name(name.trim_start_matches("./")));
                if !ctx.take_entry(&child) {
                    break;
                }
                if let Err(e) = decode_reader(ctx, &child, &mut entry, depth + 1) {
                    ctx.branch_error(&child, e)?;
                }
                ctx.note_budget(&child);
            }
            _ => next_name = None,
        }
        // Skip what the entry's decoder left, and the padding.
        let left = entry.limit();
        io::copy(&mut entry, &mut io::sink())?;
        io::copy(&mut input.take(padded - size), &mut io::sink())?;
        if ctx.budget.remaining() == 0 || (left > 0 && ctx.budget.exhausted()) {
            break;
        }
    }
    Ok(Format::Tar)
}
