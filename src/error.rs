//! Errors, each with the stable snake_case code the platform and scripts match on.
//!
//! The code (see [`Error::code`]) is part of the wire protocol: it never changes once released.
//! The message (the `Display` text) says what happened and what to do about it; it may improve
//! between releases. No variant ever carries a secret (license keys, tokens).

use std::path::PathBuf;

/// Everything that can go wrong in an action, for the whole action or for one IP address.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request is not a JSON object of the expected shape.
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// The request names an action this operation does not have.
    #[error(
        "unknown action {name:?}{suggestion}: expected \"lookup\" (Lookup) or \"lookup_all_related_ips\" (Lookup All Related IPs)"
    )]
    UnknownAction {
        /// The name as received (shortened).
        name: String,
        /// ` (did you mean "…"?)` when a known action is close, else empty.
        suggestion: String,
    },

    /// The action does not run on this kind of object.
    #[error("the {action} action does not run on {object}: {hint}")]
    UnsupportedObject {
        /// Wire name of the action.
        action: &'static str,
        /// What the request carried, e.g. `indicator of type "FQDN"`.
        object: String,
        /// What the action does run on.
        hint: &'static str,
    },

    /// The value is not one IPv4 or IPv6 address.
    #[error("{value:?} is not an IP address: {reason}")]
    InvalidIp {
        /// The value as received (trimmed).
        value: String,
        /// Why it was refused.
        reason: String,
    },

    /// The address is special-purpose and not globally reachable, so no database knows it.
    #[error("{ip} is {reason}")]
    ReservedIp {
        /// The address.
        ip: String,
        /// Which range it is in, and that it was not looked up.
        reason: String,
    },

    /// No source used by the action has a record for the address.
    #[error("no record for {ip} in {sources}")]
    NotFound {
        /// The address.
        ip: String,
        /// The sources consulted.
        sources: String,
    },

    /// A database file does not exist or cannot be opened.
    #[error("database {}: {reason}", shorten(&.path.display().to_string()))]
    DbNotFound {
        /// The file as configured.
        path: PathBuf,
        /// Why it could not be opened.
        reason: String,
    },

    /// A database file is there but cannot be read or mapped (permissions, memory or map
    /// slots exhausted, a file system that cannot map files).
    #[error("database {} cannot be read: {reason}", shorten(&.path.display().to_string()))]
    DbUnreadable {
        /// The file as configured.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },

    /// A database file is not a valid MaxMind DB, or a record in it is corrupt.
    #[error("database {} is not a valid MaxMind DB file: {reason}", shorten(&.path.display().to_string()))]
    DbInvalid {
        /// The file as configured.
        path: PathBuf,
        /// What the reader found wrong.
        reason: String,
    },

    /// None of the configured databases can answer the configured context.
    #[error(
        "context_type {context:?} needs {needs}, but the configured databases are: {types}; choose another context_type (or \"auto\") or add such a database"
    )]
    ContextMismatch {
        /// The configured context.
        context: &'static str,
        /// The kinds of database that would answer it.
        needs: &'static str,
        /// The `database_type` of every configured file.
        types: String,
    },

    /// A configuration value is missing, of the wrong type or not allowed.
    #[error("config {key}: {reason}")]
    ConfigInvalid {
        /// The configuration key.
        key: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },

    /// The attachment's content is over the configured size limit.
    #[error(
        "the attachment's content is larger than {limit_mib} MiB (config max_attachment_mib); no IP was taken from it"
    )]
    AttachmentTooLarge {
        /// The limit, in MiB.
        limit_mib: u64,
    },

    /// The attachment's content cannot be read or decoded.
    #[error("the attachment's content cannot be read: {0}")]
    AttachmentUnreadable(String),

    /// The request on stdin is over the size limit.
    #[error(
        "the request is larger than {limit_mib} MiB (env MAXMIND_GEOLOCATE_MAX_REQUEST_MIB); send attachments by path"
    )]
    RequestTooLarge {
        /// The limit, in MiB.
        limit_mib: u64,
    },

    /// The action names more IPs than it may look up.
    #[error(
        "the action names more than {limit} distinct IPs, the limit (config max_ips); nothing was looked up"
    )]
    TooManyIps {
        /// The limit.
        limit: usize,
    },

    /// The action ran out of time before this IP was looked up.
    #[error(
        "the action ran out of its {seconds} s (config action_timeout_s) before this IP was looked up"
    )]
    ActionTimeout {
        /// The limit, in seconds.
        seconds: u64,
    },

    /// The web service refused the credentials.
    #[error(
        "the MaxMind web service refused the account ID or license key ({0}); check account_id and license_key"
    )]
    AuthInvalid(String),

    /// The account has no queries or funds left.
    #[error("the MaxMind account is out of queries or funds ({0}); no further queries were sent")]
    OutOfQueries(String),

    /// The account may not use this service.
    #[error(
        "the MaxMind account may not use this service ({0}); choose an edition and context_type it covers"
    )]
    PermissionRequired(String),

    /// The web service answered something this operation cannot use.
    #[error("the MaxMind web service answered HTTP {status}: {message}")]
    HttpError {
        /// The HTTP status.
        status: u16,
        /// What it said, or what was wrong with the answer.
        message: String,
    },

    /// The web service could not be reached or kept failing (after retries).
    #[error("the MaxMind web service is unavailable: {0}")]
    ServiceUnavailable(String),

    /// The web service did not answer in time (after retries).
    #[error("the MaxMind web service did not answer in time: {0}")]
    Timeout(String),

    /// A network (CIDR) was asked of a source that answers single addresses only.
    #[error(
        "{0} is a network: listing the networks inside it needs database files; the web service answers one address at a time"
    )]
    WithinUnsupported(String),

    /// A dry run: the address would be looked up, and was not.
    #[error("dry run: {0} would be sent to the web service (one query)")]
    DryRun(String),

    /// A bug: something that must not happen did. Reported rather than crashing.
    #[error("internal error: {0}; please report it with the request that caused it")]
    Internal(String),
}

impl Error {
    /// The stable, snake_case code of this error, as it appears in responses.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidRequest(_) => "invalid_request",
            Error::UnknownAction { .. } => "unknown_action",
            Error::UnsupportedObject { .. } => "unsupported_object",
            Error::InvalidIp { .. } => "invalid_ip",
            Error::ReservedIp { .. } => "reserved_ip",
            Error::NotFound { .. } => "not_found",
            Error::DbNotFound { .. } => "db_not_found",
            Error::DbUnreadable { .. } => "db_unreadable",
            Error::DbInvalid { .. } => "db_invalid",
            Error::ContextMismatch { .. } => "context_mismatch",
            Error::ConfigInvalid { .. } => "config_invalid",
            Error::AttachmentTooLarge { .. } => "attachment_too_large",
            Error::AttachmentUnreadable(_) => "attachment_unreadable",
            Error::RequestTooLarge { .. } => "request_too_large",
            Error::TooManyIps { .. } => "too_many_ips",
            Error::ActionTimeout { .. } => "action_timeout",
            Error::AuthInvalid(_) => "auth_invalid",
            Error::OutOfQueries(_) => "out_of_queries",
            Error::PermissionRequired(_) => "permission_required",
            Error::HttpError { .. } => "http_error",
            Error::ServiceUnavailable(_) => "service_unavailable",
            Error::Timeout(_) => "timeout",
            Error::WithinUnsupported(_) => "within_unsupported",
            Error::DryRun(_) => "dry_run",
            Error::Internal(_) => "internal_error",
        }
    }

    /// Whether this error, on one IP, is an answer rather than a failure.
    ///
    /// "Not in any database" and "special-purpose address" are facts about the address (and a
    /// dry run's "would be sent" is what was asked): an action whose IPs all end that way still
    /// succeeded.
    pub fn is_answer(&self) -> bool {
        matches!(
            self,
            Error::NotFound { .. } | Error::ReservedIp { .. } | Error::DryRun(_)
        )
    }

    /// Whether the error is about the whole account, so that no further query can succeed.
    pub fn stops_queries(&self) -> bool {
        matches!(self, Error::AuthInvalid(_) | Error::OutOfQueries(_))
    }
}

/// The longest piece of a received value a message echoes.
pub const MAX_ECHO: usize = 256;

/// ` (did you mean "x"?)` when one of `known` is close to `given`, else nothing.
pub fn did_you_mean(given: &str, known: &[&str]) -> String {
    closest(given, known)
        .map(|k| format!(" (did you mean {k:?}?)"))
        .unwrap_or_default()
}

/// The one of `known` closest to `given` (any case), when it is close enough to be a typo.
pub fn closest<'k>(given: &str, known: &[&'k str]) -> Option<&'k str> {
    let given = given.to_ascii_lowercase();
    known
        .iter()
        .map(|k| {
            (
                strsim::damerau_levenshtein(&given, &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 4) && *distance < k.len())
        .min()
        .map(|(_, k)| k)
}

/// `value`, cut to [`MAX_ECHO`] bytes (at a character boundary) with `…` when longer: the echo of
/// a hostile value in a message must not be as large as the value.
pub fn shorten(value: &str) -> String {
    if value.len() <= MAX_ECHO {
        return value.to_owned();
    }
    let mut end = MAX_ECHO;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &value[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let all = [
            Error::InvalidRequest(String::new()),
            Error::UnknownAction {
                name: String::new(),
                suggestion: String::new(),
            },
            Error::UnsupportedObject {
                action: "lookup",
                object: String::new(),
                hint: "",
            },
            Error::InvalidIp {
                value: String::new(),
                reason: String::new(),
            },
            Error::ReservedIp {
                ip: String::new(),
                reason: String::new(),
            },
            Error::NotFound {
                ip: String::new(),
                sources: String::new(),
            },
            Error::DbNotFound {
                path: PathBuf::new(),
                reason: String::new(),
            },
            Error::DbUnreadable {
                path: PathBuf::new(),
                reason: String::new(),
            },
            Error::DbInvalid {
                path: PathBuf::new(),
                reason: String::new(),
            },
            Error::ContextMismatch {
                context: "asn",
                needs: "",
                types: String::new(),
            },
            Error::ConfigInvalid {
                key: "locale",
                reason: String::new(),
            },
            Error::AttachmentTooLarge { limit_mib: 1 },
            Error::AttachmentUnreadable(String::new()),
            Error::RequestTooLarge { limit_mib: 1 },
            Error::TooManyIps { limit: 1 },
            Error::ActionTimeout { seconds: 1 },
            Error::AuthInvalid(String::new()),
            Error::OutOfQueries(String::new()),
            Error::PermissionRequired(String::new()),
            Error::HttpError {
                status: 500,
                message: String::new(),
            },
            Error::ServiceUnavailable(String::new()),
            Error::Timeout(String::new()),
            Error::WithinUnsupported(String::new()),
            Error::DryRun(String::new()),
            Error::Internal(String::new()),
        ];
        let codes: Vec<_> = all.iter().map(Error::code).collect();
        assert_eq!(
            codes,
            [
                "invalid_request",
                "unknown_action",
                "unsupported_object",
                "invalid_ip",
                "reserved_ip",
                "not_found",
                "db_not_found",
                "db_unreadable",
                "db_invalid",
                "context_mismatch",
                "config_invalid",
                "attachment_too_large",
                "attachment_unreadable",
                "request_too_large",
                "too_many_ips",
                "action_timeout",
                "auth_invalid",
                "out_of_queries",
                "permission_required",
                "http_error",
                "service_unavailable",
                "timeout",
                "within_unsupported",
                "dry_run",
                "internal_error",
            ]
        );
    }

    #[test]
    fn messages_say_what_to_do() {
        let e = Error::ContextMismatch {
            context: "asn",
            needs: "an ASN, ISP or Enterprise database",
            types: "GeoIP2-City".into(),
        };
        assert_eq!(
            e.to_string(),
            "context_type \"asn\" needs an ASN, ISP or Enterprise database, but the configured \
             databases are: GeoIP2-City; choose another context_type (or \"auto\") or add such a database"
        );
    }
}
