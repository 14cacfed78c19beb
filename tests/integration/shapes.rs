//! The shapes that make the operation fast, checked as behaviour (never as timings): a bulk opens
//! each database once, and extraction streams a file larger than the memory it may use.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::harness::fixtures;

/// Fails the test when `tool` is not on the machine: a test whose tool is missing fails, it
/// never passes without running. (`.ci/run` installs every tool the tests use.)
pub fn need(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "this test needs {tool}, which is not installed; .ci/run installs it (Debian: apt-get install {})",
        match tool {
            "script" => "bsdutils",
            "/usr/bin/time" => "time",
            "pdftotext" => "poppler-utils",
            "ldd" => "libc-bin",
            other => other,
        }
    );
}

#[test]
fn a_bulk_opens_each_database_once() {
    need("strace");
    let dir = tempfile::tempdir().unwrap();
    let content: String = (0..50_000u32)
        .map(|i| format!("{} ", std::net::Ipv4Addr::from(0x5100_0000 + i * 7)))
        .collect();
    std::fs::write(dir.path().join("ips.txt"), content).unwrap();
    let req = json!({"action": "lookup_all_related_ips",
                     "config": {"db_dir": fixtures(), "attachment_dir": dir.path(),
                                "mmdb_filename": ["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"]},
                     "object": {"type": "attachment", "path": "ips.txt"}});
    let trace = dir.path().join("trace.txt");
    let mut child = Command::new("strace")
        .args([
            "-f",
            "-e",
            "trace=open,openat,openat2",
            "-o",
            trace.to_str().unwrap(),
            env!("CARGO_BIN_EXE_maxmind-geolocate"),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(req.to_string().as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let trace = std::fs::read_to_string(trace).unwrap();
    assert_each_opened_once(&trace, "50,000 IPs");
    assert_eq!(trace.lines().filter(|l| l.contains("ips.txt")).count(), 1);
}

/// Fails unless the strace `trace` opened each fixture database exactly once.
pub fn assert_each_opened_once(trace: &str, work: &str) {
    for db in ["GeoIP2-City-Fixture.mmdb", "GeoLite2-ASN-Fixture.mmdb"] {
        let opens = trace
            .lines()
            .filter(|l| l.contains(db) && !l.contains("ENOENT"))
            .count();
        assert_eq!(opens, 1, "{db} opened {opens} times for {work}");
    }
}

#[test]
fn extraction_streams_a_large_file_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let line = b"Jan  2 10:20:31 fw01 kernel: DROP src=81.2.69.142 dst=10.0.0.5 proto=TCP dpt=22 len=60 ttl=51\n";
    let mut written = 0;
    while written < 160 << 20 {
        file.write_all(line).unwrap();
        written += line.len();
    }
    file.write_all(b"last 89.160.20[.]115\n").unwrap();
    drop(file);
    // Its peak resident memory (with four threads allowed to scan pieces): a 160 MiB file
    // read whole would be more.
    let rss = dir.path().join("rss");
    let out = crate::harness::under_time(&rss)
        .args(["extract", "--max-mib", "1000"])
        .arg(&path)
        .env("MAXMIND_GEOLOCATE_THREADS", "4")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak = crate::harness::peak_rss_kib(&rss);
    assert!(peak < 64 << 10, "peak RSS {peak} KiB on a 160 MiB file");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "81.2.69.142\n10.0.0.5\n89.160.20.115\n"
    );
}

#[test]
fn the_binary_loads_no_library_beyond_the_c_runtime() {
    // Every shared library costs each action its loading at start-up (libm, pulled in by one
    // crate's powf, cost about 0.2 ms); TLS is rustls, so no libssl either.
    need("ldd");
    let out = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_maxmind-geolocate"))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    if listed.contains("statically linked") {
        // The build the platform runs (README): the C runtime linked in, nothing to load.
        return;
    }
    let allowed = ["linux-vdso", "libgcc_s", "libc.so", "ld-linux"];
    for line in listed.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            allowed.iter().any(|a| line.contains(a)),
            "an unexpected shared library: {line}"
        );
    }
}
