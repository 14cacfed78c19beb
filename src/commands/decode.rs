//! The hidden `decode-document` command: the child process in which the bulk action and
//! `extract` decode a document (see `app::attachment`). It limits its own memory and CPU time
//! first, reads the attachment on stdin, and reports each address it finds on stdout, a line
//! each, as it finds them (so that the parent keeps what was found if this process dies).

use std::io;
use std::time::{Duration, Instant};

use super::Exit;
use crate::app::{self, Decoder, Reading};
use crate::cli::DecodeArgs;

/// Runs `decode-document`.
pub fn run(args: &DecodeArgs) -> Exit {
    // Past these, the kernel stops the process: the parent answers with what it reported.
    limit_resources(args.cpu_seconds);
    let reading = Reading {
        name: &args.name,
        limit: args.max_bytes,
        size: args.size,
        max_decoded: args.max_decoded_bytes,
        decoder: &Decoder::InProcess,
        every: args.every,
        deadline: Instant::now() + Duration::from_secs(args.cpu_seconds),
    };
    let out = io::BufWriter::new(io::stdout());
    match app::serve_decoder(io::stdin().lock(), &reading, out) {
        Ok(()) => Exit::Success,
        Err(_) => Exit::Failure,
    }
}

/// This process's memory and CPU time limits.
fn limit_resources(cpu_seconds: u64) {
    let memory = app::CHILD_MEMORY_BYTES;
    let _ = rlimit::setrlimit(rlimit::Resource::AS, memory, memory);
    let _ = rlimit::setrlimit(
        rlimit::Resource::CPU,
        cpu_seconds,
        cpu_seconds.saturating_add(1),
    );
}
