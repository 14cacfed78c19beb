//! The cache's specification, as tests. The multi-process tests start this test binary again,
//! running only [`child_process`] with a role given in the environment.

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tempfile::TempDir;

use super::*;

const SERVICE: &str = "https://geoip.maxmind.com";
const NOT_FOUND_BODY: &str = r#"{"code": "IP_ADDRESS_NOT_FOUND", "error": "The address 81.2.0.200 is not in the database."}"#;
/// 2023-11-14T22:13:20Z.
const T0: u64 = 1_700_000_000;
const MINUTE: Duration = Duration::from_secs(60);

/// A wall clock that tests move by hand.
#[derive(Debug)]
struct TestClock(Mutex<SystemTime>);

impl TestClock {
    fn at(unix: u64) -> Arc<TestClock> {
        Arc::new(TestClock(Mutex::new(
            UNIX_EPOCH + Duration::from_secs(unix),
        )))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn set(&self, unix: u64) {
        *self.0.lock().unwrap() = UNIX_EPOCH + Duration::from_secs(unix);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

fn ip(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x5102_0000 + n))
}

fn key(n: u32) -> Key {
    Key::new(SERVICE, "city", ip(n))
}

/// A City answer shaped like MaxMind's (pretty-printed, about 3 KiB), for `ip`.
fn city_body(ip: &str) -> String {
    let names = |en: &str, ja: &str, ru: &str, zh: &str| {
        format!(
            r#"{{
        "de": "{en}",
        "en": "{en}",
        "es": "{en}",
        "fr": "{en}",
        "ja": "{ja}",
        "pt-BR": "{en}",
        "ru": "{ru}",
        "zh-CN": "{zh}"
      }}"#
        )
    };
    format!(
        r#"{{
  "city": {{
    "geoname_id": 2643743,
    "names": {city}
  }},
  "continent": {{
    "code": "EU",
    "geoname_id": 6255148,
    "names": {europe}
  }},
  "country": {{
    "iso_code": "GB",
    "geoname_id": 2635167,
    "names": {uk}
  }},
  "location": {{
    "accuracy_radius": 100,
    "latitude": 51.5142,
    "longitude": -0.0931,
    "time_zone": "Europe/London"
  }},
  "postal": {{
    "code": "EC2V"
  }},
  "registered_country": {{
    "iso_code": "GB",
    "geoname_id": 2635167,
    "names": {uk}
  }},
  "subdivisions": [
    {{
      "iso_code": "ENG",
      "geoname_id": 6269131,
      "names": {england}
    }}
  ],
  "traits": {{
    "autonomous_system_number": 20712,
    "autonomous_system_organization": "Andrews & Arnold Ltd",
    "isp": "Andrews & Arnold Ltd",
    "organization": "STONEHOUSE office network",
    "ip_address": "{ip}",
    "network": "{ip}/32"
  }},
  "maxmind": {{
    "queries_remaining": 54321
  }}
}}
"#,
        city = names("London", "ロンドン", "Лондон", "伦敦"),
        europe = names("Europe", "ヨーロッパ", "Европа", "欧洲"),
        uk = names("United Kingdom", "イギリス", "Великобритания", "英国"),
        england = names("England", "イングランド", "Англия", "英格兰"),
    )
}

fn answer(n: u32) -> Cacheable {
    Cacheable::answer(city_body(&ip(n).to_string()).as_bytes()).unwrap()
}

fn cache_path(dir: &TempDir) -> PathBuf {
    dir.path().join("cache").join("web.sqlite3")
}

fn open(path: &Path, settings: Settings) -> Cache {
    Cache::open(path, settings).expect("the cache opens")
}

fn claimed(lookup: Lookup) -> ClaimGuard {
    match lookup {
        Lookup::Claimed(guard) => guard,
        other => panic!("expected a claim, got {other:?}"),
    }
}

fn hit(lookup: Lookup) -> Cached {
    match lookup {
        Lookup::Hit(cached) => cached,
        other => panic!("expected a hit, got {other:?}"),
    }
}

fn is_wait(lookup: &Lookup) -> bool {
    matches!(lookup, Lookup::Wait)
}

// ---- where the cache lives ----

#[test]
fn claims_last_as_long_as_the_tries_of_one_query() {
    assert_eq!(
        claim_time(Duration::from_secs(10), 3),
        Duration::from_secs(30)
    );
    assert_eq!(
        claim_time(Duration::from_secs(10), 0),
        Duration::from_secs(10)
    );
}

#[test]
fn waiters_poll_from_25_ms_up_to_250_ms() {
    let mut backoff = Backoff::new();
    let delays: Vec<u128> = (0..8).map(|_| backoff.next_delay().as_millis()).collect();
    assert_eq!(delays, [25, 37, 56, 84, 126, 189, 250, 250]);
}

// ---- hits, misses, expiry ----

#[test]
fn a_stored_answer_is_a_hit_for_every_process_and_other_keys_miss() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let cache = open(&path, Settings::default());
    assert_eq!(cache.get(&key(1)).unwrap(), None);
    cache.put(&key(1), answer(1)).unwrap();

    let cached = cache.get(&key(1)).unwrap().expect("a hit");
    assert_eq!(cached.kind, Kind::Answer);
    assert_eq!(cached.body, answer(1).body());
    assert!(cached.age(SystemTime::now()) < MINUTE);
    assert_eq!(cache.get(&key(2)).unwrap(), None);

    // Another process (another connection, another owner) sees it too.
    let other = open(&path, Settings::default());
    assert_eq!(other.get(&key(1)).unwrap(), Some(cached.clone()));
    assert_eq!(
        other.get_many(&[key(2), key(1)]).unwrap(),
        vec![None, Some(cached)]
    );
    // `get` only reads: it claimed nothing.
    assert_eq!(other.stats().unwrap().live_claims, 0);
}

#[test]
fn entries_older_than_the_ttl_are_misses() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::at(T0);
    let settings =
        Settings::new(Duration::from_secs(100), DEFAULT_MAX_BYTES).with_clock(clock.clone());
    let cache = open(&cache_path(&dir), settings);
    cache.put(&key(1), answer(1)).unwrap();

    clock.advance(Duration::from_secs(99));
    assert!(cache.get(&key(1)).unwrap().is_some(), "99 s old: fresh");
    hit(cache.get_or_claim(&key(1), MINUTE).unwrap());

    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.get(&key(1)).unwrap(), None, "100 s old: expired");
    let guard = claimed(cache.get_or_claim(&key(1), MINUTE).unwrap());
    guard.put(answer(1)).unwrap();
    assert!(
        cache.get(&key(1)).unwrap().is_some(),
        "the new answer is fresh"
    );

    // A clock set far back does not keep entries "from the future" fresh for ever.
    clock.set(T0 - 1_000);
    assert_eq!(cache.get(&key(1)).unwrap(), None);
}

#[test]
fn a_zero_ttl_makes_every_entry_a_miss() {
    let dir = TempDir::new().unwrap();
    let cache = open(
        &cache_path(&dir),
        Settings::new(Duration::ZERO, DEFAULT_MAX_BYTES),
    );
    cache.put(&key(1), answer(1)).unwrap();
    assert_eq!(cache.get(&key(1)).unwrap(), None);
}

// ---- what may be stored ----

#[test]
fn not_found_answers_are_cached_with_their_code_and_message() {
    let dir = TempDir::new().unwrap();
    let cache = open(&cache_path(&dir), Settings::default());
    let value = Cacheable::from_response(404, NOT_FOUND_BODY.as_bytes()).unwrap();
    assert_eq!(value.kind(), Kind::NotFound);
    cache.put(&key(200), value).unwrap();

    let cached = cache.get(&key(200)).unwrap().expect("a hit");
    assert_eq!(cached.kind, Kind::NotFound);
    assert_eq!(
        cached.error(),
        Some((
            "IP_ADDRESS_NOT_FOUND".to_owned(),
            "The address 81.2.0.200 is not in the database.".to_owned()
        ))
    );
    assert_eq!(
        cached.body,
        r#"{"code":"IP_ADDRESS_NOT_FOUND","error":"The address 81.2.0.200 is not in the database."}"#
    );
}

#[test]
fn refusals_other_errors_and_non_json_bodies_cannot_be_cached() {
    let error = |code: &str| format!(r#"{{"code":"{code}","error":"refused"}}"#);
    let refused: Vec<(u16, String)> = vec![
        (401, error("AUTHORIZATION_INVALID")),
        (401, error("LICENSE_KEY_REQUIRED")),
        (401, error("ACCOUNT_ID_REQUIRED")),
        (402, error("INSUFFICIENT_FUNDS")),
        (402, error("OUT_OF_QUERIES")),
        (403, error("PERMISSION_REQUIRED")),
        (400, error("IP_ADDRESS_INVALID")),
        (400, error("IP_ADDRESS_RESERVED")),
        (404, r#"{"error":"no code"}"#.to_owned()),
        (404, "Not Found".to_owned()),
        (429, error("TOO_MANY_REQUESTS")),
        (500, error("IP_ADDRESS_NOT_FOUND")),
        (503, "<html>Service Unavailable</html>".to_owned()),
        (301, String::new()),
        (200, "<html>captive portal</html>".to_owned()),
        (200, String::new()),
        (200, "[1, 2]".to_owned()),
        (200, r#""a string""#.to_owned()),
        (200, r#"{"city": "#.to_owned()),
        (200, r#"{"a": 1} {"b": 2}"#.to_owned()),
    ];
    for (status, body) in &refused {
        let result = Cacheable::from_response(*status, body.as_bytes());
        assert!(
            result.is_err(),
            "HTTP {status} {body:?} was accepted: {result:?}"
        );
    }
    assert_eq!(
        Cacheable::from_response(401, error("AUTHORIZATION_INVALID").as_bytes()),
        Err(NotCacheable::Code("AUTHORIZATION_INVALID".into()))
    );
    assert_eq!(
        Cacheable::from_response(503, b"<html>"),
        Err(NotCacheable::Status(503))
    );
    assert_eq!(Cacheable::answer(b"[1]"), Err(NotCacheable::NotAnObject));
    assert!(matches!(
        Cacheable::answer(&[0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        Err(NotCacheable::NotJson(_))
    ));
    assert!(Cacheable::from_response(200, b"  {\"a\": 1}\n").is_ok());
}

#[test]
fn bodies_are_stored_compact_with_key_order_and_text_kept() {
    let sent = "{\n  \"zeta\": 1,\n  \"alpha\" : { \"b\": [1, 2.50, 1e3, -0.0], \
                \"a\": \"x y\\\" \\\\\" },\n  \"names\": {\"ja\": \"ロンドン\", \"en\": \"St. Albans\"},\n  \
                \"esc\": \"\\u00e9\\n\\t\"\n}\n";
    let expected = r#"{"zeta":1,"alpha":{"b":[1,2.50,1e3,-0.0],"a":"x y\" \\"},"names":{"ja":"ロンドン","en":"St. Albans"},"esc":"\u00e9\n\t"}"#;
    let value = Cacheable::answer(sent.as_bytes()).unwrap();
    assert_eq!(value.body(), expected);
    let parsed = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap();
    assert_eq!(parsed(value.body()), parsed(sent), "same document");

    let dir = TempDir::new().unwrap();
    let cache = open(&cache_path(&dir), Settings::default());
    cache.put(&key(1), value).unwrap();
    assert_eq!(cache.get(&key(1)).unwrap().unwrap().body, expected);

    let city = answer(1);
    assert!(city.body().len() < city_body("81.2.0.1").len() * 3 / 4);
    assert!(
        city.body()
            .starts_with(r#"{"city":{"geoname_id":2643743,"names":{"de":"London""#)
    );
}

#[test]
fn another_service_url_or_endpoint_is_another_key() {
    let dir = TempDir::new().unwrap();
    let cache = open(&cache_path(&dir), Settings::default());
    let address = ip(1);
    cache
        .put(&Key::new(SERVICE, "city", address), answer(1))
        .unwrap();

    for other in [
        Key::new("https://geolite.info", "city", address),
        Key::new("http://127.0.0.1:8080", "city", address),
        Key::new("https://geoip.maxmind.com/proxy", "city", address),
        Key::new(SERVICE, "country", address),
        Key::new(SERVICE, "insights", address),
        Key::new(SERVICE, "city", ip(2)),
    ] {
        assert_eq!(cache.get(&other).unwrap(), None, "{other:?}");
    }
    // Spellings of the same base URL are the same key; credentials are never part of it.
    for same in [
        "https://geoip.maxmind.com/",
        "HTTPS://GeoIP.MaxMind.com//",
        " https://geoip.maxmind.com?x=1 ",
        "https://42:secret@geoip.maxmind.com/",
    ] {
        let k = Key::new(same, "City", address);
        assert_eq!(k.service(), SERVICE);
        assert!(cache.get(&k).unwrap().is_some(), "{same}");
    }
    assert_eq!(key(1).with_ip(ip(9)), key(9));
}

// ---- size ----

#[test]
fn over_the_size_bound_the_oldest_entries_go_first() {
    let dir = TempDir::new().unwrap();
    let clock = TestClock::at(T0);
    let max_bytes = 512 * 1024;
    let settings = Settings::new(DEFAULT_TTL, max_bytes).with_clock(clock.clone());
    let cache = open(&cache_path(&dir), settings);
    let n = 600;
    for i in 0..n {
        clock.advance(Duration::from_secs(1));
        cache.put(&key(i), answer(i)).unwrap();
        if i % 50 == 0 {
            assert!(cache.stats().unwrap().bytes_used <= max_bytes);
        }
    }
    let stats = cache.stats().unwrap();
    assert!(stats.bytes_used <= max_bytes, "{stats:?}");
    let keys: Vec<Key> = (0..n).map(key).collect();
    let kept: Vec<u32> = cache
        .get_many(&keys)
        .unwrap()
        .iter()
        .zip(0..)
        .filter_map(|(c, i)| c.as_ref().map(|_| i))
        .collect();
    let first = kept[0];
    assert!(first > 0, "something was evicted");
    assert_eq!(
        kept,
        (first..n).collect::<Vec<_>>(),
        "the newest are kept, in one run"
    );
    assert!(kept.len() > 60, "the bound is used: {} kept", kept.len());
    assert_eq!(stats.entries, kept.len() as u64);
}

// ---- claims ----

#[test]
fn a_claim_makes_every_other_asker_wait_until_the_answer_is_put() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );

    let guard = claimed(a.get_or_claim(&key(1), MINUTE).unwrap());
    assert_eq!(guard.key(), &key(1));
    assert!(is_wait(&b.get_or_claim(&key(1), MINUTE).unwrap()));
    // Not even the owner asks twice.
    assert!(is_wait(&a.get_or_claim(&key(1), MINUTE).unwrap()));
    assert_eq!(a.stats().unwrap().live_claims, 1);

    guard.put(answer(1)).unwrap();
    assert_eq!(
        hit(b.get_or_claim(&key(1), MINUTE).unwrap()).kind,
        Kind::Answer
    );
    assert_eq!(a.stats().unwrap().live_claims, 0);
}

#[test]
fn a_released_or_dropped_claim_can_be_taken_by_others() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );

    claimed(a.get_or_claim(&key(1), MINUTE).unwrap())
        .release()
        .unwrap();
    let guard = claimed(b.get_or_claim(&key(1), MINUTE).unwrap());
    drop(guard); // e.g. the query task failed early
    let guard = claimed(a.get_or_claim(&key(1), MINUTE).unwrap());

    // A claim handed over as a key is answered by key, in a batch.
    let k = guard.into_key();
    assert!(is_wait(&b.get_or_claim(&k, MINUTE).unwrap()));
    a.put_many(&[(k.clone(), answer(1))]).unwrap();
    hit(b.get_or_claim(&k, MINUTE).unwrap());
}

#[test]
fn a_claim_past_its_deadline_is_taken_over() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let clock = TestClock::at(T0);
    let settings = Settings::default().with_clock(clock.clone());
    let (a, b, c) = (
        open(&path, settings.clone()),
        open(&path, settings.clone()),
        open(&path, settings),
    );

    let stale = claimed(a.get_or_claim(&key(1), Duration::from_secs(30)).unwrap());
    clock.advance(Duration::from_secs(29));
    assert!(is_wait(&b.get_or_claim(&key(1), MINUTE).unwrap()));
    clock.advance(Duration::from_secs(1));
    let guard = claimed(b.get_or_claim(&key(1), MINUTE).unwrap());

    // The late owner's release does not drop the new owner's claim.
    stale.release().unwrap();
    assert!(is_wait(&c.get_or_claim(&key(1), MINUTE).unwrap()));
    guard.put(answer(1)).unwrap();
    hit(c.get_or_claim(&key(1), MINUTE).unwrap());
}

#[test]
fn a_batch_claims_each_key_once_and_keeps_its_order() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );
    a.put(&key(2), answer(2)).unwrap();
    let _held = claimed(b.get_or_claim(&key(4), MINUTE).unwrap());

    let got = a
        .get_or_claim_many(&[key(1), key(2), key(1), key(3), key(4)], MINUTE)
        .unwrap();
    let shape: Vec<&str> = got
        .iter()
        .map(|l| match l {
            Lookup::Hit(_) => "hit",
            Lookup::Claimed(_) => "claimed",
            Lookup::Wait => "wait",
        })
        .collect();
    assert_eq!(shape, ["claimed", "hit", "wait", "claimed", "wait"]);
    let keys: Vec<Key> = got
        .into_iter()
        .filter_map(|l| match l {
            Lookup::Claimed(g) => Some(g.key().clone()),
            _ => None,
        })
        .collect();
    assert_eq!(keys, [key(1), key(3)]);
}

#[test]
fn a_put_buffer_stores_answers_in_batches_when_full_old_flushed_or_dropped() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );
    let keys: Vec<Key> = (0..80).map(key).collect();
    let mut guards = a
        .get_or_claim_many(&keys, MINUTE)
        .unwrap()
        .into_iter()
        .map(claimed)
        .zip(0..);
    let mut buffer = a.buffer();
    let answered = |n: u32| b.get(&key(n)).unwrap().is_some();

    for (guard, n) in guards.by_ref().take(PutBuffer::MAX_ITEMS - 1) {
        buffer.push(guard, answer(n)).unwrap();
    }
    assert_eq!(buffer.len(), 63);
    assert!(!answered(0), "held, not stored yet");
    assert!(
        is_wait(&b.get_or_claim(&key(0), MINUTE).unwrap()),
        "still claimed"
    );
    let (guard, n) = guards.next().unwrap();
    buffer.push(guard, answer(n)).unwrap();
    assert!(
        buffer.is_empty() && (0..64).all(answered),
        "the 64th push stores all"
    );

    let (guard, n) = guards.next().unwrap();
    buffer.push(guard, answer(n)).unwrap();
    buffer.flush().unwrap();
    assert!(answered(64), "flushed");

    let (guard, n) = guards.next().unwrap();
    buffer.push(guard, answer(n)).unwrap();
    std::thread::sleep(PutBuffer::MAX_DELAY);
    let (guard, n) = guards.next().unwrap();
    buffer.push(guard, answer(n)).unwrap();
    assert!(
        buffer.is_empty() && answered(65) && answered(66),
        "the oldest had waited"
    );

    for (guard, n) in guards {
        buffer.push(guard, answer(n)).unwrap();
    }
    drop(buffer);
    assert!((0..80).all(answered), "dropping the buffer stores the rest");
    assert_eq!(a.stats().unwrap().live_claims, 0);
}

#[test]
fn wait_for_returns_answers_as_their_owner_puts_them() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );
    let keys: Vec<Key> = (1..=5).map(key).collect();
    let guards: Vec<ClaimGuard> = a
        .get_or_claim_many(&keys, MINUTE)
        .unwrap()
        .into_iter()
        .map(claimed)
        .collect();

    let owner = std::thread::spawn(move || {
        for (i, guard) in guards.into_iter().enumerate() {
            std::thread::sleep(Duration::from_millis(40));
            if i < 4 {
                guard.put(answer(i as u32 + 1)).unwrap();
            } else {
                guard.release().unwrap(); // the query failed: b may try
            }
        }
    });
    let started = Instant::now();
    let got = wait_for(&b, &keys, MINUTE, Instant::now() + Duration::from_secs(20)).unwrap();
    owner.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut got = got.into_iter();
    for n in 1..=4 {
        let cached = hit(got.next().unwrap());
        assert!(cached.body.contains(&format!("\"81.2.0.{n}\"")));
    }
    assert_eq!(claimed(got.next().unwrap()).key(), &key(5));
}

#[test]
fn wait_for_gives_up_at_its_deadline() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let (a, b) = (
        open(&path, Settings::default()),
        open(&path, Settings::default()),
    );
    let _held = claimed(a.get_or_claim(&key(1), MINUTE).unwrap());
    let started = Instant::now();
    let got = wait_for(&b, &[key(1)], MINUTE, started + Duration::from_millis(300)).unwrap();
    assert!(is_wait(&got[0]));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn the_cache_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Cache>();
    shared::<ClaimGuard>();
    shared::<Lookup>();
    shared::<PutBuffer>();
    shared::<CacheError>();
}

// ---- several processes ----

const ROLE: &str = "WEBCACHE_TEST_ROLE";
const DB: &str = "WEBCACHE_TEST_DB";
const OUT: &str = "WEBCACHE_TEST_OUT";
const LOG: &str = "WEBCACHE_TEST_LOG";
const GO: &str = "WEBCACHE_TEST_GO";
const INDEX: &str = "WEBCACHE_TEST_INDEX";
const CLAIM_MS: &str = "WEBCACHE_TEST_CLAIM_MS";

/// Not a test: the body of the child processes that the multi-process tests start.
#[test]
#[ignore = "run as a child process by the multi-process tests"]
fn child_process() {
    let Ok(role) = std::env::var(ROLE) else {
        return;
    };
    let var = |name| PathBuf::from(std::env::var_os(name).expect(name));
    match role.as_str() {
        "ask-forty" => ask_forty(&var(DB), &var(LOG), &var(GO), &var(OUT)),
        "claim-and-hang" => claim_and_hang(&var(DB), &var(OUT)),
        "open" => {
            while !var(GO).exists() {
                std::thread::sleep(Duration::from_micros(500));
            }
            let cache = Cache::open(&var(DB), Settings::default()).expect("the cache opens");
            cache.put(&key(1), answer(1)).expect("a put");
            fs::write(var(OUT), "ok").unwrap();
        }
        other => panic!("unknown role {other}"),
    }
}

/// The test name of [`child_process`], wherever this module is.
fn child_test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{module}::child_process")
}

fn spawn_child(role: &str, dir: &Path, env: &[(&str, OsString)]) -> Child {
    let n = env
        .iter()
        .find(|(k, _)| *k == INDEX)
        .map_or("0".into(), |(_, v)| v.to_string_lossy().into_owned());
    let log = |name: &str| fs::File::create(dir.join(format!("{role}-{n}.{name}"))).unwrap();
    Command::new(std::env::current_exe().unwrap())
        .args([
            &child_test_name(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::null())
        .stdout(log("stdout"))
        .stderr(log("stderr"))
        .spawn()
        .unwrap()
}

fn wait_child(mut child: Child, deadline: Instant) -> std::process::ExitStatus {
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a child process did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One "action": asks the 40 keys in batches of 8, in its own order, "queries" (logs, sleeps,
/// puts) the ones it claims, waits for the others, and checks it ends with all 40.
fn ask_forty(db: &Path, log: &Path, go: &Path, out: &Path) {
    let index: usize = std::env::var(INDEX).unwrap().parse().unwrap();
    let started = Instant::now();
    while !go.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no go");
        std::thread::sleep(Duration::from_millis(2));
    }
    let cache = Cache::open(db, Settings::default()).expect("the cache opens");
    let all: Vec<Key> = (0..40).map(key).collect();
    let mut mine = all.clone();
    mine.rotate_left(index * 7 % 40);
    let claim_for = Duration::from_secs(30);
    let query = |guard: ClaimGuard| {
        let mut file = fs::OpenOptions::new().append(true).open(log).unwrap();
        let n = match guard.key().ip() {
            IpAddr::V4(a) => u32::from(a) - 0x5102_0000,
            IpAddr::V6(_) => unreachable!(),
        };
        file.write_all(format!("{n} {}\n", std::process::id()).as_bytes())
            .unwrap();
        std::thread::sleep(Duration::from_millis(15)); // the network
        guard.put(answer(n)).unwrap();
    };
    let mut waiting = Vec::new();
    for batch in mine.chunks(8) {
        for (k, lookup) in batch
            .iter()
            .zip(cache.get_or_claim_many(batch, claim_for).unwrap())
        {
            match lookup {
                Lookup::Hit(_) => {}
                Lookup::Claimed(guard) => query(guard),
                Lookup::Wait => waiting.push(k.clone()),
            }
        }
    }
    let until = Instant::now() + Duration::from_secs(30);
    for (k, lookup) in waiting
        .iter()
        .zip(wait_for(&cache, &waiting, claim_for, until).unwrap())
    {
        match lookup {
            Lookup::Hit(_) => {}
            Lookup::Claimed(guard) => query(guard),
            Lookup::Wait => panic!("{k:?} was never answered"),
        }
    }
    let answers = cache.get_many(&all).unwrap();
    for (n, cached) in answers.iter().enumerate() {
        let cached = cached.as_ref().expect("every key is answered");
        assert!(cached.body.contains(&format!("\"81.2.0.{n}\"")));
    }
    fs::write(out, "ok").unwrap();
}

/// Claims one key for `CLAIM_MS`, says so, and hangs until it is killed.
fn claim_and_hang(db: &Path, out: &Path) {
    let ms: u64 = std::env::var(CLAIM_MS).unwrap().parse().unwrap();
    let cache = Cache::open(db, Settings::default()).expect("the cache opens");
    let _guard = claimed(
        cache
            .get_or_claim(&key(7), Duration::from_millis(ms))
            .unwrap(),
    );
    fs::write(out, "claimed").unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn six_processes_on_a_cold_cache_ask_each_address_once() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("cold").join("web.sqlite3");
    let log = dir.path().join("queries.log");
    let go = dir.path().join("go");
    fs::write(&log, "").unwrap();
    let children: Vec<(usize, Child)> = (0..6)
        .map(|i| {
            let env = [
                (DB, db.clone().into_os_string()),
                (LOG, log.clone().into_os_string()),
                (GO, go.clone().into_os_string()),
                (OUT, dir.path().join(format!("out-{i}")).into_os_string()),
                (INDEX, OsString::from(i.to_string())),
            ];
            (i, spawn_child("ask-forty", dir.path(), &env))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300)); // let them all start, then start together
    fs::write(&go, "").unwrap();

    let deadline = Instant::now() + Duration::from_secs(120);
    for (i, child) in children {
        let status = wait_child(child, deadline);
        let stderr = fs::read_to_string(dir.path().join(format!("ask-forty-{i}.stderr")))
            .unwrap_or_default();
        let stdout = fs::read_to_string(dir.path().join(format!("ask-forty-{i}.stdout")))
            .unwrap_or_default();
        assert!(status.success(), "child {i}: {status}\n{stdout}\n{stderr}");
        assert_eq!(
            fs::read_to_string(dir.path().join(format!("out-{i}"))).unwrap(),
            "ok",
            "child {i} ends with all 40 answers"
        );
    }

    let queries = fs::read_to_string(&log).unwrap();
    let mut asked: Vec<u32> = queries
        .lines()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(asked.len(), 40, "40 queries in all:\n{queries}");
    asked.sort_unstable();
    assert_eq!(asked, (0..40).collect::<Vec<_>>(), "each address once");
    let askers: std::collections::BTreeSet<&str> = queries
        .lines()
        .filter_map(|l| l.split(' ').nth(1))
        .collect();
    eprintln!("40 queries sent by {} of the 6 processes", askers.len());

    let stats = open(&db, Settings::default()).stats().unwrap();
    assert_eq!((stats.entries, stats.live_claims), (40, 0));
}

#[test]
fn processes_that_create_the_cache_at_the_same_moment_all_open_it() {
    let dir = TempDir::new().unwrap();
    for round in 0..8 {
        let db = dir
            .path()
            .join(format!("round-{round}"))
            .join("web.sqlite3");
        let go = dir.path().join(format!("go-{round}"));
        let children: Vec<(PathBuf, Child)> = (0..6)
            .map(|i| {
                let out = dir.path().join(format!("opened-{round}-{i}"));
                let env = [
                    (DB, db.clone().into_os_string()),
                    (GO, go.clone().into_os_string()),
                    (OUT, out.clone().into_os_string()),
                    (INDEX, OsString::from(format!("{round}-{i}"))),
                ];
                (out, spawn_child("open", dir.path(), &env))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(150));
        fs::write(&go, "").unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        for (out, child) in children {
            let status = wait_child(child, deadline);
            assert!(status.success() && out.exists(), "round {round}: {status}");
        }
        let names: Vec<String> = fs::read_dir(db.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with("-wal") && !n.ends_with("-shm"))
            .collect();
        assert_eq!(
            names,
            ["web.sqlite3"],
            "no file left behind, none moved aside"
        );
    }
}

#[test]
fn the_claim_of_a_killed_process_expires() {
    let dir = TempDir::new().unwrap();
    let db = cache_path(&dir);
    let out = dir.path().join("claimed");
    let claim_ms = 2_000;
    let started = Instant::now();
    let mut child = spawn_child(
        "claim-and-hang",
        dir.path(),
        &[
            (DB, db.clone().into_os_string()),
            (OUT, out.clone().into_os_string()),
            (CLAIM_MS, OsString::from(claim_ms.to_string())),
        ],
    );
    while !out.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the child never claimed"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child ended: {status}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no destructor runs, the claim stays behind
    child.wait().unwrap();

    let cache = open(&db, Settings::default());
    let first = cache.get_or_claim(&key(7), MINUTE).unwrap();
    if started.elapsed() < Duration::from_millis(claim_ms - 500) {
        assert!(
            is_wait(&first),
            "the dead owner's claim still holds: {first:?}"
        );
    }
    drop(first);
    let got = wait_for(
        &cache,
        &[key(7)],
        MINUTE,
        Instant::now() + Duration::from_secs(30),
    )
    .unwrap();
    let guard = claimed(got.into_iter().next().unwrap());
    assert!(
        started.elapsed() >= Duration::from_millis(claim_ms),
        "not before the deadline"
    );
    guard.put(answer(7)).unwrap();
}

#[test]
fn a_bulk_is_claimed_and_stored_in_short_transactions() {
    let dir = TempDir::new().unwrap();
    let cache = open(&cache_path(&dir), Settings::default());
    let n = (CLAIM_CHUNK * 2 + 17) as u32;
    let keys: Vec<Key> = (0..n).map(key).collect();
    let items: Vec<(Key, Cacheable)> = cache
        .get_or_claim_many(&keys, MINUTE)
        .unwrap()
        .into_iter()
        .zip(0..)
        .map(|(lookup, i)| (claimed(lookup).into_key(), answer(i)))
        .collect();
    assert_eq!(cache.stats().unwrap().live_claims, u64::from(n));
    cache.put_many(&items).unwrap();
    let stats = cache.stats().unwrap();
    assert_eq!((stats.entries, stats.live_claims), (u64::from(n), 0));
    assert!(cache.get_many(&keys).unwrap().iter().all(Option::is_some));
}

// ---- broken files ----

#[test]
fn a_file_already_replaced_by_another_process_is_not_moved_again() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    drop(open(&path, Settings::default()));
    let found_unusable = file_identity(&path);
    // Another process moved that file aside and started a new one.
    fs::rename(&path, dir.path().join("elsewhere")).unwrap();
    drop(open(&path, Settings::default()));

    let moved = move_aside(&path, found_unusable, SystemTime::now()).unwrap();
    assert_eq!(moved, None);
    assert!(path.exists() && moved_files(path.parent().unwrap()).is_empty());
    // The file it did find unusable is moved, with its journal.
    let moved = move_aside(&path, file_identity(&path), SystemTime::now()).unwrap();
    assert!(moved.is_some() && !path.exists());
}

fn moved_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".corrupt-"))
        .collect();
    found.sort();
    found
}

/// `cache` was rebuilt after `repair`: the old file is beside it, the new one works.
fn check_rebuilt(cache: &Cache, moved_to: &Path) {
    let name = moved_to.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("web.sqlite3.corrupt-"), "{name}");
    assert!(moved_to.exists());
    cache.put(&key(1), answer(1)).unwrap();
    assert!(cache.get(&key(1)).unwrap().is_some());
}

#[test]
fn a_garbage_file_is_moved_aside_and_a_new_cache_started() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let garbage = "this is not a database\n".repeat(1_000);
    fs::write(&path, &garbage).unwrap();

    let cache = open(&path, Settings::default());
    let repair = cache.repaired().expect("the repair is reported").clone();
    let moved_to = repair.moved_to.clone().expect("moved by us");
    assert_eq!(fs::read_to_string(&moved_to).unwrap(), garbage);
    let note = repair.to_string();
    assert!(
        note.contains("moved aside to") && note.contains("rebuilt"),
        "{note}"
    );
    check_rebuilt(&cache, &moved_to);
    assert_eq!(moved_files(path.parent().unwrap()), [moved_to]);
}

/// Folds the WAL into the file and removes it, as the last connection to close would if the
/// cache did not leave that to the next checkpoint: the file alone then holds every answer.
fn fold_wal(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    conn.close().unwrap();
}

#[test]
fn a_truncated_database_is_moved_aside_and_a_new_cache_started() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    {
        let cache = open(&path, Settings::default());
        for i in 0..200 {
            cache.put(&key(i), answer(i)).unwrap();
        }
    }
    fold_wal(&path);
    assert!(!sidecar(&path, "-wal").exists());
    let len = fs::metadata(&path).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let cache = open(&path, Settings::default());
    let repair = cache.repaired().expect("the repair is reported");
    // Found by the size check or by SQLite itself, whichever reads the missing pages first.
    assert!(
        repair.reason.contains("truncated") || repair.reason.contains("malformed"),
        "{repair}"
    );
    check_rebuilt(&cache, repair.moved_to.as_ref().unwrap());
    assert_eq!(cache.get(&key(150)).unwrap(), None);
}

#[test]
fn a_database_of_another_program_is_moved_aside_and_kept() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch("CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ann');")
            .unwrap();
    }
    let cache = open(&path, Settings::default());
    let repair = cache.repaired().expect("the repair is reported");
    assert!(
        repair.reason.contains("not a maxmind-geolocate web cache"),
        "{repair}"
    );
    let moved_to = repair.moved_to.clone().unwrap();
    let name: String = rusqlite::Connection::open(&moved_to)
        .unwrap()
        .query_row("SELECT name FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "ann", "the other program's data is intact");
    check_rebuilt(&cache, &moved_to);
}

#[test]
fn corruption_found_after_open_is_reported_and_the_cache_rebuilt() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    {
        let cache = open(&path, Settings::default());
        for i in 0..300 {
            cache.put(&key(i), answer(i)).unwrap();
        }
    }
    fold_wal(&path);
    // Overwrite the page that holds the answer for 81.2.0.150 (a leaf in the middle).
    let mut bytes = fs::read(&path).unwrap();
    let needle = br#""ip_address":"81.2.0.150""#;
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the answer is in the file");
    let page = PAGE_SIZE as usize;
    let start = at / page * page;
    assert!(start > 0 && start + page < bytes.len());
    bytes[start..start + page].fill(0x5a);
    fs::write(&path, &bytes).unwrap();

    let cache = open(&path, Settings::default());
    assert!(
        cache.repaired().is_none(),
        "the damage is not on the paths checked at open"
    );
    assert!(cache.get(&key(299)).unwrap().is_some());
    let error = cache.get(&key(150)).unwrap_err();
    let CacheError::Corrupt {
        moved_to: Some(moved_to),
        rebuilt: true,
        ..
    } = &error
    else {
        panic!("expected a repair, got {error:?}");
    };
    let message = error.to_string();
    assert!(
        message.contains("was corrupt") && message.contains("moved aside to"),
        "{message}"
    );
    check_rebuilt(&cache, moved_to);
    assert_eq!(cache.get(&key(299)).unwrap(), None, "a new, empty cache");
}

#[test]
fn a_cache_made_by_a_newer_program_is_left_alone() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    drop(open(&path, Settings::default()));
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let error = Cache::open(&path, Settings::default()).unwrap_err();
    assert!(
        matches!(
            error,
            CacheError::NewerSchema {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("newer than this program"));
    assert!(moved_files(path.parent().unwrap()).is_empty());
}

#[test]
fn a_cache_of_an_older_schema_is_emptied_and_rebuilt() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    {
        let cache = open(&path, Settings::default());
        cache.put(&key(1), answer(1)).unwrap();
    }
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 0")
        .unwrap();
    let cache = open(&path, Settings::default());
    assert!(cache.repaired().is_none());
    assert_eq!(cache.get(&key(1)).unwrap(), None);
    cache.put(&key(1), answer(1)).unwrap();
    assert!(cache.get(&key(1)).unwrap().is_some());
}

// ---- files that cannot be used ----

#[test]
fn a_folder_that_is_a_file_is_an_error_not_a_panic() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("blocker"), "x").unwrap();
    let error = Cache::open(
        &dir.path().join("blocker").join("web.sqlite3"),
        Settings::default(),
    )
    .unwrap_err();
    assert!(matches!(error, CacheError::Folder { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot be created"), "{error}");

    let error = Cache::open(dir.path(), Settings::default()).unwrap_err();
    assert!(error.to_string().contains("it is a folder"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_read_only_folder_is_an_error_not_a_panic() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).unwrap();
    let privileged = fs::write(locked.join("probe"), "").is_ok();
    if privileged {
        // Root ignores mode bits: use a place no one may create files in.
        let error =
            Cache::open(Path::new("/proc/webcache/web.sqlite3"), Settings::default()).unwrap_err();
        assert!(matches!(error, CacheError::Folder { .. }), "{error:?}");
    } else {
        let error = Cache::open(&locked.join("web.sqlite3"), Settings::default()).unwrap_err();
        assert!(matches!(error, CacheError::ReadOnly { .. }), "{error:?}");
        // An existing cache in a folder that became read-only cannot keep its journal there.
        let shared = dir.path().join("shared");
        drop(open(&shared.join("web.sqlite3"), Settings::default()));
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o500)).unwrap();
        let opened = Cache::open(&shared.join("web.sqlite3"), Settings::default());
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(opened.is_err(), "{opened:?}");
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn a_lock_held_too_long_is_a_busy_error_and_reads_go_on() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let settings = Settings {
        busy_timeout: Duration::from_millis(200),
        ..Settings::default()
    };
    let cache = open(&path, settings);
    cache.put(&key(1), answer(1)).unwrap();

    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker
        .execute_batch("BEGIN IMMEDIATE; DELETE FROM claims;")
        .unwrap();
    let started = Instant::now();
    let error = cache.put(&key(2), answer(2)).unwrap_err();
    assert!(matches!(error, CacheError::Busy { .. }), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(
        error.to_string().contains("locked by another process"),
        "{error}"
    );
    assert!(matches!(
        cache.get_or_claim(&key(3), MINUTE),
        Err(CacheError::Busy { .. })
    ));
    // Readers never wait for the writer.
    assert!(cache.get(&key(1)).unwrap().is_some());
    hit(cache.get_or_claim(&key(1), MINUTE).unwrap());

    blocker.execute_batch("ROLLBACK").unwrap();
    cache.put(&key(2), answer(2)).unwrap();
}

// ---- secrets and permissions ----

/// Standard base64 with padding, for the test's fake `Authorization` header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_the_rfc_examples() {
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
}

#[test]
fn the_license_key_is_in_no_byte_of_the_cache_files() {
    const ACCOUNT: &str = "7319468";
    const LICENSE_KEY: &str = "Fk9_tEsT_LiCeNsE_kEy_q7Zx";
    let basic = base64(format!("{ACCOUNT}:{LICENSE_KEY}").as_bytes());
    let secrets = [
        LICENSE_KEY.to_owned(),
        basic.clone(),
        format!("Basic {basic}"),
        ACCOUNT.to_owned(),
    ];
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let check = |when: &str| {
        for file in [path.clone(), sidecar(&path, "-wal"), sidecar(&path, "-shm")] {
            let Ok(bytes) = fs::read(&file) else { continue };
            for secret in &secrets {
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{when}: {secret:?} is in {}",
                    file.display()
                );
            }
        }
    };
    {
        let cache = open(&path, Settings::default());
        // A base URL that carries the credentials, as a careless configuration might.
        let service = format!("https://{ACCOUNT}:{LICENSE_KEY}@geoip.maxmind.com/");
        let keys: Vec<Key> = (0..50).map(|n| Key::new(&service, "city", ip(n))).collect();
        for (n, lookup) in (0..).zip(cache.get_or_claim_many(&keys, MINUTE).unwrap()) {
            let guard = claimed(lookup);
            match n % 5 {
                0 => guard
                    .put(Cacheable::from_response(404, NOT_FOUND_BODY.as_bytes()).unwrap())
                    .unwrap(),
                1 => {
                    // A refusal that quotes the key is refused by the cache.
                    let body = format!(
                        r#"{{"code":"AUTHORIZATION_INVALID","error":"bad key {LICENSE_KEY}"}}"#
                    );
                    assert!(Cacheable::from_response(401, body.as_bytes()).is_err());
                    guard.release().unwrap();
                }
                _ => guard.put(answer(n)).unwrap(),
            }
        }
        assert!(sidecar(&path, "-wal").exists() && sidecar(&path, "-shm").exists());
        check("while open");
        cache.prune().unwrap();
        check("after a prune");
    }
    check("after close");
}

#[cfg(unix)]
#[test]
fn the_folder_and_the_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("new").join("deeper").join("web.sqlite3");
    let cache = open(&path, Settings::default());
    cache.put(&key(1), answer(1)).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("new")), 0o700);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    for file in [path.clone(), sidecar(&path, "-wal"), sidecar(&path, "-shm")] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

// ---- maintenance ----

#[test]
fn stats_prune_and_clear_report_what_they_did() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let clock = TestClock::at(T0);
    let settings =
        Settings::new(Duration::from_secs(1_000), DEFAULT_MAX_BYTES).with_clock(clock.clone());
    let cache = open(&path, settings.clone());
    for i in 0..10 {
        cache.put(&key(i), answer(i)).unwrap();
    }
    clock.advance(Duration::from_secs(500));
    let not_found = Cacheable::not_found(NOT_FOUND_BODY.as_bytes()).unwrap();
    for i in 10..15 {
        cache.put(&key(i), not_found.clone()).unwrap();
    }
    let _live = claimed(
        cache
            .get_or_claim(&key(100), Duration::from_secs(3_600))
            .unwrap(),
    );
    let other = open(&path, settings);
    // A claim whose owner vanished without releasing it.
    let dead = claimed(
        other
            .get_or_claim(&key(101), Duration::from_secs(1))
            .unwrap(),
    );
    std::mem::forget(dead);
    clock.advance(Duration::from_secs(700));

    let stats = cache.stats().unwrap();
    assert_eq!(stats.path, path);
    assert_eq!(
        (stats.entries, stats.answers, stats.not_found, stats.expired),
        (15, 10, 5, 10)
    );
    assert_eq!(stats.oldest, Some(UNIX_EPOCH + Duration::from_secs(T0)));
    assert_eq!(
        stats.newest,
        Some(UNIX_EPOCH + Duration::from_secs(T0 + 500))
    );
    assert_eq!(stats.live_claims, 1);
    assert!(stats.bytes_on_disk >= stats.bytes_used && stats.bytes_used > 0);
    assert_eq!(
        (stats.max_bytes, stats.ttl),
        (DEFAULT_MAX_BYTES, Duration::from_secs(1_000))
    );

    let pruned = cache.prune().unwrap();
    assert_eq!(
        (pruned.expired, pruned.evicted, pruned.dead_claims),
        (10, 0, 1)
    );
    assert!(pruned.bytes_after <= pruned.bytes_before);
    assert_eq!(cache.stats().unwrap().entries, 5);

    assert_eq!(cache.clear().unwrap(), 5);
    let stats = cache.stats().unwrap();
    assert_eq!(
        (stats.entries, stats.oldest, stats.live_claims),
        (0, None, 1)
    );
    assert!(cache.get(&key(12)).unwrap().is_none());
}

#[test]
fn prune_brings_an_oversized_cache_under_its_bound() {
    let dir = TempDir::new().unwrap();
    let path = cache_path(&dir);
    let clock = TestClock::at(T0);
    {
        let big = open(&path, Settings::default().with_clock(clock.clone()));
        let items: Vec<(Key, Cacheable)> = (0..300).map(|i| (key(i), answer(i))).collect();
        big.put_many(&items).unwrap();
    }
    let max_bytes = 256 * 1024;
    let small = open(
        &path,
        Settings::new(DEFAULT_TTL, max_bytes).with_clock(clock),
    );
    let before = small.stats().unwrap();
    assert!(before.bytes_used > max_bytes);
    let pruned = small.prune().unwrap();
    assert!(pruned.evicted > 0 && pruned.expired == 0, "{pruned:?}");
    assert!(pruned.bytes_after < pruned.bytes_before, "{pruned:?}");
    let after = small.stats().unwrap();
    assert!(after.bytes_used <= max_bytes, "{after:?}");
    assert!(after.bytes_on_disk <= max_bytes + 64 * 1024, "{after:?}");
    assert!(small.get(&key(299)).unwrap().is_some(), "the newest stay");
}

/// Polls `keys` (with [`Backoff`]) until each is answered, or its claim is released or
/// expires (then this process claims it, for `claim_for`), or `until` comes. Returns, in
/// order, [`Lookup::Hit`], [`Lookup::Claimed`], or [`Lookup::Wait`] for keys still claimed by
/// another live owner at `until`. Sleeps the thread: on an async runtime, use
/// `spawn_blocking` or poll [`Cache::get_or_claim_many`] yourself.
fn wait_for(
    cache: &Cache,
    keys: &[Key],
    claim_for: Duration,
    until: Instant,
) -> Result<Vec<Lookup>, CacheError> {
    let mut out: Vec<Lookup> = keys.iter().map(|_| Lookup::Wait).collect();
    let mut pending: Vec<usize> = (0..keys.len()).collect();
    let mut backoff = Backoff::new();
    while !pending.is_empty() {
        let batch: Vec<&Key> = pending.iter().map(|&i| &keys[i]).collect();
        let found = cache.get_or_claim_many(&batch, claim_for)?;
        let mut still = Vec::new();
        for (i, lookup) in pending.into_iter().zip(found) {
            match lookup {
                Lookup::Wait => still.push(i),
                other => out[i] = other,
            }
        }
        pending = still;
        let now = Instant::now();
        if pending.is_empty() || now >= until {
            break;
        }
        std::thread::sleep(backoff.next_delay().min(until - now));
    }
    Ok(out)
}
