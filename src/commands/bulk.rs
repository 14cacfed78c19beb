//! `bulk FILE|-`: Lookup All Related IPs on a file, as the platform runs it on an attachment.

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;

use serde_json::json;

use super::Exit;
use crate::app;
use crate::cli::{BulkArgs, Format};
use crate::error::Error;
use crate::protocol::{Request, Response};

const ACTION: &str = "lookup_all_related_ips";

/// Runs `bulk`.
pub fn run(args: BulkArgs, conf: Option<&Path>, pretty: bool) -> Exit {
    let session = match super::analyst_session(&args.settings, conf) {
        Ok(session) => session,
        Err(e) => return super::finish(&super::failed(ACTION, &e), &args.output, pretty),
    };
    let stdin = args.input.as_os_str() == "-";
    if stdin {
        super::awaiting_stdin("the file");
    }
    // The attachment's name, as the platform gives it: the file's name, not its path.
    let name = match args.input.file_name() {
        Some(n) if !stdin => n.to_string_lossy().into_owned(),
        _ => "stdin".to_owned(),
    };
    let request: Request = match serde_json::from_value(json!({
        "action": ACTION,
        "object": {"type": "attachment", "name": name},
        // The map is drawn with the description.
        "params": {"apply_results_to_description": args.description.is_some() || args.map.is_some()},
    })) {
        Ok(r) => r,
        Err(e) => {
            let e = Error::Internal(format!("the bulk request: {e}"));
            return super::finish(&super::failed(ACTION, &e), &args.output, pretty);
        }
    };
    let mut reader: Box<dyn Read + Send> = if stdin {
        Box::new(io::stdin())
    } else {
        match crate::paths::open_file(&args.input) {
            Ok(f) => Box::new(f),
            Err(e) => {
                let e = Error::AttachmentUnreadable(format!(
                    "{}: {}",
                    args.input.display(),
                    crate::paths::io_reason(&e)
                ));
                return super::finish(&super::failed(ACTION, &e), &args.output, pretty);
            }
        }
    };
    let response = app::run_parsed(&session, &request, Some(&mut *reader));
    let written = [
        (&args.description, &response.description, "the description"),
        (&args.map, &response.offline_map_svg, "the map"),
    ]
    .into_iter()
    .filter_map(|(out, made, what)| Some((out.as_deref()?, made.as_deref(), what)))
    .fold(true, |ok, (out, made, what)| {
        write_out(out, made, what, &response) && ok
    });
    let exit = super::finish(&response, &args.output, pretty);
    if !written {
        return Exit::Failure;
    }
    // The counts go to stderr when stdout holds only rows (or a view of them).
    let rows_only = match args.output.format {
        Some(format) => format != Format::Json,
        None => args.output.output.is_none() && io::stdout().is_terminal(),
    };
    if rows_only && !super::reader_gone() {
        summary(&response);
    }
    super::leave_to_exit((response, session));
    exit
}

/// Writes what the action `made` to `out`, or says on stderr why there is nothing to write;
/// false when the file cannot be written.
fn write_out(out: &Path, made: Option<&str>, what: &str, response: &Response) -> bool {
    let Some(made) = made else {
        let why = if response.description.is_none() {
            "the action failed"
        } else if response.map_url.is_some() {
            "a Mapbox map was made instead"
        } else if response.summary.as_ref().is_some_and(|s| s.located == 0) {
            "no IP was located"
        } else {
            "no located IP has coordinates, or the offline map is off (offline_map)"
        };
        say!("maxmind-geolocate: {what} was not written: {why}");
        return true;
    };
    match std::fs::write(out, made) {
        Ok(()) => true,
        Err(e) => {
            say!(
                "maxmind-geolocate: cannot write {what} to {}: {}",
                out.display(),
                crate::paths::io_reason(&e)
            );
            false
        }
    }
}

/// The counts, on stderr, when stdout holds only the rows.
fn summary(response: &Response) {
    let Some(s) = &response.summary else {
        return;
    };
    let mut err = io::stderr().lock();
    let top = |items: Vec<String>| items.into_iter().take(5).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        err,
        "maxmind-geolocate: {} IPs: {} located, {} not found, {} reserved, {} failed",
        s.found, s.located, s.not_found, s.reserved, s.failed
    );
    if !s.by_country.is_empty() {
        let countries = s
            .by_country
            .iter()
            .map(|c| format!("{} {}", c.code, c.count));
        let _ = writeln!(
            err,
            "maxmind-geolocate: top countries: {}",
            top(countries.collect())
        );
    }
    if !s.by_asn.is_empty() {
        let asns = s.by_asn.iter().map(|a| format!("AS{} {}", a.asn, a.count));
        let _ = writeln!(err, "maxmind-geolocate: top ASNs: {}", top(asns.collect()));
    }
}
