//! `cache stats|prune|clear`: what the web cache holds, and clearing it out.

use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::Exit;
use crate::backend::web::cache::{Cache, CacheError, Settings, Stats};
use crate::cli::CacheCommand;
use crate::config::{Environment, read_flags};

/// Runs a `cache` subcommand on the cache the settings name (flags, then the environment).
pub fn run(command: &CacheCommand, conf: Option<&Path>) -> Exit {
    let (CacheCommand::Stats(flags) | CacheCommand::Prune(flags) | CacheCommand::Clear(flags)) =
        command;
    let config =
        read_flags(&flags.0).and_then(|flags| Environment::from_process(conf).cache(&flags));
    let config = match config {
        Ok(config) => config,
        Err(e) => return fail(&e.to_string()),
    };
    let Some(path) = config.path else {
        return fail(
            "the web cache has no place: give --cache-path, or set MAXMIND_GEOLOCATE_CACHE, \
             XDG_CACHE_HOME or HOME",
        );
    };
    let mut out = io::stdout().lock();
    // Nothing is created to be looked at or emptied.
    if !path.exists() {
        return super::flushed(writeln!(
            out,
            "no web cache at {} yet: nothing has been cached",
            path.display()
        ));
    }
    // A cache that is off (a lifetime of 0) is still looked at with the default lifetime.
    let ttl = if config.ttl.is_zero() {
        crate::backend::web::cache::DEFAULT_TTL
    } else {
        config.ttl
    };
    let cache = match Cache::open(&path, Settings::new(ttl, config.max_bytes)) {
        Ok(cache) => cache,
        Err(e) => return fail(&e.to_string()),
    };
    if let Some(repair) = cache.repaired() {
        say!("maxmind-geolocate: warning: {repair} [cache_unavailable]");
    }
    let done: Result<String, CacheError> = match command {
        CacheCommand::Stats(_) => cache.stats().map(|s| stats(&s, SystemTime::now())),
        CacheCommand::Prune(_) => cache.prune().map(|p| {
            format!(
                "pruned {}: {} answers past their lifetime, {} oldest over the size bound, {} \
                 claims of ended actions; {} on disk before, {} after\n",
                path.display(),
                p.expired,
                p.evicted,
                p.dead_claims,
                bytes(p.bytes_before),
                bytes(p.bytes_after)
            )
        }),
        CacheCommand::Clear(_) => cache
            .clear()
            .map(|n| format!("cleared {}: {n} answers deleted\n", path.display())),
    };
    match done {
        Ok(text) => super::flushed(out.write_all(text.as_bytes())),
        Err(e) => fail(&e.to_string()),
    }
}

/// What `cache stats` prints, one fact a line.
fn stats(s: &Stats, now: SystemTime) -> String {
    let when = |t: Option<SystemTime>| match t {
        Some(t) => format!(
            "{} ({} ago)",
            humantime::format_rfc3339_seconds(t),
            age(now.duration_since(t).unwrap_or_default())
        ),
        None => "-".to_owned(),
    };
    format!(
        "path     {}\n\
         entries  {} ({} answers, {} not found; {} past their lifetime)\n\
         size     {} on disk ({} of {} in use)\n\
         oldest   {}\n\
         newest   {}\n\
         lifetime {}\n\
         asking   {} IPs being asked by running actions\n",
        s.path.display(),
        s.entries,
        s.answers,
        s.not_found,
        s.expired,
        bytes(s.bytes_on_disk),
        bytes(s.bytes_used),
        bytes(s.max_bytes),
        when(s.oldest),
        when(s.newest),
        age(s.ttl),
        s.live_claims,
    )
}

/// A size for people: `512 B`, `3.2 KiB`, `41.0 MiB`, `1.5 GiB`.
fn bytes(n: u64) -> String {
    super::binary_units(n).unwrap_or_else(|| format!("{n} B"))
}

/// A duration for people, in its largest whole unit: `40 s`, `5 min`, `3 h`, `7 days`.
fn age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3_600 => format!("{} min", s / 60),
        3_600..86_400 => format!("{} h", s / 3_600),
        86_400..172_800 => "1 day".to_owned(),
        _ => format!("{} days", s / 86_400),
    }
}

fn fail(message: &str) -> Exit {
    say!("maxmind-geolocate: error: {message}");
    Exit::Failure
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_as_people_say_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(3277), "3.2 KiB");
        assert_eq!(bytes(256 << 20), "256.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
        assert_eq!(age(Duration::from_secs(40)), "40 s");
        assert_eq!(age(Duration::from_secs(300)), "5 min");
        assert_eq!(age(Duration::from_secs(3 * 3_600 + 1)), "3 h");
        assert_eq!(age(Duration::from_secs(86_400)), "1 day");
        assert_eq!(age(Duration::from_secs(604_800)), "7 days");
    }
}
