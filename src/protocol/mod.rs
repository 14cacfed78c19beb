//! The wire protocol between the platform and the operation: the action request read from stdin
//! and the response written to stdout. The only module that knows wire field names.

mod request;
mod response;

pub use request::{Action, Object, Request, parse_request};
pub use response::{
    AsnCount, Attribute, CountryCount, DatabaseInfo, ErrorBody, Indicator, IpResult, Listed, Meta,
    Origin, RawJson, Response, Status, Summary,
};
