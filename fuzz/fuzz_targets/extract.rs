//! IP extraction: any bytes in; every address found is canonical and is found again on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maxmind_geolocate::{Extracted, scan, scan_reader};

fuzz_target!(|data: &[u8]| {
    let mut found: Vec<Extracted> = Vec::new();
    scan(data, &mut |e| found.push(e));
    for e in &found {
        // Where it is written is inside the input and not empty.
        assert!(e.start < e.end && e.end <= data.len(), "{e:?}");
        let text = e.ip.to_string();
        let mut again = Vec::new();
        scan(text.as_bytes(), &mut |x| again.push(x.ip));
        assert_eq!(again, [e.ip], "{text} is not found on its own");
        if let Some(net) = e.network {
            assert!(net.contains(&e.ip));
        }
    }
    // Streaming gives the same addresses at the same places as one pass over plain bytes
    // (after the sniffed encoding, which only differs for UTF-16-looking input).
    let mut streamed = Vec::new();
    let _ = scan_reader(data, u64::MAX, &mut |e| {
        streamed.push((e.ip, e.start, e.end))
    });
    if maxmind_geolocate::sniff(data) == maxmind_geolocate::Encoding::Bytes
        && !data.starts_with(&[0xef, 0xbb, 0xbf])
    {
        let direct: Vec<_> = found.iter().map(|e| (e.ip, e.start, e.end)).collect();
        assert_eq!(streamed, direct);
    }
});
