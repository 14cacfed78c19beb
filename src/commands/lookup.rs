//! `lookup IP|CIDR…`: the analyst's lookups, on the same path as the Lookup action.

use std::io::{self, BufRead};
use std::path::Path;

use crate::Exit;
use crate::app::{self, Query};
use crate::cli::LookupArgs;
use crate::config::RawConfig;
use crate::error::Error;

/// Runs `lookup`.
pub fn run(args: LookupArgs, conf: Option<&Path>, pretty: bool) -> Exit {
    let session = super::session(&args.source, conf);
    let (config, warnings) = match session.resolve(RawConfig::default()) {
        Ok(resolved) => resolved,
        Err(e) => return super::finish(&super::failed("lookup", &e), &args.output, pretty),
    };
    let mut queries = Vec::new();
    for arg in &args.ips {
        if arg == "-" {
            for line in io::stdin().lock().lines() {
                match line {
                    Ok(line) if line.trim().is_empty() => {}
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
    let response = app::lookup_queries(&session, &config, &queries, args.max_networks, warnings);
    let exit = super::finish(&response, &args.output, pretty);
    super::leave_to_exit((response, session));
    exit
}
