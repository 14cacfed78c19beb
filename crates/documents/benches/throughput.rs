//! Throughput of the document layer: decoded text per second for DOCX, XLSX, ZIP and gzip
//! inputs generated in memory, and PDF pages against `pdftotext` (whole process) when the large
//! PDFs exist.
//!
//!   cargo bench --bench throughput
//!   python3 fixtures/documents/make.py --big /tmp/bigpdf && BENCH_PDF_DIR=/tmp/bigpdf cargo bench --bench throughput

use documents::{Limits, PartKind, Sink, decode};
use std::io::{Cursor, Read, Write};
use std::time::Instant;
use zip::write::SimpleFileOptions;

#[derive(Default)]
struct Count {
    bytes: u64,
    parts: usize,
}

impl Sink for Count {
    fn part(&mut self, _: &str, _: PartKind, text: &mut dyn Read) -> std::io::Result<()> {
        self.parts += 1;
        self.bytes += std::io::copy(text, &mut std::io::sink())?;
        Ok(())
    }
}

fn measure(name: &str, bytes: &[u8]) -> f64 {
    if std::env::var("BENCH_ONLY").is_ok_and(|o| !name.contains(&o)) {
        return 0.0;
    }
    if let Ok(dir) = std::env::var("BENCH_SAVE_DIR") {
        // Keep the generated input, e.g. to profile it: perf record target/release/examples/dump -q FILE
        std::fs::write(std::path::Path::new(&dir).join(name), bytes).expect("save bench input");
    }
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut out = 0;
    for _ in 0..3 {
        let mut sink = Count::default();
        let t = Instant::now();
        let c = cpu_seconds();
        let o = decode(name, Cursor::new(bytes), &Limits::default(), &mut sink);
        best = best.min(t.elapsed().as_secs_f64());
        best_cpu = best_cpu.min(cpu_seconds() - c);
        out = sink.bytes;
        assert!(o.warnings.is_empty(), "{name}: {:?}", o.warnings);
    }
    // Decompressed size (what the decoders parse): ZIP entry sizes, else the text out.
    let inflated = zip::ZipArchive::new(Cursor::new(bytes))
        .map(|mut a| {
            (0..a.len())
                .filter_map(|i| a.by_index_raw(i).ok().map(|f| f.size()))
                .sum::<u64>()
        })
        .unwrap_or(out);
    println!(
        "{name:>14}: input {:>6.1} MB, inflated {:>6.1} MB, text out {:>6.1} MB | wall {:>6.3} s: {:>6.1} MB/s inflated, {:>6.1} MB/s text | CPU {:>6.3} s: {:>6.1} MB/s inflated, {:>6.1} MB/s text",
        bytes.len() as f64 / 1e6,
        inflated as f64 / 1e6,
        out as f64 / 1e6,
        best,
        inflated as f64 / 1e6 / best,
        out as f64 / 1e6 / best,
        best_cpu,
        inflated as f64 / 1e6 / best_cpu,
        out as f64 / 1e6 / best_cpu
    );
    best
}

/// CPU time (user + system) of this thread, from /proc (Linux; 10 ms resolution): robust to
/// other load on a shared machine, unlike wall time.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn log_lines(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        writeln!(
            v,
            "2024-05-17T10:{:02}:{:02} deny tcp 81.2.69.{}:{} -> 89.160.20.{}:443 rule {}",
            i / 60 % 60,
            i % 60,
            i % 250,
            1024 + i % 60000,
            i % 200,
            i % 97
        )
        .unwrap();
    }
    v
}

fn docx(paragraphs: usize) -> Vec<u8> {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>"#,
    );
    for i in 0..paragraphs {
        xml.push_str(&format!(
            r#"<w:p><w:r><w:t xml:space="preserve">Finding {i}: the host </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>81.2.69.{}</w:t></w:r><w:r><w:t xml:space="preserve"> contacted 89.160.20.{} over TLS and downloaded a second-stage payload.</w:t></w:r></w:p>"#,
            i % 250,
            i % 200
        ));
    }
    xml.push_str("</w:body></w:document>");
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("[Content_Types].xml", SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"<Types/>").unwrap();
    z.start_file("word/document.xml", SimpleFileOptions::default())
        .unwrap();
    z.write_all(xml.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn xlsx(rows: usize) -> Vec<u8> {
    let mut shared = String::from(
        r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    );
    let mut sheet = String::from(
        r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for i in 0..rows {
        shared.push_str(&format!(
            "<si><t>81.2.69.{} seen by sensor {}</t></si>",
            i % 250,
            i
        ));
        sheet.push_str(&format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>{i}</v></c><c r="B{r}"><v>{}</v></c><c r="C{r}" t="inlineStr"><is><t>89.160.20.{}</t></is></c></row>"#, i * 7, i % 200, r = i + 1));
    }
    shared.push_str("</sst>");
    sheet.push_str("</sheetData></worksheet>");
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in [
        ("[Content_Types].xml", "<Types/>".to_string()),
        (
            "xl/workbook.xml",
            r#"<workbook xmlns:r="r"><sheets><sheet name="Hosts" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet),
    ] {
        z.start_file(name, SimpleFileOptions::default()).unwrap();
        z.write_all(data.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn zip_logs(files: usize, lines: usize) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let body = log_lines(lines);
    for i in 0..files {
        z.start_file(format!("fw/day{i}.log"), SimpleFileOptions::default())
            .unwrap();
        z.write_all(&body).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn gzip_logs(lines: usize) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&log_lines(lines)).unwrap();
    e.finish().unwrap()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    measure("findings.docx", &docx(400_000));
    measure("iocs.xlsx", &xlsx(300_000));
    measure("logs.zip", &zip_logs(20, 200_000));
    measure("access.log.gz", &gzip_logs(2_000_000));
    if let Ok(dir) = std::env::var("BENCH_PDF_DIR") {
        for f in ["log-100.pdf", "log-2000.pdf"] {
            let path = std::path::Path::new(&dir).join(f);
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let ours = measure(f, &bytes);
            let t = Instant::now();
            let st = std::process::Command::new("pdftotext")
                .arg(&path)
                .arg("/dev/null")
                .status();
            let theirs = t.elapsed().as_secs_f64();
            if st.is_ok_and(|s| s.success()) {
                println!(
                    "{f:>14}: pdftotext {theirs:.3} s (whole process), ours {ours:.3} s: {:.1}x",
                    theirs / ours
                );
            }
        }
    }
}
