//! Integration tests: the real binary driven through stdin/stdout, as the platform and analysts
//! drive it. One test binary; [`harness`] runs the executable and checks the plugin contract
//! (exactly one JSON document on stdout, no panic on stderr) on every run.

mod browser;
mod bulk;
mod cache;
mod cli;
mod conformance;
mod documents;
mod errors;
mod extraction;
mod fake_maxmind;
mod fixtures;
mod harness;
mod hostile;
mod layout;
mod lookup;
mod manifest;
mod map;
mod shapes;
mod web;
