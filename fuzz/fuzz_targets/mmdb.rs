//! Opening and querying a MaxMind DB: any bytes in; an error or answers, never a crash or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maxmind_geolocate::backend::Backend;
use maxmind_geolocate::backend::mmdb::MmdbBackend;
use maxmind_geolocate::config::Context;
use maxmind_geolocate::mapping;

const PROBES: [&str; 6] = ["81.2.69.142", "2.125.160.216", "1.128.0.1", "2a02:ff80::1", "::1.2.3.4", "255.255.255.254"];

fuzz_target!(|data: &[u8]| {
    let Ok((backend, _)) = MmdbBackend::from_bytes("fuzz.mmdb", data.to_vec(), Context::Auto, "de") else {
        return;
    };
    // The batch path walks the tree itself: it must answer as the one-by-one path does.
    let ips: Vec<std::net::IpAddr> = PROBES.iter().map(|p| p.parse().unwrap()).collect();
    if let Some(many) = backend.lookup_transcoded_many(&ips) {
        for (ip, many) in ips.iter().zip(many) {
            let one = backend.lookup_transcoded(*ip).expect("a fast path for one as for many");
            let text = |t: &maxmind_geolocate::backend::Transcoded| {
                (t.network, t.answer.as_ref().map(|a| a.data.get().into_owned()))
            };
            match (&one, &many) {
                (Ok(one), Ok(many)) => assert_eq!(text(one), text(many), "{ip}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{ip}: one by one {one:?}, in a batch {many:?}"),
            }
        }
    }
    for probe in PROBES {
        let ip = probe.parse().unwrap();
        // The fast path writes JSON itself: it must always be valid JSON.
        if let Some(Ok(t)) = backend.lookup_transcoded(ip) {
            if let Some(answer) = &t.answer {
                let text = answer.data.get();
                let parsed: Result<serde_json::Value, _> = serde_json::from_str(&text);
                assert!(parsed.is_ok(), "the transcoder wrote invalid JSON: {text}");
            }
        }
        if let Ok(found) = backend.lookup(ip) {
            let m = mapping::map_records(found.records.iter().map(|r| (&r.record, r.rows)), "de");
            let _ = serde_json::to_string(&m.attributes).unwrap();
            for r in &found.records {
                let _ = mapping::display(&r.record, "de");
            }
        }
    }
});
