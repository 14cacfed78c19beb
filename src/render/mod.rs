//! What the operation writes for people: the attachment description (HTML), the Mapbox map
//! URL and the offline world map (SVG). Pure: values in, `String` out. Every string from
//! outside — records, file names, values, messages — is HTML-escaped here.

pub mod description;
pub mod map;
mod offline;
mod precision;
mod summary;
pub mod worldmap;

pub use description::{
    Columns, Map, Report, TableRow, apply_section, render_section, render_section_with, table_rows,
};
pub use map::{MapImage, map_image};
pub use offline::offline_map;
pub use summary::Tally;

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let mut out = String::new();
    push_thousands(&mut out, n);
    out
}

/// Appends [`thousands`]`(n)`.
pub(crate) fn push_thousands(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n;
    loop {
        digits[len] = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for i in (0..len).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push(',');
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

/// [`escape`], appending to `out`: the text between markup characters is copied a run at a
/// time (a character at a time, the table of a bulk's description spent a quarter of its time
/// here, on addresses with nothing to escape).
pub fn escape_into(text: &str, out: &mut String) {
    escape_pieces(text, |piece| out.push_str(piece));
}

/// [`escape`]`(text)` handed to `put` in pieces, in order: the runs between markup characters
/// and the entities that stand for them. Characters XML 1.0 forbids (C0 controls other than
/// tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so that no name from a
/// database breaks the SVG map or the description.
fn escape_pieces<'a>(text: &'a str, mut put: impl FnMut(&'a str)) {
    let mut rest = text;
    // The markup characters and the controls are ASCII, and U+FFFE and U+FFFF start with the
    // byte 0xEF, which only starts a character: the text splits around any of them at
    // character boundaries.
    while let Some(at) = rest.bytes().position(|b| {
        matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF)
            || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
    }) {
        put(&rest[..at]);
        let (piece, len) = match rest.as_bytes()[at] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&#39;", 1),
            0xEF => match &rest[at..at + 3] {
                "\u{fffe}" | "\u{ffff}" => ("\u{fffd}", 3),
                other => (other, 3),
            },
            _ => ("\u{fffd}", 1),
        };
        put(piece);
        rest = &rest[at + len..];
    }
    put(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(
            escape(r#""><img src=x onerror=alert(1)>"#),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
        );
    }

    #[test]
    fn labels_are_escaped_and_forbidden_characters_replaced() {
        let mut s = String::new();
        escape_into("<script>alert('x')</script> & \"q\"\u{1}\u{ffff}\n", &mut s);
        assert_eq!(
            s,
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;\u{fffd}\u{fffd}\n"
        );
    }

    #[test]
    fn text_around_markup_is_kept_whole_whatever_its_characters() {
        assert_eq!(escape(""), "");
        assert_eq!(escape("81.2.69.142"), "81.2.69.142");
        assert_eq!(escape("&&"), "&amp;&amp;");
        assert_eq!(escape("Zürich <Ä> 東京'"), "Zürich &lt;Ä&gt; 東京&#39;");
        assert_eq!(escape("\"\u{1F600}\""), "&quot;\u{1F600}&quot;");
        // Against escaping one character at a time, on every mix of markup, ASCII and wider
        // characters up to four long.
        let alphabet = ['&', '<', '>', '"', '\'', 'a', ' ', 'é', '€', '\u{10348}'];
        let one_at_a_time = |text: &str| -> String {
            text.chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '"' => "&quot;".to_owned(),
                    '\'' => "&#39;".to_owned(),
                    c => c.to_string(),
                })
                .collect()
        };
        crate::test_support::for_every_mix(&alphabet, 4, &mut |mix| {
            let text: String = mix.iter().collect();
            assert_eq!(escape(&text), one_at_a_time(&text), "{text:?}");
        });
    }
}
