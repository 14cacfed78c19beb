//! The hidden `decode-document` command: the child process in which the bulk action and
//! `extract` decode a document (see `app::attachment`). It limits its own memory and CPU time
//! first, reads the attachment on stdin (mapped, when stdin is the attachment's file), and
//! reports each address it finds on stdout, a line each, as it finds them (so that the parent
//! keeps what was found if this process dies).

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
        file: None,
        max_decoded: args.max_decoded_bytes,
        decoder: &Decoder::InProcess,
        every: args.every,
        deadline: Instant::now() + Duration::from_secs(args.cpu_seconds),
    };
    let out = io::BufWriter::new(io::stdout());
    let served = match mapped_stdin() {
        Some(file) => app::serve_decoder_mapped(&file, &reading, out),
        None => app::serve_decoder(io::stdin().lock(), &reading, out),
    };
    match served {
        Ok(()) => Exit::Success,
        Err(_) => Exit::Failure,
    }
}

/// Stdin mapped, when it is the attachment's file (as `extract FILE` gives it) rather than a
/// pipe: the document is then read from the file as the decoder needs it, not held whole.
fn mapped_stdin() -> Option<app::MappedFile> {
    use std::os::fd::AsFd;
    let file = std::fs::File::from(io::stdin().as_fd().try_clone_to_owned().ok()?);
    app::MappedFile::of(&file).ok().flatten()
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
    // A child ended by its limits or by a file cut short under it (SIGXCPU, SIGBUS) leaves no
    // core file behind: its parent reports how it ended.
    let _ = rlimit::setrlimit(rlimit::Resource::CORE, 0, 0);
}
