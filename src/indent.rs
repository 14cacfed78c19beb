//! Reformatting JSON text: indented for people, as `serde_json`'s pretty printer would — all
//! of it, including the records that responses carry as raw JSON text (which the pretty
//! printer writes through as they are, on one line) — or compact, for the web cache.
//!
//! Pure: JSON text in, text out; the order of keys, numbers and escapes are kept.

use std::io::{self, Write};

/// Writes the JSON text `json` (one valid document, as this program writes them) to `out`
/// indented two spaces a level, `"key": value`, empty `{}` and `[]` kept on their line.
pub fn indent(json: &[u8], out: &mut dyn Write) -> io::Result<()> {
    out.write_all(&reformat(json, true))
}

/// Well-formed JSON text without the whitespace between its tokens; everything else is kept
/// byte for byte.
pub fn compact(json: &str) -> String {
    // Only ASCII whitespace between tokens was left out: the text is still UTF-8.
    String::from_utf8(reformat(json.as_bytes(), false)).expect("only ASCII was left out")
}

/// `json` with its whitespace between tokens left out, and (if `pretty`) lines and indentation
/// put in. Strings are copied as they are: the bytes looked for are ASCII, which no byte of a
/// multi-byte UTF-8 character is.
fn reformat(json: &[u8], pretty: bool) -> Vec<u8> {
    let mut text = Vec::with_capacity(if pretty {
        json.len() + json.len() / 2
    } else {
        json.len()
    });
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |text: &mut Vec<u8>, depth: usize| {
        if pretty {
            text.push(b'\n');
            text.resize(text.len() + 2 * depth, b' ');
        }
    };
    let mut bytes = json.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if in_string {
            text.push(b);
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                text.push(b);
            }
            b'{' | b'[' => {
                text.push(b);
                while bytes.next_if(u8::is_ascii_whitespace).is_some() {}
                let close = if b == b'{' { b'}' } else { b']' };
                if bytes.next_if_eq(&close).is_some() {
                    text.push(close);
                } else {
                    depth += 1;
                    newline(&mut text, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut text, depth);
                text.push(b);
            }
            b',' => {
                text.push(b);
                newline(&mut text, depth);
            }
            b':' if pretty => text.extend_from_slice(b": "),
            b if b.is_ascii_whitespace() => {}
            b => text.push(b),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indented(json: &str) -> String {
        let mut out = Vec::new();
        indent(json.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn indents_as_serde_json_pretty_does() {
        let value = serde_json::json!({
            "a": [1, {"b": "x, {y}: [z]", "c": []}, {}],
            "d": {"e\"": null, "f\\": true},
            "g": "tab\tnew\nline"
        });
        let compact = serde_json::to_string(&value).unwrap();
        assert_eq!(
            indented(&compact),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn raw_records_are_indented_too() {
        let raw = r#"{"data": {"city":{"names":{"en":"London"}}}, "e": [ ] }"#;
        assert_eq!(
            indented(raw),
            "{\n  \"data\": {\n    \"city\": {\n      \"names\": {\n        \"en\": \"London\"\n      }\n    }\n  },\n  \"e\": []\n}"
        );
    }
}
