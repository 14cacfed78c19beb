//! The action request: `{"action", "config", "object", "params"}`.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;

/// The operation's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Geolocate one IP indicator.
    Lookup,
    /// Geolocate every IP related to or contained in an attachment.
    LookupAllRelatedIps,
}

impl Action {
    /// Accepts the wire names and the platform's display names.
    pub fn parse(name: &str) -> Result<Action, Error> {
        let normalised = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        match normalised.as_str() {
            "lookup" => Ok(Action::Lookup),
            "lookup_all_related_ips" => Ok(Action::LookupAllRelatedIps),
            _ => Err(Error::UnknownAction {
                name: crate::error::shorten(name),
                suggestion: crate::error::did_you_mean(
                    &normalised,
                    &[
                        Action::Lookup.as_str(),
                        Action::LookupAllRelatedIps.as_str(),
                    ],
                ),
            }),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Lookup => "lookup",
            Action::LookupAllRelatedIps => "lookup_all_related_ips",
        }
    }
}

/// One action request as the platform writes it.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// The action's wire or display name; see [`Action::parse`].
    pub action: String,
    /// The operation's configuration page, as sent (read by [`crate::config::read_request`]).
    #[serde(default, deserialize_with = "null_as_default")]
    pub config: Map<String, Value>,
    /// The object the action runs on.
    #[serde(default)]
    pub object: Option<Object>,
    /// The action's run parameters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub params: Map<String, Value>,
}

/// An indicator related to the object.
#[derive(Debug, Clone, Deserialize)]
pub struct RelatedIndicator {
    /// The indicator type, e.g. `IP Address`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The indicator's value.
    pub value: String,
}

/// The object an action runs on: an indicator (Lookup) or an attachment.
#[derive(Debug, Clone, Deserialize)]
pub struct Object {
    /// `indicator` or `attachment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// For indicators: `IP Address` or `IPv6 Address`.
    #[serde(default)]
    pub indicator_type: Option<String>,
    /// For indicators: the indicator's value.
    #[serde(default)]
    pub value: Option<String>,
    /// For attachments: the file name.
    #[serde(default)]
    pub name: Option<String>,
    /// For attachments: the current HTML description.
    #[serde(default)]
    pub description: Option<String>,
    /// Indicators related to the object.
    #[serde(default, deserialize_with = "null_as_default")]
    pub related_indicators: Vec<RelatedIndicator>,
    /// For attachments: the content as text.
    #[serde(default)]
    pub content: Option<String>,
    /// For attachments: the content as base64 bytes.
    #[serde(default)]
    pub content_base64: Option<String>,
    /// For attachments: the file holding the content, inside `config.attachment_dir`.
    #[serde(default)]
    pub path: Option<String>,
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Parses a request, naming the JSON path of any field of the wrong type.
pub fn parse_request(input: &[u8]) -> Result<Request, Error> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::InvalidRequest(
            "stdin is empty; write one JSON action request to it".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(input);
    let request: Request = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            Error::InvalidRequest(format!("not a valid action request: {inner}"))
        } else {
            Error::InvalidRequest(format!("{path}: {inner}"))
        }
    })?;
    de.end()
        .map_err(|e| Error::InvalidRequest(format!("after the request: {e}")))?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_accepted() {
        assert_eq!(Action::parse("Lookup").unwrap(), Action::Lookup);
        assert_eq!(
            Action::parse("Lookup All Related IPs").unwrap(),
            Action::LookupAllRelatedIps
        );
        assert_eq!(
            Action::parse("lookup_all_related_ips").unwrap(),
            Action::LookupAllRelatedIps
        );
        assert_eq!(
            Action::parse("enrich").unwrap_err().code(),
            "unknown_action"
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let err = parse_request(br#"{"action":"lookup","object":{"type":"indicator","value":5}}"#)
            .unwrap_err();
        assert_eq!(err.code(), "invalid_request");
        assert!(err.to_string().contains("object.value"), "{err}");
    }

    #[test]
    fn trailing_garbage_and_empty_input_are_refused() {
        assert!(parse_request(b"").is_err());
        assert!(parse_request(b"  \n").is_err());
        assert!(parse_request(br#"{"action":"lookup"} x"#).is_err());
        assert!(parse_request(br#"[]"#).is_err());
    }

    #[test]
    fn null_config_and_params_are_empty() {
        let r = parse_request(br#"{"action":"lookup","config":null,"params":null}"#).unwrap();
        assert!(r.params.is_empty());
        assert!(r.object.is_none());
    }
}
