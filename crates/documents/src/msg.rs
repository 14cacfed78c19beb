//! Outlook `.msg` (a CFB compound file): transport headers, subject, sender and recipients,
//! plain and HTML bodies, attachments recursed through the decoder, embedded messages walked.
//! The compressed-RTF body is not read (Outlook also stores the plain and HTML bodies).

use crate::text::{Sep, TextOut, bytes_to_string, clean_name};
use crate::{Ctx, DOCUMENT_PARTIAL, Format, ReadSeek, decode_bytes, html};
use cfb::CompoundFile;
use std::io::{self, Read, Seek};

/// Decodes a `.msg` read in place. A CFB file that is not a message (e.g. a legacy `.doc`) is
/// handed on as raw bytes.
pub(crate) fn decode(
    ctx: &mut Ctx<'_>,
    label: &str,
    input: &mut dyn ReadSeek,
    depth: usize,
) -> io::Result<Format> {
    let mut cf = match CompoundFile::open(&mut *input) {
        Ok(cf) => cf,
        Err(e) => {
            ctx.warn(
                DOCUMENT_PARTIAL,
                format!("{label}: compound file unreadable ({e}); handed on as raw bytes"),
            );
            input.seek(io::SeekFrom::Start(0))?;
            ctx.emit_raw(label, input)?;
            return Ok(Format::Other);
        }
    };
    let is_msg = cf
        .read_root_storage()
        .any(|e| e.name().starts_with("__substg1.0_") || e.name().starts_with("__properties"));
    if !is_msg {
        drop(cf);
        input.seek(io::SeekFrom::Start(0))?;
        ctx.emit_raw(label, input)?;
        return Ok(Format::Other);
    }
    walk(ctx, label, &mut cf, "/", depth)?;
    Ok(Format::Msg)
}

/// A property stream's bytes (capped at `max_buffer_bytes`), if it exists.
fn stream<F: Read + Seek>(ctx: &Ctx<'_>, cf: &mut CompoundFile<F>, path: &str) -> Option<Vec<u8>> {
    if !cf.is_stream(path) {
        return None;
    }
    let mut s = cf.open_stream(path).ok()?;
    let mut v = Vec::new();
    (&mut s)
        .take(ctx.limits.max_buffer_bytes)
        .read_to_end(&mut v)
        .ok()?;
    Some(v)
}

/// A string property (`…001F` UTF-16LE or `…001E` 8-bit).
fn string<F: Read + Seek>(
    ctx: &Ctx<'_>,
    cf: &mut CompoundFile<F>,
    dir: &str,
    tag: &str,
) -> Option<String> {
    if let Some(b) = stream(ctx, cf, &format!("{dir}__substg1.0_{tag}001F")) {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return Some(
            String::from_utf16_lossy(&units)
                .trim_end_matches('\0')
                .to_string(),
        );
    }
    stream(ctx, cf, &format!("{dir}__substg1.0_{tag}001E"))
        .map(|b| bytes_to_string(&b).trim_end_matches('\0').to_string())
}

/// Sub-storages of `dir` whose names start with `prefix`, sorted.
fn storages<F: Read + Seek>(cf: &CompoundFile<F>, dir: &str, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = match cf.read_storage(dir) {
        Ok(entries) => entries
            .filter(|e| e.is_storage() && e.name().starts_with(prefix))
            .map(|e| e.name().to_string())
            .collect(),
        Err(_) => vec![],
    };
    v.sort();
    v
}

fn walk<F: Read + Seek>(
    ctx: &mut Ctx<'_>,
    label: &str,
    cf: &mut CompoundFile<F>,
    dir: &str,
    depth: usize,
) -> io::Result<()> {
    // Headers: transport headers as received, then subject, sender and recipients.
    let mut out = TextOut::new(format!("{label} headers"));
    if let Some(h) = string(ctx, cf, dir, "007D") {
        out.push(
            &h.replace("\r\n", "\n")
                .replace("\n ", " ")
                .replace("\n\t", " "),
        );
        out.sep(Sep::Line);
    }
    for (name, tag) in [
        ("Subject", "0037"),
        ("From", "0C1A"),
        ("From", "0C1F"),
        ("To", "0E04"),
        ("Cc", "0E03"),
    ] {
        if let Some(v) = string(ctx, cf, dir, tag).filter(|v| !v.is_empty()) {
            out.push(&format!("{name}: {v}"));
            out.sep(Sep::Line);
        }
    }
    for r in storages(cf, dir, "__recip_version1.0_") {
        let rdir = format!("{dir}{r}/");
        for tag in ["3001", "39FE", "3003"] {
            if let Some(v) = string(ctx, cf, &rdir, tag).filter(|v| !v.is_empty()) {
                out.push(&v);
                out.sep(Sep::Line);
            }
        }
    }
    out.flush(ctx)?;
    if let Some(body) = string(ctx, cf, dir, "1000") {
        ctx.emit_text(&format!("{label} body"), &body)?;
    }
    let html_body = stream(ctx, cf, &format!("{dir}__substg1.0_10130102"))
        .or_else(|| string(ctx, cf, dir, "1013").map(String::into_bytes));
    if let Some(h) = html_body {
        html::to_text(
            ctx,
            &format!("{label} body text/html"),
            &bytes_to_string(&h),
        )?;
    }
    let attachments = storages(cf, dir, "__attach_version1.0_");
    if attachments.is_empty() || !ctx.may_nest(label, depth) {
        return Ok(());
    }
    for (k, a) in attachments.iter().enumerate() {
        let adir = format!("{dir}{a}/");
        let name = string(ctx, cf, &adir, "3707")
            .or_else(|| string(ctx, cf, &adir, "3704"))
            .map(|n| clean_name(&n));
        let child = format!(
            "{label} attachment {} {}",
            k + 1,
            name.as_deref().unwrap_or("(unnamed)")
        );
        if !ctx.take_entry(&child) {
            break;
        }
        let embedded = format!("{adir}__substg1.0_3701000D");
        let result = if cf.is_storage(&embedded) {
            walk(ctx, &child, cf, &format!("{embedded}/"), depth + 1)
        } else if let Some(data) = stream(ctx, cf, &format!("{adir}__substg1.0_37010102")) {
            decode_bytes(ctx, &child, &data, depth + 1).map(|_| ())
        } else {
            Ok(())
        };
        if let Err(e) = result {
            ctx.branch_error(&child, e)?;
        }
    }
    Ok(())
}
