//! The Lookup All Related IPs action: the IPs of an attachment's related indicators and content,
//! looked up together, summed up, and written into the attachment's description.

use foldhash::{HashMap, HashMapExt};
use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;

use super::{Outcome, Session, Targets, attachment, describe, run_targets};
use crate::config::Config;
use crate::error::Error;
use crate::extract::ScanError;
use crate::ip;
use crate::mapping::Display;
use crate::paths::{self, Confine};
use crate::protocol::{
    Action, AsnCount, CountryCount, ErrorBody, IpResult, Object, Origin, Request, Response, Status,
    Summary,
};
use crate::render::{self, Map, Report, TableRow, Tally};

/// The run parameters this action takes.
const PARAMS: [&str; 2] = ["apply_results_to_description", "dry_run"];

/// Runs Lookup All Related IPs on the request's attachment.
pub(crate) fn lookup_all_related(
    session: &Session,
    config: &Config,
    request: &Request,
    mut warnings: Vec<ErrorBody>,
    content: Option<&mut (dyn Read + Send)>,
) -> Response {
    let action = Action::LookupAllRelatedIps;
    let name = Some(action.as_str().to_owned());
    let object = match &request.object {
        Some(o) if o.kind.eq_ignore_ascii_case("attachment") => o,
        other => {
            let e = Error::UnsupportedObject {
                action: action.as_str(),
                object: describe(other.as_ref()),
                hint: "it runs on attachments; use Lookup for one IP indicator",
            };
            return Response::failed(name, &e, warnings);
        }
    };
    for key in request
        .params
        .keys()
        .filter(|k| !PARAMS.contains(&k.as_str()))
    {
        warnings.push(ErrorBody::warning(
            "unknown_param",
            format!(
                "Lookup All Related IPs does not take {:?}; it was ignored",
                crate::error::shorten(key)
            ),
        ));
    }
    let apply = match super::bool_param(&request.params, "apply_results_to_description", true) {
        Ok(b) => b,
        Err(e) => return Response::failed(name, &e, warnings),
    };
    let dry_run = match super::bool_param(&request.params, "dry_run", false) {
        Ok(b) => b,
        Err(e) => return Response::failed(name, &e, warnings),
    };
    let mut targets = Targets::default();
    for related in &object.related_indicators {
        if ["IP Address", "IPv6 Address"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&related.kind))
        {
            targets.add_value(&related.value, Some(Origin::Related));
        }
    }
    let content_error = read_content(
        session,
        config,
        object,
        content,
        &mut targets,
        &mut warnings,
    )
    .err();

    let Outcome {
        mut response,
        displays,
    } = run_targets(
        session,
        config,
        action,
        targets.into_vec(),
        warnings,
        dry_run,
    );
    if let Some(e) = content_error {
        response.status = Status::Error;
        response.errors.insert(0, (&e).into());
    }
    if response.meta.is_none() {
        return response;
    }
    let describe = apply && !dry_run && response.status != Status::Error;
    let records = distinct_records(&displays);
    // The summary is counted beside the maps: both only read the results.
    let (summary, (map, map_warnings)) = rayon::join(
        || summarize(&response.results, &records),
        || maps(config, describe, &displays, &records),
    );
    response.warnings.extend(map_warnings);
    if let Some(Map::Mapbox(m)) = &map {
        response.map_url = Some(m.url.clone());
    }
    if describe {
        let mut report = report(&response, &displays, &summary, map);
        report.attachment = object.name.clone();
        let existing = object.description.as_deref().unwrap_or("");
        let section = render::render_section_with(&report, &table_rows);
        // The drawn map's SVG stays with the response (for `bulk --map`), moved, not copied.
        let drawn = report.map.take();
        response.description = Some(render::apply_section(existing, section));
        if let Some(Map::Offline(m)) = drawn {
            response.offline_map_svg = Some(m.svg);
        }
    }
    response.summary = Some(summary);
    response
}

/// The map the description shows (Mapbox's when it is configured with a token, else the
/// offline map when it is on and there is a description), and the warnings about it.
fn maps(
    config: &Config,
    describe: bool,
    displays: &[Option<Arc<Display>>],
    records: &[(&Display, usize)],
) -> (Option<Map>, Vec<ErrorBody>) {
    let mut warnings = Vec::new();
    let no_token = config.use_mapbox && config.mapbox_api_key.is_empty();
    let mapbox = if !config.use_mapbox || no_token {
        None
    } else {
        let (map, warning) = map_of(displays, config);
        warnings.extend(warning);
        map
    };
    let offline_shown = describe && config.offline_map && mapbox.is_none();
    let offline = offline_shown
        .then(|| render::offline_map(records.iter().copied()))
        .flatten();
    if let Some(m) = offline.as_ref().filter(|m| m.places_shown < m.places) {
        warnings.push(ErrorBody::warning(
            "map_truncated",
            format!(
                "the offline map shows the {} busiest locations ({} IPs); {} located IPs at {} other locations are left off to keep the description small",
                m.places_shown,
                m.ips_shown,
                m.ips - m.ips_shown,
                m.places - m.places_shown
            ),
        ));
    }
    if no_token {
        let instead = if offline.is_some() {
            "the offline map was drawn instead"
        } else {
            "no map was drawn"
        };
        warnings.push(ErrorBody::warning(
            "mapbox_token_missing",
            format!(
                "use_mapbox is on but no Mapbox access token (mapbox_api_key) is set; {instead}"
            ),
        ));
    }
    let map = mapbox.map(Map::Mapbox).or(offline.map(Map::Offline));
    (map, warnings)
}

/// The results table's rows, shares of them rendered on every core for a large attachment
/// (each share renders a record's cells once: the shares are as large as they can be).
fn table_rows(rows: &[TableRow<'_>], columns: render::Columns) -> Vec<String> {
    use rayon::prelude::*;
    const ALONE: usize = 4096;
    if rows.len() < 2 * ALONE {
        return vec![render::table_rows(rows, columns)];
    }
    let share = rows.len().div_ceil(rayon::current_num_threads()).max(ALONE);
    rows.par_chunks(share)
        .map(|share| render::table_rows(share, columns))
        .collect()
}

/// The Mapbox map of the located addresses, and the warning when some are left off it.
fn map_of(
    displays: &[Option<Arc<Display>>],
    config: &Config,
) -> (Option<render::MapImage>, Option<ErrorBody>) {
    let points: Vec<(f64, f64)> = displays
        .iter()
        .filter_map(|d| d.as_deref())
        .filter_map(|d| Some((d.latitude?, d.longitude?)))
        .collect();
    let map = render::map_image(&points, config.mapbox_api_key.expose());
    let warning = map.as_ref().filter(|m| m.ips_left_off > 0).map(|m| {
        ErrorBody::warning(
            "map_truncated",
            format!(
                "the map shows the {} busiest locations ({} IPs); {} located IPs are left off to stay within Mapbox's limits",
                m.pins, m.ips_on_map, m.ips_left_off
            ),
        )
    });
    (map, warning)
}

/// Adds every IP of the attachment's content (`reader` when given, else the object's inline
/// text, base64 bytes, or file inside `attachment_dir`) to `targets`.
fn read_content(
    session: &Session,
    config: &Config,
    object: &Object,
    reader: Option<&mut (dyn Read + Send)>,
    targets: &mut Targets,
    warnings: &mut Vec<ErrorBody>,
) -> Result<(), Error> {
    let given = [
        object.content.is_some(),
        object.content_base64.is_some(),
        object.path.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        warnings.push(ErrorBody::warning(
            "several_contents",
            "the attachment carries more than one of content, content_base64 and path; the first of them was read",
        ));
    }
    let limit = config.max_attachment_bytes;
    // An attachment given by path is handed to a decoding child as its file (see `Reading`).
    let by_path = reader.is_none() && object.content.is_none() && object.content_base64.is_none();
    let file = match &object.path {
        Some(path) if by_path => Some(open_attachment(&config.attachment_dir, path)?),
        _ => None,
    };
    let (input, size): (Box<dyn Read + Send + '_>, _) = if let Some(reader) = reader {
        (Box::new(reader), None)
    } else if let Some(text) = &object.content {
        (Box::new(text.as_bytes()), Some(text.len() as u64))
    } else if let Some(encoded) = &object.content_base64 {
        let bytes = decode_base64(encoded, limit)?;
        let size = bytes.len() as u64;
        (Box::new(std::io::Cursor::new(bytes)), Some(size))
    } else if let Some(file) = &file {
        (Box::new(file), file.metadata().ok().map(|m| m.len()))
    } else {
        return Ok(());
    };
    let reading = attachment::Reading {
        name: object.name.as_deref().unwrap_or("attachment"),
        limit,
        size,
        file: file.as_ref(),
        max_decoded: config.max_decoded_bytes,
        decoder: &session.decoder,
        every: false,
        deadline: config.deadline,
    };
    // Collected apart and added only once the whole content was read: never half an answer.
    // Each address is kept once as it is found, so a log that repeats a few addresses a
    // million times takes the memory of a few; reading stops as soon as there are more than
    // the action may look up.
    let mut found = Targets::with_capacity(1024);
    let max_ips = config.max_ips;
    let read = attachment::read(input, &reading, &mut |f| {
        found.add_found(f.ip, Some(Origin::Content), f.network, Some(f.found_in));
        found.len() <= max_ips
    });
    let read = read.map_err(|e| match e {
        ScanError::TooLarge { limit } => Error::AttachmentTooLarge {
            limit_mib: limit >> 20,
        },
        ScanError::Io(e) => Error::AttachmentUnreadable(paths::io_reason(&e)),
        ScanError::Stopped => Error::TooManyIps { limit: max_ips },
    })?;
    if found.len() > max_ips {
        return Err(Error::TooManyIps { limit: max_ips });
    }
    warnings.extend(
        read.warnings
            .into_iter()
            .map(|w| ErrorBody::warning(&w.code, w.message)),
    );
    targets.append(found);
    Ok(())
}

fn decode_base64(encoded: &str, limit: u64) -> Result<Vec<u8>, Error> {
    if encoded.len() as u64 / 4 * 3 > limit.saturating_add(3) {
        return Err(Error::AttachmentTooLarge {
            limit_mib: limit >> 20,
        });
    }
    let compact: Vec<u8> = encoded
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|e| {
            Error::AttachmentUnreadable(format!("content_base64 is not valid base64: {e}"))
        })
}

/// Opens the attachment file, confined to `attachment_dir`.
fn open_attachment(dir: &Path, name: &str) -> Result<File, Error> {
    let invalid = |reason: String| Error::ConfigInvalid {
        key: "attachment_dir",
        reason: format!("object.path {reason}"),
    };
    paths::check_name(name)
        .map_err(|r| invalid(format!("{:?} {r}", crate::error::shorten(name))))?;
    let real = paths::confine(dir, Path::new(name)).map_err(|e| match e {
        Confine::NoFolder(reason) => {
            Error::AttachmentUnreadable(format!("{reason} (config attachment_dir)"))
        }
        Confine::Missing(reason) => Error::AttachmentUnreadable(reason),
        Confine::Escapes(reason) => invalid(reason),
    })?;
    let meta =
        std::fs::metadata(&real).map_err(|e| Error::AttachmentUnreadable(paths::io_reason(&e)))?;
    if !meta.is_file() {
        return Err(Error::AttachmentUnreadable(format!(
            "{} is not a regular file",
            crate::error::shorten(name)
        )));
    }
    File::open(&real).map_err(|e| Error::AttachmentUnreadable(paths::io_reason(&e)))
}

/// The records of the located addresses, each once, with how many addresses share it (the
/// addresses of a record share its display: 23,000 records for 100,000 addresses), in order
/// of first appearance.
fn distinct_records(displays: &[Option<Arc<Display>>]) -> Vec<(&Display, usize)> {
    let mut per_display: HashMap<*const Display, usize> =
        HashMap::with_capacity(displays.len().min(1 << 16));
    let mut distinct: Vec<(&Display, usize)> = Vec::new();
    for d in displays.iter().flatten() {
        let at = *per_display.entry(Arc::as_ptr(d)).or_insert_with(|| {
            distinct.push((d, 0));
            distinct.len() - 1
        });
        distinct[at].1 += 1;
    }
    distinct
}

/// Counts results by outcome, and the located addresses (by their `records`) by country and
/// autonomous system.
fn summarize(results: &[IpResult], records: &[(&Display, usize)]) -> Summary {
    let mut summary = Summary {
        found: results.len(),
        ..Summary::default()
    };
    for result in results {
        match result.error.as_ref().map(|e| e.code.as_str()) {
            None => summary.located += 1,
            Some("not_found") => summary.not_found += 1,
            Some("reserved_ip") => summary.reserved += 1,
            Some(_) => summary.failed += 1,
        }
    }
    let mut countries: HashMap<&str, usize> = HashMap::new();
    let mut asns: HashMap<&str, usize> = HashMap::new();
    for &(d, addresses) in records {
        if let Some(code) = &d.country_code {
            let i = *countries.entry(code).or_insert_with(|| {
                summary.by_country.push(CountryCount {
                    code: code.clone(),
                    name: d.country.clone().unwrap_or_default(),
                    count: 0,
                });
                summary.by_country.len() - 1
            });
            summary.by_country[i].count += addresses;
        }
        if let Some(asn) = &d.asn {
            let i = *asns.entry(asn).or_insert_with(|| {
                summary.by_asn.push(AsnCount {
                    asn: asn.clone(),
                    organization: d.asn_organization.clone(),
                    count: 0,
                });
                summary.by_asn.len() - 1
            });
            summary.by_asn[i].count += addresses;
        }
    }
    // Most first; ties in order of first appearance (the sort is stable).
    summary
        .by_country
        .sort_by_key(|c| std::cmp::Reverse(c.count));
    summary.by_asn.sort_by_key(|a| std::cmp::Reverse(a.count));
    summary
}

/// What the description shows, from the results and their summary.
fn report<'a>(
    response: &'a Response,
    displays: &'a [Option<Arc<Display>>],
    summary: &'a Summary,
    map: Option<Map>,
) -> Report<'a> {
    let mut report = Report {
        map,
        rows: Vec::with_capacity(displays.iter().flatten().count()),
        countries: summary
            .by_country
            .iter()
            .map(|c| Tally {
                key: &c.code,
                name: &c.name,
                ips: c.count,
            })
            .collect(),
        networks: summary
            .by_asn
            .iter()
            .map(|a| Tally {
                key: &a.asn,
                name: a.organization.as_deref().unwrap_or(""),
                ips: a.count,
            })
            .collect(),
        ..Report::default()
    };
    for (result, display) in response.results.iter().zip(displays) {
        match (&result.error, display.as_deref()) {
            (None, Some(display)) => report.rows.push(TableRow {
                ip: &result.ip,
                found_in: result.found_in.as_deref(),
                display,
            }),
            (Some(e), _) if e.code == "not_found" => report.not_found.push(result.ip.clone()),
            (Some(e), _) if e.code == "reserved_ip" => {
                let why = result
                    .ip
                    .parse::<IpAddr>()
                    .ok()
                    .and_then(ip::special_purpose)
                    .map_or_else(|| "special-purpose".to_owned(), |r| r.name.to_owned());
                report.reserved.push((result.ip.clone(), why));
            }
            (Some(e), _) => report.failed.push((result.ip.clone(), e.message.clone())),
            (None, None) => {}
        }
    }
    if let Some(meta) = &response.meta {
        report.sources = meta
            .databases
            .iter()
            .filter(|d| d.used)
            .map(|d| (d.database_type.clone(), date(d.build_epoch)))
            .collect();
    }
    report
}

/// `YYYY-MM-DD` of a Unix time (UTC).
fn date(epoch: u64) -> String {
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch);
    let mut text = humantime::format_rfc3339_seconds(time).to_string();
    text.truncate(10);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_764_201_600), "2025-11-27");
        assert_eq!(date(951_782_400), "2000-02-29");
    }
}
