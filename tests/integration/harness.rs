//! Runs the binary and reads its response; finds fixtures and MaxMind's test data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

/// The project's root (where `fixtures/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The project's fixture folder.
pub fn fixtures() -> PathBuf {
    root().join("fixtures")
}

/// MaxMind's official test data (`test-data/`, `source-data/`), from env `MAXMIND_TEST_DATA` or
/// `../shared/maxmind-db`. A test that needs it fails when it is missing: it never passes
/// without running.
pub fn maxmind_test_data() -> PathBuf {
    let dir = std::env::var_os("MAXMIND_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/maxmind-db"));
    assert!(
        dir.join("test-data").is_dir(),
        "MaxMind's test data is not at {}: set MAXMIND_TEST_DATA to a checkout of \
         https://github.com/maxmind/MaxMind-DB",
        dir.display()
    );
    dir
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// stdout parsed as one JSON document.
    pub json: Value,
    /// stderr.
    pub stderr: String,
}

impl Run {
    /// The result of the first (for Lookup: the only) IP.
    pub fn result(&self) -> &Value {
        &self.json["results"][0]
    }

    /// The codes of the top-level errors.
    pub fn error_codes(&self) -> Vec<String> {
        codes(&self.json["errors"])
    }

    /// The codes of the warnings, but `database_stale`: the fixtures and MaxMind's test
    /// databases are older than the default 30 days, so nearly every run warns of it
    /// (tests/integration/cli.rs tests that warning on its own).
    pub fn warning_codes(&self) -> Vec<String> {
        let mut all = codes(&self.json["warnings"]);
        all.retain(|c| c != "database_stale");
        all
    }
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|l| {
            l.iter()
                .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs the binary with `args` in `cwd`, feeding `stdin`, and checks the plugin contract.
pub fn run_in(cwd: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Run {
    let Output {
        code,
        stdout,
        stderr,
    } = execute(cwd, args, stdin, env);
    let mut docs = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let json = match docs.next() {
        Some(Ok(v)) => v,
        other => panic!("stdout is not a JSON document ({other:?}): {stdout:?}\nstderr: {stderr}"),
    };
    assert!(
        docs.next().is_none(),
        "stdout holds more than one JSON document: {stdout}"
    );
    Run { code, json, stderr }
}

/// What one run of a command for people gave (any output, not only JSON).
#[derive(Debug)]
pub struct Output {
    /// Exit code.
    pub code: i32,
    /// stdout.
    pub stdout: String,
    /// stderr.
    pub stderr: String,
}

/// Runs the binary with `args` in the project root, as an analyst at a shell would (stdout and
/// stderr piped, so neither is a terminal), with `env` added; checks no panic and no secret.
pub fn cli(args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    execute(&root(), args, stdin, env)
}

/// The variable that places the web cache.
pub const CACHE_VAR: &str = "MAXMIND_GEOLOCATE_CACHE";

/// Runs the binary in `cwd` with a clean environment (no settings of this machine's: no
/// GeoIP.conf, no MaxMind variables, no colour forced) plus `env`, writes `stdin` to it, and
/// checks what every run must hold: no panic, no secret in any output.
///
/// Each run has a web cache of its own, empty, deleted after it (unless `env` places the cache
/// itself): web tests stay independent of each other, and nothing is written to this
/// machine's `~/.cache`. The cache's own tests share one by naming it.
fn execute(cwd: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let own_cache = tempfile::tempdir().expect("a temporary folder");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("MAXMIND_DB_DIR")
        .env_remove("MAXMIND_ACCOUNT_ID")
        .env_remove("MAXMIND_LICENSE_KEY")
        .env_remove("MAXMIND_WEB_API_URL")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("XDG_CACHE_HOME")
        .env(CACHE_VAR, own_cache.path().join("web-cache.sqlite3"))
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // The binary may refuse early and close stdin: a failed write is not a test failure.
        let _ = pipe.write_all(stdin);
    }
    let out = child.wait_with_output().expect("the binary ends");
    drop(own_cache);
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked: {stderr}"
    );
    assert_no_secret(&stdout);
    assert_no_secret(&stderr);
    Output {
        code: out.status.code().expect("the binary exited, not killed"),
        stdout,
        stderr,
    }
}

/// Every secret the test suite hands the binary. No output of any run may contain one: the
/// license keys, a Mapbox secret token, and the password of a proxy URL.
pub const SECRETS: &[&str] = &[
    crate::fake_maxmind::KEY,
    // The Basic credentials the fake expects, "42:LK-TEST-KEY-5f1d", as sent and decoded.
    "NDI6TEstVEVTVC1LRVktNWYxZA==",
    "NDI6TEstVEVTVC1LRVktNWYxZA",
    "42:LK-TEST-KEY-5f1d",
    "LK-MANIFEST-TEST",
    "SECRETVALUE",
    "proxy-pass-9c2e",
];

/// Fails when `output` carries any of [`SECRETS`].
pub fn assert_no_secret(output: &str) {
    for secret in SECRETS {
        assert!(
            !output.contains(secret),
            "a secret ({secret}) reached the output: {output}"
        );
    }
}

/// A web cache file of its own for a run whose process outlives the call that starts it, in
/// the test build's temporary folder (made only if the run uses the web service).
pub fn private_cache() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("web-caches")
        .join(format!("{}-{n}", std::process::id()))
        .join("web-cache.sqlite3")
}

/// Starts the binary with `args` in the project root, writes `stdin` to it and closes it; the
/// caller waits (for tests that act while it runs, or read its output in their own way).
pub fn spawn(args: &[&str], stdin: &[u8], stdout: Stdio) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .args(args)
        .current_dir(root())
        .env(CACHE_VAR, private_cache())
        .env("GEOIPUPDATE_CONF_FILE", "")
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    // The binary may stop reading early: a failed write is the test's to judge by the outcome.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child
}

/// Runs plugin mode (no arguments) in the project root with `request` on stdin.
pub fn plugin(request: &Value) -> Run {
    plugin_bytes(request.to_string().as_bytes())
}

/// Runs plugin mode in the project root with raw bytes on stdin.
pub fn plugin_bytes(stdin: &[u8]) -> Run {
    run_in(&root(), &[], stdin, &[])
}

/// A Lookup request for `value` on the fixture database(s) `dbs`.
pub fn lookup_request(dbs: &[&str], value: &str, extra_config: Value) -> Value {
    let mut config = json!({"db_dir": "fixtures", "mmdb_filename": dbs});
    if let (Some(c), Some(extra)) = (config.as_object_mut(), extra_config.as_object()) {
        c.extend(extra.clone());
    }
    json!({
        "action": "lookup",
        "config": config,
        "object": {"type": "indicator", "indicator_type": "IP Address", "value": value, "id": 17},
        "params": {}
    })
}

/// `(name, value)` pairs of a list of attributes.
pub fn attrs(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("an attribute list")
        .iter()
        .map(|a| {
            (
                a["name"].as_str().expect("name").to_owned(),
                a["value"].as_str().expect("value is a string").to_owned(),
            )
        })
        .collect()
}

/// `(name, value)` pairs from string literals.
pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Runs the binary with `args` under GNU time, feeding it `stdin` from a thread (it may be
/// large) and counting its stdout's lines as they come: how it ended, the lines (the first
/// `keep` of them kept), and its peak resident memory in KiB.
pub fn measured(
    args: &[&str],
    stdin: impl FnOnce(&mut dyn Write) + Send + 'static,
    keep: usize,
) -> (std::process::ExitStatus, usize, Vec<String>, u64) {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let rss = dir.path().join("rss");
    let mut child = under_time(&rss)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    let feeder = std::thread::spawn(move || stdin(&mut pipe));
    let mut lines = 0;
    let mut kept = Vec::new();
    for line in std::io::BufReader::new(child.stdout.take().expect("stdout is piped")).lines() {
        let line = line.expect("stdout is UTF-8");
        if kept.len() < keep {
            kept.push(line);
        }
        lines += 1;
    }
    feeder.join().expect("stdin was fed");
    let status = child.wait().unwrap();
    (status, lines, kept, peak_rss_kib(&rss))
}

/// The binary run under GNU time, which writes its peak resident memory (of the process and
/// its children) to `rss` when it ends: read it with [`peak_rss_kib`].
pub fn under_time(rss: &Path) -> Command {
    crate::shapes::need("/usr/bin/time");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "%M", "-o"])
        .arg(rss)
        .arg(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .env("GEOIPUPDATE_CONF_FILE", "");
    cmd
}

/// The peak resident memory in KiB that [`under_time`] wrote to `rss`.
pub fn peak_rss_kib(rss: &Path) -> u64 {
    std::fs::read_to_string(rss)
        .unwrap()
        .split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap()
}
