//! Prints the parts `decode` hands out for each file given: `cargo run --example dump -- FILE…`
//! (`-q`: only labels, sizes and warnings).

use documents::{Limits, PartKind, Sink, decode};
use std::io::Read;

struct Print {
    quiet: bool,
}

impl Sink for Print {
    fn part(&mut self, found_in: &str, kind: PartKind, text: &mut dyn Read) -> std::io::Result<()> {
        let mut buf = Vec::new();
        text.read_to_end(&mut buf)?;
        println!("=== {found_in} [{kind:?}, {} bytes]", buf.len());
        if !self.quiet {
            println!("{}", String::from_utf8_lossy(&buf[..buf.len().min(4000)]));
        }
        Ok(())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quiet = args.iter().any(|a| a == "-q");
    for path in args.iter().filter(|a| *a != "-q") {
        let file = std::fs::File::open(path).expect("open");
        let name = std::path::Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let outcome = decode(
            &name,
            std::io::BufReader::new(file),
            &Limits::default(),
            &mut Print { quiet },
        );
        println!(
            "--- {name}: {:?}, warnings: {:?}",
            outcome.format, outcome.warnings
        );
    }
    // Peak resident memory of this process (Linux), for the memory measurements.
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(l) = status.lines().find(|l| l.starts_with("VmHWM")) {
            eprintln!("{l}");
        }
    }
}
