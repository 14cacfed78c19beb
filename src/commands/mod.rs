//! The commands: plugin mode and the analyst's command line. Each reads its arguments, files
//! and stdin, runs the same core as the platform's actions ([`crate::app`]) and prints the
//! outcome; this is the only module that writes to stdout and stderr.

/// Writes a line to stderr, as `eprintln!` does, but a stderr nobody reads any more (a closed
/// pipe: `2>&1 | head -1`) is not worth dying for: `eprintln!` panics there, and the panic
/// would abort on the next write. Every message of the commands goes through it.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod bulk;
mod cache;
mod completions;
mod db;
mod decode;
mod extract;
mod lookup;
mod plugin;
mod progress;

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use clap::CommandFactory;

use crate::app::{self, Session};
use crate::cli::{Cli, Color, Command, Format, OutputArgs, SettingFlags};
use crate::config::Layer;
use crate::error::Error;
use crate::output;
use crate::protocol::{ErrorBody, Response, Status};

/// The process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The action ran (status `success` or `partial`).
    Success = 0,
    /// The action failed; the response says why.
    Failure = 1,
    /// The command line was wrong.
    Usage = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

/// Runs the binary: parses the command line, runs the command, writes its output.
pub fn run() -> Exit {
    let cli = match Cli::from_args() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            };
        }
    };
    // Panics must never reach the platform as a backtrace: report them as a response instead.
    std::panic::set_hook(Box::new(|info| {
        say!("maxmind-geolocate: internal error: {info}");
    }));
    let threads = cli.threads.filter(|&n| n > 0).or_else(|| {
        std::env::var("MAXMIND_GEOLOCATE_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
    });
    if let Some(threads) = threads {
        app::use_threads(threads);
    }
    match cli.color {
        Color::Auto => {}
        Color::Always => anstream::ColorChoice::Always.write_global(),
        Color::Never => anstream::ColorChoice::Never.write_global(),
    }
    let pretty = cli.pretty;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(cli))) {
        Ok(exit) => exit,
        Err(_) => {
            let e = Error::Internal("the operation panicked".into());
            write_response(&Response::failed(None, &e, Vec::new()), pretty)
        }
    }
}

/// Runs the command `cli` names.
fn dispatch(cli: Cli) -> Exit {
    let conf = cli.geoip_conf.as_deref();
    match cli.command {
        None => {
            awaiting_stdin("one JSON action request (plugin mode: `--help` lists the commands)");
            plugin::run(&SettingFlags::default(), conf, cli.pretty)
        }
        Some(Command::Run(args)) if args.ndjson => {
            awaiting_stdin("JSON action requests, one a line");
            plugin::run_ndjson(&args.settings, conf)
        }
        Some(Command::Run(args)) => {
            awaiting_stdin("one JSON action request");
            plugin::run(&args.settings, conf, cli.pretty)
        }
        Some(Command::Lookup(args)) => lookup::run(args, conf, cli.pretty),
        Some(Command::Bulk(args)) => bulk::run(args, conf, cli.pretty),
        Some(Command::Extract(args)) => extract::run(&args),
        Some(Command::Db(command)) => db::run(command),
        Some(Command::Cache(command)) => cache::run(&command, conf),
        Some(Command::Completions(args)) => completions::run(args.shell),
        Some(Command::DecodeDocument(args)) => decode::run(&args),
        Some(Command::Man) => {
            let mut out = io::stdout().lock();
            let written = clap_mangen::Man::new(Cli::command()).render(&mut out);
            flushed(written.and_then(|()| out.flush()))
        }
    }
}

/// When stdin is a terminal, says on stderr what the command waits for there, so that a person
/// who typed it is not left before a silent terminal.
fn awaiting_stdin(what: &str) {
    if io::stdin().is_terminal() {
        say!("maxmind-geolocate: reading {what} from stdin; end it with Ctrl-D (Ctrl-C to quit)");
    }
}

/// Exit 0, or what [`write_failed`] makes of the error when the output could not be written.
fn flushed(written: io::Result<()>) -> Exit {
    match written {
        Ok(()) => Exit::Success,
        Err(e) => write_failed(&e),
    }
}

/// A size of a KiB or more in binary units, to a tenth: `3.2 KiB`, `61.6 MiB`; none below.
fn binary_units(bytes: u64) -> Option<String> {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = None;
    for u in UNITS {
        if size < 1024.0 {
            break;
        }
        size /= 1024.0;
        unit = Some(u);
    }
    unit.map(|unit| format!("{size:.1} {unit}"))
}

/// The session of a command: the environment and `GeoIP.conf` under `flags` (none for the
/// platform's call: its messages then name configuration keys only).
fn session(flags: &SettingFlags, conf: Option<&Path>) -> Result<Session, Error> {
    let session = Session::new(crate::config::Environment::from_process(conf))
        .with_decoder(document_decoder());
    if flags.0.is_empty() {
        return Ok(session);
    }
    let layer: Layer = crate::config::read_flags(&flags.0)?;
    Ok(session.with_flags(layer))
}

/// Documents are decoded in a child process: this binary, run with `decode-document`.
fn document_decoder() -> crate::app::Decoder {
    match std::env::current_exe() {
        Ok(binary) => crate::app::Decoder::Child(binary),
        Err(_) => crate::app::Decoder::InProcess,
    }
}

/// [`session`] for an analyst: with a progress bar when stderr is a terminal.
fn analyst_session(flags: &SettingFlags, conf: Option<&Path>) -> Result<Session, Error> {
    let session = session(flags, conf)?.on_command_line();
    Ok(if io::stderr().is_terminal() {
        session.with_progress(Box::new(progress::Bar::default()))
    } else {
        session
    })
}

/// Most errors listed on stderr; the response has them all.
const STDERR_ERRORS: usize = 10;

/// Prints `response` as asked (on a terminal: the view that fits it by default, JSON
/// indented), its warnings and errors on stderr, and picks the exit code:
/// 0 for success and partial (partial also warns), 1 for a failed action.
fn finish(response: &Response, output: &OutputArgs, pretty: bool) -> Exit {
    let mut to = match Destination::open(output.output.as_deref()) {
        Ok(to) => to,
        Err(exit) => return exit,
    };
    let written = to.write(response, output, pretty);
    let left_out = match written {
        Ok(left_out) => left_out,
        Err(e) => return write_failed(&e),
    };
    if !left_out.is_empty() {
        let width = to.width().unwrap_or_default();
        say!(
            "maxmind-geolocate: {} columns left out to fit {width} columns ({}): --field picks \
             the columns, --format csv or json has them all",
            left_out.len(),
            left_out.join(", ")
        );
    }
    report(response);
    exit_code(response)
}

/// Where a command's output goes: stdout, or the file of `--output`.
pub(crate) enum Destination {
    /// Standard output.
    Stdout,
    /// A file the command created.
    File(std::fs::File),
}

impl Destination {
    /// Stdout, or `path` created (a failure to create it is said on stderr: exit 1).
    pub(crate) fn open(path: Option<&Path>) -> Result<Destination, Exit> {
        let Some(path) = path else {
            return Ok(Destination::Stdout);
        };
        std::fs::File::create(path)
            .map(Destination::File)
            .map_err(|e| {
                say!(
                    "maxmind-geolocate: cannot write the output to {}: {}",
                    crate::paths::shown(path),
                    crate::paths::io_reason(&e)
                );
                Exit::Failure
            })
    }

    /// Whether a person reads it on a terminal.
    fn is_terminal(&self) -> bool {
        match self {
            Destination::Stdout => io::stdout().is_terminal(),
            Destination::File(file) => file.is_terminal(),
        }
    }

    /// The terminal's width, when it is one: `COLUMNS` when set, else the terminal's own,
    /// else 80.
    fn width(&self) -> Option<usize> {
        use std::os::fd::AsFd;
        if !self.is_terminal() {
            return None;
        }
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0);
        let size = || match self {
            Destination::Stdout => terminal_size::terminal_size_of(io::stdout().as_fd()),
            Destination::File(file) => terminal_size::terminal_size_of(file.as_fd()),
        };
        Some(
            columns
                .or_else(|| size().map(|(w, _)| usize::from(w.0)))
                .unwrap_or(80),
        )
    }

    /// Buffered writes, for large output.
    pub(crate) fn buffered(&self) -> io::Result<io::BufWriter<Box<dyn Write>>> {
        match self {
            Destination::Stdout => Ok(stdout_buffered()),
            Destination::File(file) => {
                let file: Box<dyn Write> = Box::new(file.try_clone()?);
                Ok(io::BufWriter::with_capacity(1 << 16, file))
            }
        }
    }

    /// Writes `response` as `output` asks; returns the columns a table left out to fit.
    fn write(
        &mut self,
        response: &Response,
        output: &OutputArgs,
        pretty: bool,
    ) -> io::Result<Vec<String>> {
        let terminal = self.is_terminal();
        let format = output
            .format
            .unwrap_or(if terminal { Format::View } else { Format::Json });
        // JSON for a person at a terminal is indented; into a pipe it stays compact.
        let shape = output::Shape {
            pretty: pretty || terminal,
            width: self.width(),
        };
        if !matches!(format, Format::Table | Format::View) {
            let mut out = self.buffered()?;
            let left_out = output::write(response, format, &output.field, shape, &mut out)?;
            out.flush()?;
            return Ok(left_out);
        }
        // Styled text: its colour is kept or dropped as `--color` and the place say.
        let mut text = Vec::new();
        let left_out = output::write(response, format, &output.field, shape, &mut text)?;
        match self {
            Destination::Stdout => {
                let mut out = anstream::stdout().lock();
                out.write_all(&text).and_then(|()| out.flush())?;
            }
            Destination::File(file) => {
                let mut out = anstream::AutoStream::auto(&mut *file);
                out.write_all(&text).and_then(|()| out.flush())?;
            }
        }
        Ok(left_out)
    }
}

/// The output could not be written: a line on stderr, and the exit code. A reader that
/// closed the pipe (`| head -1`) has all it wanted: that ends quietly with exit 0, as ripgrep
/// and fd do.
fn write_failed(e: &io::Error) -> Exit {
    if is_broken_pipe(e) {
        READER_GONE.store(true, std::sync::atomic::Ordering::Relaxed);
        return Exit::Success;
    }
    say!("maxmind-geolocate: cannot write the output: {e}");
    Exit::Failure
}

/// Set when stdout's reader has gone: what would follow the output on stderr (a summary) is
/// left out too.
static READER_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether stdout's reader has gone (see [`write_failed`]).
fn reader_gone() -> bool {
    READER_GONE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Whether `e` is, or wraps (a CSV writer's error does), a write to a pipe with no reader.
fn is_broken_pipe(e: &io::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cause {
        let io = err.downcast_ref::<io::Error>().or_else(|| {
            match err.downcast_ref::<csv::Error>().map(csv::Error::kind) {
                Some(csv::ErrorKind::Io(io)) => Some(io),
                _ => None,
            }
        });
        if io.is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe) {
            return true;
        }
        // (An `io::Error`'s `source` is its inner error's source, not the inner error.)
        cause = io
            .and_then(io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static))
            .or_else(|| err.source());
    }
    false
}

/// Warnings, the first errors and a partial outcome, on stderr for the analyst.
fn report(response: &Response) {
    let failed = response
        .results
        .iter()
        .filter(|r| r.error.as_ref().is_some_and(|e| !e.is_answer))
        .count();
    let partial = (response.status == Status::Partial).then_some((failed, response.results.len()));
    report_parts(&response.warnings, &response.errors, partial);
}

/// [`report`] from its parts: `partial` is how many IPs failed of how many.
fn report_parts(warnings: &[ErrorBody], errors: &[ErrorBody], partial: Option<(usize, usize)>) {
    let mut err = anstream::stderr().lock();
    let yellow = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Yellow.into()));
    let red = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Red.into()));
    for w in warnings {
        let _ = writeln!(
            err,
            "maxmind-geolocate: {yellow}warning{yellow:#}: {} [{}]",
            w.message, w.code
        );
    }
    for e in errors.iter().take(STDERR_ERRORS) {
        let _ = writeln!(
            err,
            "maxmind-geolocate: {red}error{red:#}: {} [{}]",
            e.message, e.code
        );
    }
    if errors.len() > STDERR_ERRORS {
        let _ = writeln!(
            err,
            "maxmind-geolocate: … and {} more errors (all are in the response)",
            errors.len() - STDERR_ERRORS
        );
    }
    if let Some((failed, total)) = partial {
        let _ = writeln!(
            err,
            "maxmind-geolocate: {yellow}warning{yellow:#}: partial result: {failed} of {total} IPs failed [partial]"
        );
    }
}

fn exit_code(response: &Response) -> Exit {
    match response.status {
        Status::Success | Status::Partial => Exit::Success,
        Status::Error => Exit::Failure,
    }
}

/// Writes a response as one JSON document (plugin mode) and picks the exit code.
pub fn write_response(response: &Response, pretty: bool) -> Exit {
    let mut out = stdout_buffered();
    let written = app::write_response(response, &mut out, pretty)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    if let Err(e) = written {
        // Even a closed pipe: the platform lost the answer to its action, and is told so.
        say!("maxmind-geolocate: cannot write the response: {e}");
        return Exit::Failure;
    }
    if response.status == Status::Partial {
        say!("maxmind-geolocate: warning: partial result; see errors in the response");
    }
    exit_code(response)
}

/// Standard output for large writes, buffered here and nowhere else: std's stdout is
/// line-buffered and searched every chunk written for its last newline (a 145 MB response
/// has one, at the end). A duplicate of the descriptor skips that; if it cannot be had, the
/// usual stdout.
fn stdout_buffered() -> io::BufWriter<Box<dyn Write>> {
    use std::os::fd::AsFd;
    let raw: Box<dyn Write> = match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(io::stdout()),
    };
    io::BufWriter::with_capacity(1 << 16, raw)
}

/// Leaves `value` to the end of the process instead of dropping it: a command's process exits
/// as soon as it returns, and freeing a large response (100,000 results and their records)
/// one allocation at a time only delays that (see docs/performance.md).
fn leave_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// A response for an error met before any action ran.
fn failed(action: &str, e: &Error) -> Response {
    Response::failed(Some(action.to_owned()), e, Vec::new())
}
