//! Opening and querying a MaxMind DB: any bytes in; an error or answers, never a crash or a
//! hang; and the fast path answers every address exactly as the reference path does (the
//! `maxminddb` crate's decoding, the mapping table, serde), refusing exactly when it refuses.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use maxmind_geolocate::Context;
use maxmind_geolocate::Error;
use maxmind_geolocate::{Answer, Backend, Deadline, MmdbBackend};

const PROBES: [&str; 8] = [
    "81.2.69.142",
    "2.125.160.216",
    "1.128.0.1",
    "2a02:ff80::1",
    "::1.2.3.4",
    "255.255.255.254",
    "0.0.0.0",
    "ffff::1",
];

/// An answer as the response shows it.
fn seen(answer: &Result<Answer, Error>) -> Result<String, &'static str> {
    match answer {
        Err(e) => Err(e.code()),
        Ok(a) => Ok(format!(
            "{:?} {:?} {:?}",
            a.network,
            a.matched,
            a.record.as_ref().map(|r| (
                r.data.get(),
                &r.attributes[..],
                &r.indicators[..],
                &r.display
            ))
        )),
    }
}

fuzz_target!(|data: &[u8]| {
    let deadline = Deadline {
        at: Instant::now() + Duration::from_secs(60),
        seconds: 60,
    };
    let ips: Vec<std::net::IpAddr> = PROBES.iter().map(|p| p.parse().unwrap()).collect();
    for context in [Context::Auto, Context::Country] {
        let open = || MmdbBackend::from_bytes("fuzz.mmdb", data.to_vec(), context, "de");
        let (Ok((fast, _)), Ok((reference, _))) = (open(), open()) else {
            return;
        };
        let reference = reference.reference_path();
        let by_fast = fast.lookup_many(&ips, deadline, None);
        let by_reference = reference.lookup_many(&ips, deadline, None);
        for ((ip, f), r) in ips.iter().zip(&by_fast).zip(&by_reference) {
            assert_eq!(seen(f), seen(r), "{ip}");
            if let Ok(Answer {
                record: Some(record),
                ..
            }) = f
            {
                let text = record.data.get();
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
                assert!(parsed.is_ok(), "the fast path wrote invalid JSON: {text}");
            }
        }
        // One by one, the batch's tree walk aside: the same answers.
        for (ip, batch) in ips.iter().zip(&by_fast) {
            let one = fast.lookup_many(&[*ip], deadline, None);
            assert_eq!(seen(&one[0]), seen(batch), "{ip}");
        }
    }
});
