//! The response writer: one JSON document per action, written as serde writes a
//! [`Response`] — but for its results, which are written by hand, in batches spread over the
//! cores for large actions, so that memory holds a batch of their text and not the whole
//! response. A test holds the output to serde's, byte for byte.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use crate::protocol::{Attribute, ErrorBody, Indicator, IpResult, Meta, Response, Status, Summary};

/// Results written by one thread at a time, and the most held in memory as text at once.
const BATCH: usize = 8192;

/// Writes `response` to `out` as one JSON document (indented when `pretty`, the records
/// too), without a newline.
pub fn write_response(response: &Response, out: &mut dyn Write, pretty: bool) -> io::Result<()> {
    if pretty {
        let mut compact = Vec::new();
        write_response(response, &mut compact, false)?;
        return crate::indent::indent(&compact, out);
    }
    // The fields before the results, as serde writes them, but for the closing brace.
    let head = serde_json::to_vec(&Head {
        status: response.status,
        action: &response.action,
    })?;
    out.write_all(&head[..head.len() - 1])?;
    out.write_all(b",\"results\":[")?;
    write_all_results(&response.results, out)?;
    out.write_all(b"]")?;
    // The fields after the results, as serde writes them, but for the opening brace (the
    // description of a large attachment is tens of megabytes: it is written straight out).
    out.write_all(b",")?;
    let tail = Tail {
        attributes: &response.attributes,
        indicators: &response.indicators,
        warnings: &response.warnings,
        errors: &response.errors,
        meta: &response.meta,
        summary: &response.summary,
        description: &response.description,
        map_url: &response.map_url,
    };
    let mut rest = SkipFirstByte {
        out,
        skipped: false,
    };
    serde_json::to_writer(&mut rest, &tail)?;
    Ok(())
}

/// A writer that passes on everything but the first byte it is given.
struct SkipFirstByte<'a> {
    out: &'a mut dyn Write,
    skipped: bool,
}

impl Write for SkipFirstByte<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.skipped || buf.is_empty() {
            return self.out.write(buf);
        }
        self.skipped = true;
        self.out.write_all(&buf[1..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// [`Response`]'s fields before `results`, in its order.
#[derive(Serialize)]
struct Head<'a> {
    status: Status,
    action: &'a Option<String>,
}

/// [`Response`]'s fields after `results`, in its order, skipped as it skips them.
#[derive(Serialize)]
struct Tail<'a> {
    attributes: &'a [Attribute],
    indicators: &'a [Indicator],
    warnings: &'a [ErrorBody],
    errors: &'a [ErrorBody],
    meta: &'a Option<Meta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: &'a Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    map_url: &'a Option<String>,
}

/// Writes `results` as JSON, joined by commas: in batches, each batch's results rendered in
/// parts on every core into buffers that are reused from batch to batch, then written in order.
fn write_all_results(results: &[IpResult], out: &mut dyn Write) -> io::Result<()> {
    let parts = rayon::current_num_threads()
        .min(results.len().div_ceil(BATCH))
        .max(1);
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); parts];
    for (i, batch) in results.chunks(BATCH).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let share = batch.len().div_ceil(parts);
        let written: Vec<io::Result<()>> = if results.len() < BATCH {
            vec![write_results(&mut buffers[0], batch)]
        } else {
            batch
                .par_chunks(share)
                .zip(buffers.par_iter_mut())
                .map(|(part, buffer)| write_results(buffer, part))
                .collect()
        };
        for (j, (done, buffer)) in written.into_iter().zip(&buffers).enumerate() {
            done?;
            if j > 0 {
                out.write_all(b",")?;
            }
            out.write_all(buffer)?;
        }
    }
    Ok(())
}

/// Writes `results` into `out` (emptied first) as JSON, joined by commas.
fn write_results(out: &mut Vec<u8>, results: &[IpResult]) -> io::Result<()> {
    out.clear();
    out.reserve(results.len() * 1536);
    for (i, result) in results.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        result.write_json(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::error::Error;
    use crate::protocol::{Listed, Origin, RawJson};

    /// Results with every field in use, lists shared as a record's addresses share them.
    fn results(n: usize) -> Vec<IpResult> {
        let attributes: Vec<Listed<Attribute>> = (0..3)
            .map(|k| {
                Listed::new(
                    (0..k)
                        .map(|j| Attribute {
                            name: "City",
                            value: format!("Town \"{j}\""),
                        })
                        .collect(),
                )
            })
            .collect();
        let indicators = Listed::new(vec![Indicator {
            kind: "ASN",
            value: "20712".into(),
        }]);
        (0..n as u32)
            .map(|i| IpResult {
                ip: std::net::Ipv4Addr::from(i).to_string(),
                source: [None, Some(Origin::Content), Some(Origin::Both)][i as usize % 3],
                found_in: (i % 3 == 0).then(|| Arc::from("logs.zip/a \"b\".log")),
                found_as_network: (i % 5 == 0).then(|| format!("0.0.{}.0/24", i % 256)),
                network: (i % 2 == 0).then(|| "0.0.0.0/8".to_owned()),
                data: Some(RawJson::spliced(Arc::from("{\"n\":}"), 5, i.to_string())),
                attributes: attributes[i as usize % 3].clone(),
                indicators: if i % 4 == 0 {
                    indicators.clone()
                } else {
                    Listed::default()
                },
                error: (i % 7 == 0).then(|| ErrorBody::warning("not_found", "none")),
            })
            .collect()
    }

    #[test]
    fn a_response_is_written_as_serde_writes_it() {
        for n in [0, 1, 3, BATCH + 1, 3 * BATCH + 17] {
            for description in [None, Some("<td>é\"\\\n\u{1}</td>".repeat(100))] {
                let mut response = Response::failed(
                    Some("x".into()),
                    &Error::Internal("\u{7}".into()),
                    Vec::new(),
                );
                response.results = results(n);
                response.summary = Some(Summary::default());
                response.description = description;
                response.map_url = Some("https://example/?a=\"b\"".into());
                let expected = serde_json::to_vec(&response).unwrap();
                let mut written = Vec::new();
                write_response(&response, &mut written, false).unwrap();
                assert!(written == expected, "{n} results");
                // Indented, the records too: the same document on more lines.
                let mut pretty = Vec::new();
                write_response(&response, &mut pretty, true).unwrap();
                let value =
                    |json: &[u8]| serde_json::from_slice::<serde_json::Value>(json).unwrap();
                assert_eq!(value(&pretty), value(&expected));
                let pretty = String::from_utf8(pretty).unwrap();
                assert_eq!(n > 0, pretty.contains("\"data\": {\n"), "{n} results");
            }
        }
    }

    #[test]
    fn results_stay_in_order_across_batches() {
        let mut response = Response::failed(None, &Error::Internal("x".into()), Vec::new());
        response.results = results(3 * BATCH + 5);
        let mut written = Vec::new();
        write_response(&response, &mut written, false).unwrap();
        let parsed: serde_json::Value = serde_json::from_slice(&written).unwrap();
        let back = parsed["results"].as_array().unwrap();
        assert_eq!(back.len(), 3 * BATCH + 5);
        for (i, r) in back.iter().enumerate() {
            assert_eq!(r["data"]["n"], i, "result {i} in place");
        }
    }
}
