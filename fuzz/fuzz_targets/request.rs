//! The request parser and dispatcher: any bytes in, one serializable response out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maxmind_geolocate::Environment;
use maxmind_geolocate::{Session, run_request};

fuzz_target!(|data: &[u8]| {
    // The web source would try to reach MaxMind; this machine must not send traffic out.
    if data.windows(3).any(|w| w.eq_ignore_ascii_case(b"web")) {
        return;
    }
    let env = Environment::from_vars(Some(std::path::Path::new("")), |name| match name {
        "MAXMIND_DB_DIR" => Some("../fixtures".into()),
        "MAXMIND_ATTACHMENT_DIR" => Some("../fixtures/attachments".into()),
        _ => None,
    });
    let response = run_request(data, &Session::new(env));
    let json = serde_json::to_vec(&response).expect("every response serializes");
    assert!(!json.is_empty());
});
