//! `db info` and `db verify`: what database files are, and whether they are whole.

use std::io::{self, Write};
use std::time::Instant;

use serde_json::{Value, json};

use super::Exit;
use crate::backend::mmdb::{self, Facts};
use crate::cli::{DbCommand, Format};
use crate::protocol::ErrorBody;

/// Runs a `db` subcommand.
pub fn run(command: DbCommand) -> Exit {
    match command {
        DbCommand::Info(args) => info(&args.files, args.format),
        DbCommand::Verify(args) => verify(&args.files),
    }
}

/// Facts per file; a file that cannot be read is listed with its error, and the exit code is 1.
fn info(files: &[std::path::PathBuf], format: Format) -> Exit {
    let found: Vec<Result<Facts, ErrorBody>> = files
        .iter()
        .map(|f| mmdb::facts(f).map_err(|e| (&e).into()))
        .collect();
    let as_json = |r: &Result<Facts, ErrorBody>, file: &std::path::Path| match r {
        Ok(facts) => serde_json::to_value(facts).unwrap_or(Value::Null),
        Err(e) => json!({"file": file.display().to_string(), "error": e}),
    };
    let mut out = io::BufWriter::new(anstream::stdout().lock());
    let written = match format {
        Format::Json => {
            let all: Vec<Value> = found
                .iter()
                .zip(files)
                .map(|(r, f)| as_json(r, f))
                .collect();
            crate::output::write_json(&all, true, &mut out)
        }
        Format::Ndjson => found.iter().zip(files).try_for_each(|(r, f)| {
            serde_json::to_writer(&mut out, &as_json(r, f))?;
            writeln!(out)
        }),
        Format::Csv => write_csv(&found, files, &mut out),
        Format::Table | Format::View => found
            .iter()
            .zip(files)
            .try_for_each(|(r, f)| write_block(r, f, &mut out)),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        return super::write_failed(&e);
    }
    let mut exit = Exit::Success;
    for e in found.iter().filter_map(|r| r.as_ref().err()) {
        say!("maxmind-geolocate: {} [{}]", e.message, e.code);
        exit = Exit::Failure;
    }
    exit
}

const CSV_COLUMNS: [&str; 11] = [
    "file",
    "database_type",
    "build_date",
    "age_days",
    "ip_version",
    "record_size",
    "node_count",
    "binary_format",
    "languages",
    "description",
    "error",
];

fn write_csv(
    found: &[Result<Facts, ErrorBody>],
    files: &[std::path::PathBuf],
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(CSV_COLUMNS)?;
    for (r, f) in found.iter().zip(files) {
        let row = match r {
            Ok(d) => vec![
                d.file.clone(),
                d.database_type.clone(),
                d.build_date.clone(),
                d.age_days.to_string(),
                d.ip_version.to_string(),
                d.record_size.to_string(),
                d.node_count.to_string(),
                d.binary_format.clone(),
                d.languages.join(" "),
                d.description.get("en").cloned().unwrap_or_default(),
                String::new(),
            ],
            Err(e) => {
                let mut row = vec![String::new(); CSV_COLUMNS.len()];
                row[0] = f.display().to_string();
                row[CSV_COLUMNS.len() - 1] = e.code.clone();
                row
            }
        };
        csv.write_record(row)?;
    }
    csv.flush()
}

/// One file's facts as aligned `name  value` lines, a blank line after.
fn write_block(
    r: &Result<Facts, ErrorBody>,
    file: &std::path::Path,
    out: &mut dyn Write,
) -> io::Result<()> {
    let bold = anstyle::Style::new().bold();
    writeln!(out, "{bold}{}{bold:#}", file.display())?;
    let lines: Vec<(&str, String)> = match r {
        Ok(d) => vec![
            ("type", d.database_type.clone()),
            (
                "built",
                format!("{} ({} days ago)", d.build_date, d.age_days),
            ),
            ("ip version", format!("IPv{}", d.ip_version)),
            ("record size", format!("{} bits", d.record_size)),
            ("nodes", d.node_count.to_string()),
            ("format", d.binary_format.clone()),
            ("size", human_size(d.size)),
            ("languages", d.languages.join(", ")),
            (
                "description",
                d.description
                    .get("en")
                    .or(d.description.values().next())
                    .cloned()
                    .unwrap_or_default(),
            ),
        ],
        Err(e) => vec![("error", format!("{} [{}]", e.message, e.code))],
    };
    for (name, value) in lines {
        writeln!(out, "  {name:<12} {value}")?;
    }
    writeln!(out)
}

/// A size as people read it, and exactly: `61.6 MiB (64,585,728 bytes)`; below a KiB only the
/// bytes.
fn human_size(bytes: u64) -> String {
    let exact = format!("{} bytes", crate::render::thousands(bytes));
    match super::binary_units(bytes) {
        Some(size) => format!("{size} ({exact})"),
        None => exact,
    }
}

/// Verifies each file; prints `ok` lines on stdout and corruption on stderr; exit 1 if any fails.
fn verify(files: &[std::path::PathBuf]) -> Exit {
    let mut exit = Exit::Success;
    let mut out = io::stdout().lock();
    for file in files {
        let started = Instant::now();
        match mmdb::verify(file) {
            Ok(()) => {
                let written = writeln!(
                    out,
                    "{}: ok (search tree and data section verified in {} ms)",
                    file.display(),
                    started.elapsed().as_millis()
                );
                if let Err(e) = written {
                    return super::write_failed(&e);
                }
            }
            Err(e) => {
                say!("maxmind-geolocate: {e} [{}]", e.code());
                exit = Exit::Failure;
            }
        }
    }
    exit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_told_in_binary_units_and_exact_bytes() {
        assert_eq!(human_size(0), "0 bytes");
        assert_eq!(human_size(1023), "1,023 bytes");
        assert_eq!(human_size(1536), "1.5 KiB (1,536 bytes)");
        assert_eq!(human_size(64_585_728), "61.6 MiB (64,585,728 bytes)");
        assert_eq!(human_size(3 << 30), "3.0 GiB (3,221,225,472 bytes)");
    }
}
