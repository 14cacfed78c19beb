//! A fake MaxMind GeoIP2 web service and a fake HTTP proxy, on loopback, for the web backend's
//! tests. Both speak real HTTP/1.1 (one request per connection) and record what they saw.
//!
//! The service checks HTTP Basic auth (`42` / `LK-TEST-KEY`), answers `/geoip/v2.1/<endpoint>/<ip>`
//! with the fixture City database's record for the IP (plus `traits.ip_address`,
//! `traits.network` and a falling `maxmind.queries_remaining`, as MaxMind does), and plays every
//! documented error for the addresses of 1.1.1.0/24 — see [`behaviour`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::fixtures;

/// The account ID the fake accepts.
pub const ACCOUNT: &str = "42";
/// The license key the fake accepts.
pub const KEY: &str = "LK-TEST-KEY-5f1d";

/// One request the fake saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The request target.
    pub path: String,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// The `Accept` header.
    pub accept: String,
    /// Whether the Basic credentials were right.
    pub authorized: bool,
}

#[derive(Default)]
struct State {
    seen: Vec<Seen>,
    attempts: HashMap<String, usize>,
    successes: usize,
}

/// How the fake service behaves as a whole.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// After this many successful queries, every query is `OUT_OF_QUERIES`.
    pub out_of_queries_after: Option<usize>,
    /// `queries_remaining` reported on the first success; it falls by one each time.
    pub queries_remaining: u64,
    /// Time to answer each query (to make parallelism visible).
    pub delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            out_of_queries_after: None,
            queries_remaining: 5000,
            delay: Duration::ZERO,
        }
    }
}

/// The fake service; it stops when dropped.
pub struct FakeMaxMind {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FakeMaxMind {
    /// Starts the service on an ephemeral loopback port.
    pub fn start(options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State::default()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let open = |name: &str| maxminddb::Reader::open_readfile(fixtures().join(name)).unwrap();
        let records = Arc::new(Records {
            city: open("GeoIP2-City-Fixture.mmdb"),
            asn: open("GeoLite2-ASN-Fixture.mmdb"),
        });
        {
            let (state, in_flight, max_in_flight, stop) = (
                state.clone(),
                in_flight.clone(),
                max_in_flight.clone(),
                stop.clone(),
            );
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (state, records, in_flight, max_in_flight) = (
                        state.clone(),
                        records.clone(),
                        in_flight.clone(),
                        max_in_flight.clone(),
                    );
                    thread::spawn(move || {
                        serve(
                            stream,
                            &state,
                            &records,
                            options,
                            (&in_flight, &max_in_flight),
                        );
                    });
                }
            });
        }
        FakeMaxMind {
            addr,
            state,
            in_flight,
            max_in_flight,
            stop,
        }
    }

    /// The base URL to configure as `web_api_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request seen, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// How many queries asked about `ip`.
    pub fn queries_for(&self, ip: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path.ends_with(&format!("/{ip}")))
            .count()
    }

    /// The most queries that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for FakeMaxMind {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        let _ = self.in_flight.load(Ordering::SeqCst);
    }
}

/// Reads a request head: the request line and the headers (lower-cased names).
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<(String, HashMap<String, String>)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let request_line = line.trim_end().to_owned();
    let mut headers = HashMap::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    Some((request_line, headers))
}

fn respond(stream: &mut TcpStream, status: u16, extra: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Other",
    };
    let content_type = if body.starts_with('{') {
        "application/json"
    } else {
        "text/html"
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn error_body(code: &str, message: &str) -> String {
    json!({"code": code, "error": message}).to_string()
}

/// What the fake does for an address, on the `attempt`-th query about it.
enum Behaviour {
    Answer,
    Refuse(u16, &'static str, &'static str),
    Raw(u16, &'static str),
    Slow(Duration),
    RateLimitOnce,
}

fn behaviour(ip: &str, attempt: usize) -> Behaviour {
    match ip {
        "1.1.1.1" => Behaviour::Refuse(
            400,
            "IP_ADDRESS_INVALID",
            "The value 1.1.1.1 is not a valid IP address.",
        ),
        "1.1.1.2" => Behaviour::Refuse(
            404,
            "IP_ADDRESS_NOT_FOUND",
            "The value 1.1.1.2 is not in the database.",
        ),
        "1.1.1.3" => Behaviour::Refuse(
            400,
            "IP_ADDRESS_RESERVED",
            "The value 1.1.1.3 belongs to a reserved or private range.",
        ),
        "1.1.1.4" => Behaviour::Refuse(
            403,
            "PERMISSION_REQUIRED",
            "You do not have permission to use this service.",
        ),
        "1.1.1.5" => Behaviour::Refuse(
            402,
            "INSUFFICIENT_FUNDS",
            "The license key you have provided is out of funds.",
        ),
        "1.1.1.6" => Behaviour::Raw(400, "<html><body>Bad Request</body></html>"),
        "1.1.1.7" => Behaviour::Raw(200, "this is not json"),
        "1.1.1.8" if attempt <= 2 => Behaviour::Raw(500, "{\"error\":\"temporary failure\"}"),
        "1.1.1.9" => Behaviour::Raw(503, "<html>maintenance</html>"),
        "1.1.1.10" => Behaviour::Slow(Duration::from_secs(3)),
        "1.1.1.11" if attempt == 1 => Behaviour::RateLimitOnce,
        "1.1.1.12" => {
            Behaviour::Refuse(400, "SOMETHING_NEW", "A code this operation does not know.")
        }
        _ => Behaviour::Answer,
    }
}

/// The fixture databases the fake answers from.
pub struct Records {
    city: maxminddb::Reader<Vec<u8>>,
    asn: maxminddb::Reader<Vec<u8>>,
}

/// Serves one connection. A query counts as in flight from its request head to just before
/// its answer is written, so the count never includes a query the client already has back.
fn serve(
    stream: TcpStream,
    state: &Mutex<State>,
    records: &Records,
    options: Options,
    (in_flight, max_in_flight): (&AtomicUsize, &AtomicUsize),
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    let Some((request_line, headers)) = read_head(&mut reader) else {
        return;
    };
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max_in_flight.fetch_max(now, Ordering::SeqCst);
    let (status, extra, body) = answer(&request_line, &headers, state, records, options);
    in_flight.fetch_sub(1, Ordering::SeqCst);
    respond(&mut stream, status, extra, &body);
}

/// The answer to one request: status, extra header lines, body.
fn answer(
    request_line: &str,
    headers: &HashMap<String, String>,
    state: &Mutex<State>,
    records: &Records,
    options: Options,
) -> (u16, &'static str, String) {
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{KEY}"))
    );
    let authorized = headers.get("authorization") == Some(&expected);
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (endpoint, ip) = match parts.as_slice() {
        ["geoip", "v2.1", endpoint, ip] => ((*endpoint).to_owned(), (*ip).to_owned()),
        _ => return (404, "", error_body("NOT_FOUND", "no such path")),
    };
    // Everything that decides the answer is settled under the lock, so that parallel queries
    // cannot overrun the query budget.
    let (attempt, exhausted, remaining) = {
        let mut s = state.lock().unwrap();
        s.seen.push(Seen {
            path: path.clone(),
            user_agent: headers.get("user-agent").cloned().unwrap_or_default(),
            accept: headers.get("accept").cloned().unwrap_or_default(),
            authorized,
        });
        let attempt = *s
            .attempts
            .entry(ip.clone())
            .and_modify(|a| *a += 1)
            .or_insert(1);
        let plain = matches!(behaviour(&ip, attempt), Behaviour::Answer);
        let exhausted = options
            .out_of_queries_after
            .is_some_and(|n| s.successes >= n);
        if authorized && !exhausted && plain {
            s.successes += 1;
        }
        let remaining = options
            .queries_remaining
            .saturating_sub(s.successes.saturating_sub(1) as u64);
        (attempt, exhausted, remaining)
    };
    thread::sleep(options.delay);
    if !authorized {
        return (
            401,
            "",
            error_body(
                "AUTHORIZATION_INVALID",
                "Your account ID or license key could not be authenticated.",
            ),
        );
    }
    if exhausted {
        return (
            402,
            "",
            error_body(
                "OUT_OF_QUERIES",
                "The license key you have provided is out of queries.",
            ),
        );
    }
    // A service (or a proxy before it) that echoes the request's credentials, in every kind of
    // answer: the binary must keep them out of everything it writes.
    let authorization = headers.get("authorization").cloned().unwrap_or_default();
    let decoded = format!("{ACCOUNT}:{KEY}");
    match ip.as_str() {
        "1.1.2.1" => {
            let page =
                format!("<html>proxy error for GET {path}; Authorization: {authorization}</html>");
            return (502, "", page);
        }
        "1.1.2.2" => {
            let message = format!("key {KEY} of {decoded} is odd ({authorization})");
            return (400, "", error_body("SOMETHING_NEW", &message));
        }
        "1.1.2.3" => {
            let message =
                format!("The license key {KEY} ({authorization}) could not be authenticated.");
            return (500, "", error_body("SERVER_ERROR", &message));
        }
        "1.1.3.1" => {
            // A service that indents its JSON.
            let body: Value =
                serde_json::from_str(&record_body(records, "81.2.69.142", &endpoint, remaining))
                    .unwrap();
            return (200, "", serde_json::to_string_pretty(&body).unwrap());
        }
        "1.1.3.2" => {
            // A flood: a record padded to 24 MiB.
            let mut body: Value =
                serde_json::from_str(&record_body(records, "81.2.69.142", &endpoint, remaining))
                    .unwrap();
            body["padding"] = Value::String("x".repeat(24 << 20));
            return (200, "", body.to_string());
        }
        "1.1.2.4" => {
            let mut body: Value =
                serde_json::from_str(&record_body(records, "81.2.69.142", &endpoint, remaining))
                    .unwrap();
            body["echo"] = json!({"authorization": authorization, "pair": decoded, "key": KEY});
            return (200, "", body.to_string());
        }
        _ => {}
    }
    match behaviour(&ip, attempt) {
        Behaviour::Refuse(status, code, message) => (status, "", error_body(code, message)),
        Behaviour::Raw(status, body) => (status, "", body.to_owned()),
        Behaviour::RateLimitOnce => (429, "Retry-After: 1\r\n", String::new()),
        Behaviour::Slow(d) => {
            thread::sleep(d);
            (200, "", record_body(records, &ip, &endpoint, remaining))
        }
        Behaviour::Answer => (200, "", record_body(records, &ip, &endpoint, remaining)),
    }
}

/// The service's answer for `ip`: the fixture City record (or a country-level stand-in), the
/// fixture ASN record under `traits` as the City endpoint has it, and the traits and `maxmind`
/// block MaxMind adds.
pub fn record_body(records: &Records, ip: &str, endpoint: &str, remaining: u64) -> String {
    let addr: IpAddr = ip.parse().unwrap();
    let found = records.city.lookup(addr).unwrap();
    let network = found.network().unwrap();
    let mut record: Value = found.decode().unwrap().unwrap_or_else(|| {
        json!({"continent": {"code": "EU", "names": {"en": "Europe"}},
               "country": {"iso_code": "ZZ", "names": {"en": "Testland"}}})
    });
    if endpoint == "country" {
        record.as_object_mut().unwrap().retain(|k, _| {
            [
                "continent",
                "country",
                "registered_country",
                "represented_country",
            ]
            .contains(&k.as_str())
        });
    }
    let traits = record
        .as_object_mut()
        .unwrap()
        .entry("traits")
        .or_insert(json!({}));
    traits["ip_address"] = json!(ip);
    traits["network"] = json!(network.to_string());
    if endpoint != "country" {
        let asn: Option<Value> = records.asn.lookup(addr).unwrap().decode().unwrap();
        for (k, v) in asn.and_then(|a| a.as_object().cloned()).unwrap_or_default() {
            traits[k] = v;
        }
    }
    record["maxmind"] = json!({"queries_remaining": remaining});
    record.to_string()
}

/// A forwarding HTTP proxy on loopback that counts what it relays.
pub struct FakeProxy {
    addr: SocketAddr,
    relayed: Arc<AtomicUsize>,
}

impl FakeProxy {
    /// Starts the proxy on an ephemeral loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let relayed = Arc::new(AtomicUsize::new(0));
        let counter = relayed.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let counter = counter.clone();
                thread::spawn(move || relay(stream, &counter));
            }
        });
        FakeProxy { addr, relayed }
    }

    /// The proxy URL, with credentials when given.
    pub fn url(&self, credentials: Option<&str>) -> String {
        match credentials {
            Some(c) => format!("http://{c}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// How many requests it relayed.
    pub fn relayed(&self) -> usize {
        self.relayed.load(Ordering::SeqCst)
    }
}

fn relay(client: TcpStream, counter: &AtomicUsize) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut client = client;
    let Some((request_line, headers)) = read_head(&mut reader) else {
        return;
    };
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
    let Some(rest) = target.strip_prefix("http://") else {
        respond(&mut client, 400, "", "proxy: absolute-form http URLs only");
        return;
    };
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let Ok(mut upstream) = TcpStream::connect(host) else {
        respond(&mut client, 502, "", "proxy: upstream unreachable");
        return;
    };
    counter.fetch_add(1, Ordering::SeqCst);
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        if !k.starts_with("proxy-") && k != "connection" {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("connection: close\r\n\r\n");
    let _ = upstream.write_all(head.as_bytes());
    let mut answer = Vec::new();
    let _ = upstream.read_to_end(&mut answer);
    let _ = client.write_all(&answer);
}
