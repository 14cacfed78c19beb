//! The MaxMind GeoIP2 / GeoLite2 web service backend.
//!
//! `GET <base>/geoip/v2.1/<endpoint>/<ip>` with HTTP Basic auth, over rustls. Users pay per query,
//! so the backend is frugal: the caller sends each public address once; queries run a bounded
//! number at a time; an account-wide refusal (bad credentials, no funds) stops every query not yet
//! sent; 5xx, connection errors and timeouts are retried with exponential backoff and jitter; a
//! 429 pauses every query, not just the one that got it; other 4xx are never retried.
//!
//! The tokio runtime and the HTTP client are built only when this backend is opened, so a file
//! lookup pays nothing for them. The license key is sent in the Authorization header only, and
//! is scrubbed from every message this module writes.

pub mod cache;

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipnet::IpNet;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Answer, Backend, DbKind, Deadline, Located, Progress, Usage};
use crate::config::{Context, WebConfig};
use crate::error::Error;
use crate::mapping::{self, RowFilter};
use crate::protocol::{DatabaseInfo, Listed, RawJson};
use crate::record::Record;

/// The first backoff step; each retry doubles it, plus up to half again of jitter.
const BACKOFF: Duration = Duration::from_millis(200);
/// How many 429 answers one query waits out before giving up.
const MAX_RATE_LIMITED: u32 = 6;

/// The web service, ready to query.
pub struct WebBackend {
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
    parallel: usize,
}

/// What every query task shares.
struct Shared {
    client: reqwest::Client,
    base: String,
    endpoint: &'static str,
    rows: RowFilter,
    locale: &'static str,
    account_id: String,
    web: WebConfig,
    secrets: Vec<String>,
    sent: AtomicUsize,
    /// `u64::MAX` until the service reports a figure.
    remaining: AtomicU64,
    /// The account-wide error that stopped all further queries.
    halted: Mutex<Option<Error>>,
    /// No query is sent before this instant (after a 429).
    pause_until: Mutex<Option<Instant>>,
}

/// The endpoint for a context, and the mapping rows its answers give: an answer maps as a
/// database of the same kind would ([`DbKind::rows`]); the City and Insights answers carry
/// the `traits` of an Enterprise record.
fn endpoint(context: Context) -> (&'static str, RowFilter) {
    let (endpoint, kind) = match context {
        Context::Country => ("country", DbKind::Country),
        Context::Insights => ("insights", DbKind::Enterprise),
        Context::City | Context::Auto | Context::Asn => ("city", DbKind::Enterprise),
    };
    (endpoint, kind.rows(context).unwrap_or(RowFilter::ALL))
}

impl WebBackend {
    /// Builds the client and runtime for `web` and `context`; names in `locale`. Sends nothing.
    pub fn open(web: &WebConfig, context: Context, locale: &'static str) -> Result<Self, Error> {
        let (endpoint, rows) = endpoint(context);
        let account_id = web.account_id.clone().unwrap_or_default();
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("maxmind-geolocate/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(web.timeout.min(Duration::from_secs(10)))
            .timeout(web.timeout)
            .redirect(reqwest::redirect::Policy::none());
        if web.bypass_proxy {
            builder = builder.no_proxy();
        }
        let mut secrets = credential_forms(&account_id, web.license_key.expose());
        secrets.extend(proxy_secrets());
        secrets.retain(|s| s.len() >= MIN_SECRET);
        let client = builder.build().map_err(|e| {
            Error::Internal(scrub(
                &format!("the HTTP client cannot start: {}", chain(&e)),
                &secrets,
            ))
        })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("the async runtime cannot start: {e}")))?;
        Ok(WebBackend {
            runtime,
            parallel: web.parallel.max(1),
            shared: Arc::new(Shared {
                client,
                base: web.base_url().to_owned(),
                endpoint,
                rows,
                locale,
                account_id,
                web: web.clone(),
                secrets,
                sent: AtomicUsize::new(0),
                remaining: AtomicU64::new(u64::MAX),
                halted: Mutex::new(None),
                pause_until: Mutex::new(None),
            }),
        })
    }
}

impl Backend for WebBackend {
    fn databases(&self) -> &[DatabaseInfo] {
        &[]
    }

    fn lookup_many(
        &self,
        ips: &[IpAddr],
        deadline: Deadline,
        progress: Option<&dyn Progress>,
    ) -> Vec<Result<Answer, Error>> {
        let answered = |n: usize| {
            if let Some(p) = progress {
                p.advance(n);
            }
        };
        let shared = Arc::clone(&self.shared);
        let parallel = self.parallel;
        self.runtime.block_on(async move {
            let slots = Arc::new(Semaphore::new(parallel));
            let mut tasks = JoinSet::new();
            let mut out: Vec<Option<Result<Answer, Error>>> =
                (0..ips.len()).map(|_| None).collect();
            for (i, &ip) in ips.iter().enumerate() {
                let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
                    break;
                };
                // Answers that came in meanwhile are shown as they come.
                while let Some(joined) = tasks.try_join_next() {
                    if let Ok((j, result)) = joined {
                        out[j] = Some(result);
                    }
                    answered(1);
                }
                if let Some(e) = shared.halted() {
                    out[i] = Some(Err(e));
                    answered(1);
                    continue;
                }
                let task_shared = Arc::clone(&shared);
                tasks.spawn(async move {
                    let _permit = permit;
                    (i, query(&task_shared, ip, deadline).await)
                });
            }
            while let Some(joined) = tasks.join_next().await {
                if let Ok((i, result)) = joined {
                    out[i] = Some(result);
                }
                answered(1);
            }
            out.into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| Err(Error::Internal("a web query task failed".into())))
                })
                .collect()
        })
    }

    fn wants_everything_at_once(&self) -> bool {
        true
    }

    fn usage(&self) -> Option<Usage> {
        let remaining = self.shared.remaining.load(Ordering::Relaxed);
        Some(Usage {
            queries_sent: self.shared.sent.load(Ordering::Relaxed),
            queries_remaining: (remaining != u64::MAX).then_some(remaining),
        })
    }
}

impl Shared {
    fn halted(&self) -> Option<Error> {
        self.halted.lock().ok().and_then(|h| h.clone())
    }

    fn halt(&self, e: &Error) {
        if let Ok(mut h) = self.halted.lock() {
            h.get_or_insert_with(|| e.clone());
        }
    }

    async fn wait_for_pause(&self) {
        loop {
            let until = self.pause_until.lock().ok().and_then(|p| *p);
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    fn pause(&self, for_: Duration) {
        if let Ok(mut p) = self.pause_until.lock() {
            let until = Instant::now() + for_;
            if p.is_none_or(|current| current < until) {
                *p = Some(until);
            }
        }
    }

    fn scrub(&self, message: &str) -> String {
        scrub(message, &self.secrets)
    }

    /// A body with every secret in it replaced (a service or proxy that echoes the request);
    /// a body that is not text is left as it is (it is refused as not JSON).
    fn scrub_body(&self, body: Vec<u8>) -> Vec<u8> {
        match String::from_utf8(body) {
            Ok(text) if self.secrets.iter().any(|s| text.contains(s.as_str())) => {
                self.scrub(&text).into_bytes()
            }
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        }
    }
}

/// One answer from the service, or why there is none.
enum Attempt {
    /// An HTTP answer: status, `Retry-After` seconds, body.
    Answer(u16, Option<u64>, Vec<u8>),
    /// No answer in time.
    TimedOut(String),
    /// No answer at all.
    Unreachable(String),
}

async fn send(shared: &Shared, url: &str) -> Attempt {
    let request = shared
        .client
        .get(url)
        .basic_auth(&shared.account_id, Some(shared.web.license_key.expose()))
        .header(reqwest::header::ACCEPT, "application/json");
    let transport = |e: reqwest::Error| {
        let message = shared.scrub(&chain(&e));
        if e.is_timeout() {
            Attempt::TimedOut(format!(
                "no answer within {} s ({message})",
                shared.web.timeout.as_secs()
            ))
        } else {
            Attempt::Unreachable(message)
        }
    };
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return transport(e),
    };
    shared.sent.fetch_add(1, Ordering::Relaxed);
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match response.bytes().await {
        Ok(body) => Attempt::Answer(status, retry_after, body.to_vec()),
        Err(e) => transport(e),
    }
}

/// Queries one address, retrying what is worth retrying.
async fn query(shared: &Shared, ip: IpAddr, deadline: Deadline) -> Result<Answer, Error> {
    let url = format!("{}/geoip/v2.1/{}/{}", shared.base, shared.endpoint, ip);
    let mut last = Error::ServiceUnavailable("no query was sent".into());
    let (mut tries, mut rate_limited) = (0, 0);
    while tries < shared.web.tries {
        shared.wait_for_pause().await;
        if let Some(e) = shared.halted() {
            return Err(e);
        }
        deadline.check()?;
        match send(shared, &url).await {
            Attempt::Answer(200, _, body) => return found(shared, ip, shared.scrub_body(body)),
            Attempt::Answer(429, retry_after, _) if rate_limited < MAX_RATE_LIMITED => {
                rate_limited += 1;
                let wait =
                    retry_after.map_or_else(|| backoff(ip, rate_limited), Duration::from_secs);
                shared.pause(wait.min(Duration::from_secs(60)));
                continue;
            }
            Attempt::Answer(status @ 500..=599, _, body) => {
                last = Error::ServiceUnavailable(
                    shared.scrub(&format!("HTTP {status}{}", service_message(&body))),
                );
            }
            Attempt::Answer(status, _, body) => {
                let e = refusal(shared, ip, status, &body);
                if e.stops_queries() {
                    shared.halt(&e);
                }
                return Err(e);
            }
            Attempt::TimedOut(message) => last = Error::Timeout(message),
            Attempt::Unreachable(message) => last = Error::ServiceUnavailable(message),
        }
        tries += 1;
        if tries < shared.web.tries {
            tokio::time::sleep(backoff(ip, tries)).await;
        }
    }
    Err(last)
}

/// A 200 answer: the record, exactly as sent, mapped as a record of its endpoint's kind.
fn found(shared: &Shared, ip: IpAddr, body: Vec<u8>) -> Result<Answer, Error> {
    let not_json = || Error::HttpError {
        status: 200,
        message: "the body is not a JSON object".into(),
    };
    let record = match serde_json::from_slice::<Record<'_>>(&body) {
        Ok(r @ Record::Map(_)) => r.into_owned(),
        _ => return Err(not_json()),
    };
    // The body parsed as one JSON object above: it is kept exactly as sent.
    let raw = String::from_utf8(body)
        .map(RawJson::from_trusted)
        .map_err(|_| not_json())?;
    if let Some(Record::Uint(remaining)) = record
        .get("maxmind")
        .and_then(|m| m.get("queries_remaining"))
    {
        shared.remaining.fetch_min(*remaining, Ordering::Relaxed);
    }
    let network = match record.get("traits").and_then(|t| t.get("network")) {
        Some(Record::String(n)) => n.parse::<IpNet>().ok(),
        _ => None,
    }
    .unwrap_or_else(|| IpNet::from(ip));
    let mapped = mapping::map_records(std::iter::once((&record, shared.rows)), shared.locale);
    Ok(Answer {
        network: Some(network),
        record: Some(Located {
            data: raw,
            attributes: Listed::new(mapped.attributes),
            indicators: Listed::new(mapped.indicators),
            display: Arc::new(mapped.display),
        }),
        matched: vec![(0, network)],
    })
}

/// A 4xx (or other non-success) answer, mapped by MaxMind's error code.
fn refusal(shared: &Shared, ip: IpAddr, status: u16, body: &[u8]) -> Error {
    #[derive(serde::Deserialize)]
    struct Body {
        code: String,
        #[serde(default)]
        error: String,
    }
    let Ok(Body { code, error }) = serde_json::from_slice::<Body>(body) else {
        return Error::HttpError {
            status,
            message: "the answer has no MaxMind error body".into(),
        };
    };
    let said = shared.scrub(&format!("MaxMind: {code}: {error}"));
    match code.as_str() {
        "IP_ADDRESS_INVALID" | "IP_ADDRESS_REQUIRED" => Error::InvalidIp {
            value: ip.to_string(),
            reason: said,
        },
        "IP_ADDRESS_RESERVED" => Error::ReservedIp {
            ip: ip.to_string(),
            reason: format!("reserved ({said})"),
        },
        "IP_ADDRESS_NOT_FOUND" => Error::NotFound {
            ip: ip.to_string(),
            sources: format!("the MaxMind web service ({said})"),
        },
        "AUTHORIZATION_INVALID"
        | "ACCOUNT_ID_REQUIRED"
        | "ACCOUNT_ID_UNKNOWN"
        | "LICENSE_KEY_REQUIRED" => Error::AuthInvalid(said),
        "INSUFFICIENT_FUNDS" | "OUT_OF_QUERIES" => Error::OutOfQueries(said),
        "PERMISSION_REQUIRED" => Error::PermissionRequired(said),
        _ => Error::HttpError {
            status,
            message: said,
        },
    }
}

/// `: <MaxMind's message>` when a body carries one.
fn service_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|m| format!(": {m}"))
        })
        .unwrap_or_default()
}

/// Exponential backoff with jitter: `BACKOFF · 2^(n-1)`, plus up to half of it again.
fn backoff(ip: IpAddr, n: u32) -> Duration {
    let step = BACKOFF * 2u32.saturating_pow(n.saturating_sub(1)).min(64);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = match ip {
        IpAddr::V4(a) => u64::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a) as u64,
    } ^ u64::from(nanos)
        ^ u64::from(n).rotate_left(32);
    let mixed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    let half = step.as_millis() as u64 / 2;
    step + Duration::from_millis(if half == 0 { 0 } else { mixed % half })
}

/// An error and its causes, one line.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Secrets shorter than this are not looked for in what the service sends (a license key is
/// 16 characters or more; a one-letter "secret" would mangle every text).
const MIN_SECRET: usize = 4;

/// Every form the credentials travel or may be echoed in: the key, `account:key`, and the
/// Basic authorization value (its base64, padded and not, and the whole header value).
fn credential_forms(account_id: &str, key: &str) -> Vec<String> {
    use base64::Engine as _;
    if key.is_empty() {
        return Vec::new();
    }
    let pair = format!("{account_id}:{key}");
    let encoded = base64::engine::general_purpose::STANDARD.encode(&pair);
    let unpadded = encoded.trim_end_matches('=').to_owned();
    // Longest first, so that a longer form is scrubbed whole before a shorter one inside it.
    vec![
        format!("Basic {encoded}"),
        encoded,
        unpadded,
        pair,
        key.to_owned(),
    ]
}

/// The credentials of proxy URLs in the environment, to keep out of messages.
fn proxy_secrets() -> Vec<String> {
    let mut out = Vec::new();
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        let Ok(value) = std::env::var(var) else {
            continue;
        };
        if let Ok(url) = reqwest::Url::parse(&value) {
            if let Some(password) = url.password() {
                out.push(password.to_owned());
                out.push(value.clone());
            }
        }
    }
    out
}

/// Replaces every secret in `message` with `[redacted]`.
fn scrub(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if !secret.is_empty() && out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter() {
        let ip: IpAddr = "81.2.69.142".parse().unwrap();
        for n in 1..5 {
            let step = BACKOFF * 2u32.pow(n - 1);
            let d = backoff(ip, n);
            assert!(d >= step && d <= step + step / 2, "{n}: {d:?}");
        }
    }

    #[test]
    fn every_form_of_the_credentials_is_scrubbed() {
        let secrets = credential_forms("42", "LK-TEST-KEY");
        let pair_b64 = "NDI6TEstVEVTVC1LRVk=";
        for echoed in [
            "LK-TEST-KEY".to_owned(),
            "42:LK-TEST-KEY".to_owned(),
            format!("Authorization: Basic {pair_b64}"),
            pair_b64.trim_end_matches('=').to_owned(),
        ] {
            let scrubbed = scrub(&format!("said: {echoed}."), &secrets);
            assert!(
                !scrubbed.contains("LK-TEST") && !scrubbed.contains("NDI6TEst"),
                "{scrubbed}"
            );
            assert!(scrubbed.contains("[redacted]"), "{scrubbed}");
        }
    }

    #[test]
    fn secrets_are_scrubbed() {
        let secrets = vec!["LK-123".to_owned(), "hunter2".to_owned()];
        assert_eq!(
            scrub("key LK-123 via http://u:hunter2@proxy", &secrets),
            "key [redacted] via http://u:[redacted]@proxy"
        );
    }

    #[test]
    fn contexts_pick_endpoints() {
        assert_eq!(endpoint(Context::Country).0, "country");
        assert_eq!(endpoint(Context::Asn), ("city", RowFilter::ASN));
        assert_eq!(endpoint(Context::Insights).0, "insights");
        assert_eq!(endpoint(Context::Auto).0, "city");
    }
}
