//! Plugin mode: one JSON request on stdin and one JSON response on stdout, or with `--ndjson`
//! one request per line and one response per line for the whole stream.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;

use super::Exit;
use crate::app::{self, Session};
use crate::cli::SettingFlags;
use crate::error::Error;
use crate::protocol::{Response, Status};

/// Default of env `MAXMIND_GEOLOCATE_MAX_REQUEST_MIB`: the largest request read from stdin
/// (for `--ndjson`, the largest line).
pub const DEFAULT_MAX_REQUEST_MIB: u64 = 256;

fn request_limit_mib() -> u64 {
    std::env::var("MAXMIND_GEOLOCATE_MAX_REQUEST_MIB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&m| m > 0)
        .unwrap_or(DEFAULT_MAX_REQUEST_MIB)
}

/// One request on stdin, one response on stdout.
pub fn run(flags: &SettingFlags, conf: Option<&Path>, pretty: bool) -> Exit {
    let session = match super::session(flags, conf) {
        Ok(session) => session,
        Err(e) => return super::write_response(&Response::failed(None, &e, Vec::new()), pretty),
    };
    let response = respond(&session);
    let exit = super::write_response(&response, pretty);
    super::leave_to_exit((response, session));
    exit
}

fn respond(session: &Session) -> Response {
    let limit_mib = request_limit_mib();
    let limit = limit_mib.saturating_mul(1 << 20);
    let mut input = Vec::new();
    if let Err(e) = io::stdin().lock().take(limit + 1).read_to_end(&mut input) {
        let e = Error::InvalidRequest(format!("stdin cannot be read: {e}"));
        return Response::failed(None, &e, Vec::new());
    }
    if input.len() as u64 > limit {
        return Response::failed(None, &Error::RequestTooLarge { limit_mib }, Vec::new());
    }
    app::run_request(&input, session)
}

/// One request per stdin line, one compact response per stdout line, in order; blank lines are
/// skipped. Database files are opened once for the whole stream. Exit 1 when any action failed.
pub fn run_ndjson(flags: &SettingFlags, conf: Option<&Path>) -> Exit {
    let session = match super::session(flags, conf) {
        Ok(session) => session,
        Err(e) => return super::write_response(&Response::failed(None, &e, Vec::new()), false),
    };
    let limit_mib = request_limit_mib();
    let limit = limit_mib.saturating_mul(1 << 20);
    let mut input = io::stdin().lock();
    let mut out = super::stdout_buffered();
    let mut line = Vec::new();
    let mut any_failed = false;
    let mut line_no = 0_u64;
    loop {
        line.clear();
        line_no += 1;
        let read = (&mut input).take(limit + 1).read_until(b'\n', &mut line);
        let response = match read {
            Ok(0) => break,
            Err(e) => {
                let e = Error::InvalidRequest(format!("stdin cannot be read: {e}"));
                let _ = write_line(&mut out, Response::failed(None, &e, Vec::new()));
                any_failed = true;
                break;
            }
            Ok(_) if line.len() as u64 > limit && !line.ends_with(b"\n") => {
                // Skip the rest of the over-long line, then answer it.
                let skipped = skip_line(&mut input);
                let r = Response::failed(None, &Error::RequestTooLarge { limit_mib }, Vec::new());
                if skipped.is_err() {
                    let _ = write_line(&mut out, r);
                    any_failed = true;
                    break;
                }
                r
            }
            Ok(_) if line.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(_) => app::run_request(&line, &session),
        };
        let response = at_line(response, line_no);
        any_failed |= response.status == Status::Error;
        if let Err(e) = write_line(&mut out, response) {
            return super::write_failed(&e);
        }
    }
    if let Err(e) = out.flush() {
        return super::write_failed(&e);
    }
    if any_failed {
        Exit::Failure
    } else {
        Exit::Success
    }
}

/// `response` to the request on line `line_no` of the stream: an action that could not run
/// says which line it was ("line 3 of the stream: invalid request: …"), since the errors' own
/// positions are inside the line.
fn at_line(mut response: Response, line_no: u64) -> Response {
    if response.status == Status::Error && response.results.is_empty() {
        for e in &mut response.errors {
            e.message = format!("line {line_no} of the stream: {}", e.message);
        }
    }
    response
}

/// Writes one response and a newline, and flushes so a pipeline sees each answer at once.
fn write_line(out: &mut impl Write, response: Response) -> io::Result<()> {
    app::write_response(&response, out, false)?;
    out.write_all(b"\n")?;
    out.flush()
}

fn skip_line(input: &mut impl BufRead) -> io::Result<()> {
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                input.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    }
}
