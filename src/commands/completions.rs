//! `completions SHELL`: the shell's completion script, made from the command line's clap
//! definitions.

use std::io::{self, Write};

use clap::CommandFactory;

use super::Exit;
use crate::cli::Cli;

/// The name the completions are for: the binary's.
const NAME: &str = "maxmind-geolocate";

/// What bash's script is generated for: clap_complete's bash script for a name with a hyphen
/// completes nothing after a subcommand (clap issue 6421: its states and their case labels
/// escape the hyphen differently), so it is made for a name without one and registered for
/// the binary's.
const BASH_NAME: &str = "maxmind_geolocate";

/// Prints the completion script for `shell`.
pub fn run(shell: clap_complete::Shell) -> Exit {
    let script = script(shell);
    let mut out = io::stdout().lock();
    super::flushed(out.write_all(&script).and_then(|()| out.flush()))
}

/// The completion script for `shell`, made in memory (clap_complete panics when its writer
/// fails, and a closed pipe is no reason to).
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut script = Vec::new();
    if shell != clap_complete::Shell::Bash {
        clap_complete::generate(shell, &mut Cli::command(), NAME, &mut script);
        return script;
    }
    clap_complete::generate(shell, &mut Cli::command(), BASH_NAME, &mut script);
    // Registered for the binary's name: the last word of each `complete -F` line.
    let text = String::from_utf8_lossy(&script);
    let mut registered = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match body.strip_suffix(&format!(" {BASH_NAME}")) {
            Some(head) if body.trim_start().starts_with("complete -F") => {
                registered.push_str(&format!("{head} {NAME}{end}"));
            }
            _ => registered.push_str(line),
        }
    }
    registered.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bash_script_is_registered_for_the_binary_and_only_for_it() {
        let script = String::from_utf8(script(clap_complete::Shell::Bash)).unwrap();
        let registrations: Vec<&str> = script
            .lines()
            .filter(|l| l.trim_start().starts_with("complete -F"))
            .collect();
        assert!(!registrations.is_empty(), "{script}");
        for line in registrations {
            assert!(line.ends_with(" maxmind-geolocate"), "{line}");
        }
    }
}
