//! `lookup IP|CIDR…`: the analyst's lookups, on the same path as the Lookup action.

use std::io::{self, BufRead, IsTerminal};
use std::path::Path;

use super::Exit;
use crate::app::{self, Query};
use crate::cli::LookupArgs;
use crate::error::Error;
use crate::protocol::Response;

/// Runs `lookup`.
pub fn run(args: LookupArgs, conf: Option<&Path>, pretty: bool) -> Exit {
    let session = match super::analyst_session(&args.settings, conf) {
        Ok(session) => session,
        Err(e) => return super::finish(&super::failed("lookup", &e), &args.output, pretty),
    };
    let mut queries = Vec::new();
    // No argument: the list comes on stdin, as from a pipe.
    let from_stdin = ["-".to_owned()];
    let ips = if args.ips.is_empty() && !io::stdin().is_terminal() {
        &from_stdin[..]
    } else {
        &args.ips[..]
    };
    for arg in ips {
        if arg == "-" {
            for line in io::stdin().lock().lines() {
                match line {
                    Ok(line) if line.trim().is_empty() || line.trim_start().starts_with('#') => {}
                    Ok(line) => queries.push(Query::parse(&line)),
                    Err(e) => {
                        let e = Error::InvalidRequest(format!("stdin cannot be read: {e}"));
                        return super::finish(&super::failed("lookup", &e), &args.output, pretty);
                    }
                }
            }
        } else if !arg.trim().is_empty() {
            queries.push(Query::parse(arg));
        }
    }
    if queries.is_empty() {
        eprintln!(
            "maxmind-geolocate: no IP address given: pass them as arguments, or one per line on stdin"
        );
        return Exit::Usage;
    }
    let (config, warnings) = session.resolve(&serde_json::Map::new());
    let config = match config {
        Ok(config) => config,
        Err(e) => {
            let response = Response::failed(Some("lookup".into()), &e, warnings);
            return super::finish(&response, &args.output, pretty);
        }
    };
    let response = app::lookup_queries(&session, &config, &queries, args.max_networks, warnings);
    let exit = super::finish(&response, &args.output, pretty);
    super::leave_to_exit((response, session));
    exit
}
