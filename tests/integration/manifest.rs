//! `manifest.yaml` and the binary agree: every user field is a config key the binary accepts
//! (with its default and with each of its options), every config key is in the manifest, and
//! every action the manifest declares is one the binary runs.

use serde_json::{Map, Value, json};

use crate::harness::{lookup_request, plugin, root};

fn manifest() -> Value {
    let text = std::fs::read_to_string(root().join("manifest.yaml")).expect("manifest.yaml");
    serde_yaml_ng::from_str(&text).expect("manifest.yaml parses")
}

fn user_fields() -> Vec<Value> {
    manifest()["user_fields"]
        .as_array()
        .expect("user_fields")
        .clone()
}

#[test]
fn the_manifest_names_the_operation_and_its_version() {
    let m = manifest();
    assert_eq!(m["display_name"], "MaxMind Geolocate");
    assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["executable"], env!("CARGO_PKG_NAME"));
}

/// The `user_fields` section, each field's keys in the order a reader expects.
fn user_fields_yaml(fields: &Value) -> String {
    let scalar = |v: &Value| serde_yaml_ng::to_string(v).unwrap().trim_end().to_owned();
    let mut out = String::from("user_fields:\n");
    for field in fields.as_array().unwrap() {
        let mut first = true;
        for key in ["name", "label", "description", "type", "default"] {
            let lead = if std::mem::take(&mut first) {
                "  - "
            } else {
                "    "
            };
            out.push_str(&format!("{lead}{key}: {}\n", scalar(&field[key])));
        }
        if let Some(options) = field["options"].as_array() {
            out.push_str("    options:\n");
            for o in options {
                out.push_str(&format!(
                    "      - {{value: {}, label: {}}}\n",
                    scalar(&o["value"]),
                    scalar(&o["label"])
                ));
            }
        }
        if let Some(when) = field["show_when"].as_object() {
            for (k, v) in when {
                out.push_str(&format!("    show_when: {{{k}: {}}}\n", scalar(v)));
            }
        }
    }
    out
}

#[test]
fn the_user_fields_are_the_settings_table() {
    // The table in src/config/settings.rs is the one place a setting is declared; the page's
    // fields follow it. `UPDATE_MANIFEST=1 cargo test manifest` rewrites them from it.
    let expected = maxmind_geolocate::manifest_fields();
    if std::env::var_os("UPDATE_MANIFEST").is_some() {
        let text = std::fs::read_to_string(root().join("manifest.yaml")).unwrap();
        let head = &text[..text.find("user_fields:").expect("a user_fields section")];
        std::fs::write(
            root().join("manifest.yaml"),
            format!("{head}{}", user_fields_yaml(&expected)),
        )
        .unwrap();
    }
    assert_eq!(
        Value::Array(user_fields()),
        expected,
        "manifest.yaml's user_fields differ from the settings table; run UPDATE_MANIFEST=1 cargo test manifest"
    );
}

#[test]
fn the_defaults_of_every_field_run_a_lookup_without_a_warning() {
    let mut config = Map::new();
    for field in user_fields() {
        config.insert(
            field["name"].as_str().unwrap().to_owned(),
            field["default"].clone(),
        );
    }
    config.insert("db_dir".into(), json!("fixtures"));
    config.insert("mmdb_filename".into(), json!("GeoIP2-City-Fixture.mmdb"));
    let mut req = lookup_request(&[], "81.2.69.142", json!({}));
    req["config"] = Value::Object(config);
    let run = plugin(&req);
    assert_eq!(run.json["status"], "success", "{}", run.json);
    // The one warning the defaults give: the fixture was built a year before these tests.
    assert!(run.warning_codes().is_empty(), "{}", run.json["warnings"]);
}

#[test]
fn every_option_of_every_select_is_accepted() {
    for field in user_fields() {
        let name = field["name"].as_str().unwrap();
        for option in field["options"].as_array().into_iter().flatten() {
            let mut extra = json!({ name: option["value"] });
            if name == "source" || option["value"] == "insights" {
                extra["source"] = json!("web_api");
                extra["source"] = if name == "source" {
                    option["value"].clone()
                } else {
                    json!("web_api")
                };
                extra["account_id"] = json!("42");
                // Nothing listens there: the point is that the config is accepted.
                extra["web_api_url"] = json!("http://127.0.0.1:9");
                extra["retries"] = json!(1);
                extra["license_key"] = json!("LK-MANIFEST-TEST");
            }
            let run = plugin(&lookup_request(
                &["GeoIP2-City-Fixture.mmdb"],
                "81.2.69.142",
                extra,
            ));
            let codes = run.error_codes();
            assert!(
                !codes
                    .iter()
                    .any(|c| c == "config_invalid" || c == "invalid_request"),
                "{name}={}: {}",
                option["value"],
                run.json
            );
            assert!(
                run.json["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|w| w["code"] != "unknown_config_key")
            );
        }
    }
}

#[test]
fn fields_show_only_where_they_apply() {
    let shown = |name: &str| {
        user_fields()
            .into_iter()
            .find(|f| f["name"] == name)
            .map(|f| f["show_when"].clone())
            .unwrap()
    };
    assert_eq!(shown("mmdb_filename"), json!({"source": "db_file"}));
    for web in ["account_id", "license_key", "edition"] {
        assert_eq!(shown(web), json!({"source": "web_api"}), "{web}");
    }
    assert_eq!(shown("mapbox_api_key"), json!({"use_mapbox": true}));
}

#[test]
fn every_declared_action_is_one_the_binary_knows() {
    for action in manifest()["actions"].as_array().unwrap() {
        for name in [&action["name"], &action["display_name"]] {
            let mut req = lookup_request(&["GeoIP2-City-Fixture.mmdb"], "81.2.69.142", json!({}));
            req["action"] = name.clone();
            let run = plugin(&req);
            assert!(
                !run.error_codes().contains(&"unknown_action".to_owned()),
                "{name}"
            );
        }
    }
}
