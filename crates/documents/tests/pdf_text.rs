//! PDF text semantics on hand-made files: how kerning, line moves, encodings, CID fonts,
//! inline images, form XObjects, annotations and filter chains become text.

mod common;

use common::{decode_bytes, find_ips, part_text};
use documents::samples::{pdf, stream};

/// A one-page PDF whose content stream is `content`, with font /F1 (Helvetica, WinAnsi) and
/// any extra objects (numbered from 6) and resources (`/F2 6 0 R` in `extra_fonts`, other
/// resource entries in `extra_res`).
fn page_with(content: &[u8], extra_fonts: &str, extra_res: &str, extra: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objs = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R {extra_fonts} >> {extra_res} >> /Contents 5 0 R >>").into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        stream("", content),
    ];
    objs.extend(extra);
    pdf(&objs)
}

fn page(content: &[u8], extra_res: &str, extra: Vec<Vec<u8>>) -> Vec<u8> {
    page_with(content, "", extra_res, extra)
}

fn text_of(file: &[u8]) -> String {
    let (o, parts) = decode_bytes("t.pdf", file);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    parts
        .iter()
        .filter(|p| p.found_in.starts_with("t.pdf p. "))
        .map(part_text)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn small_kerning_joins_large_kerning_splits() {
    let t = text_of(&page(
        b"BT /F1 10 Tf 72 700 Td [(81.2.69) -12 (.142) -900 (89.160.20.115)] TJ ET",
        "",
        vec![],
    ));
    assert_eq!(find_ips(&t), vec!["81.2.69.142", "89.160.20.115"], "{t:?}");
}

#[test]
fn line_moves_separate_lines() {
    let t = text_of(&page(
        b"BT /F1 10 Tf 12 TL 72 700 Td (81.2.69.142) Tj T* (89.160.20.115) Tj (216.160.83.60) ' 0 -12 Td (67.43.156.9) Tj \
          1 0 0 1 72 600 Tm (202.196.224.5) Tj ET BT /F1 10 Tf 72 500 Td (175.16.199.0) Tj ET",
        "",
        vec![],
    ));
    assert_eq!(
        find_ips(&t),
        vec![
            "81.2.69.142",
            "89.160.20.115",
            "216.160.83.60",
            "67.43.156.9",
            "202.196.224.5",
            "175.16.199.0"
        ],
        "{t:?}"
    );
}

#[test]
fn a_text_block_that_goes_on_on_the_same_baseline_joins_the_one_before() {
    // As LibreOffice writes a change of font or colour inside an address: a new `BT` block
    // placed with `Td` from the origin, right where the last glyph ended.
    let t = text_of(&page_with(
        b"BT 90 700 Td /F1 11 Tf (contacted 81.2) Tj ET BT 162.16 700 Td /F2 11 Tf (.69.142 and) Tj ET           BT 90 680 Td /F1 11 Tf (then 89.160.) Tj ET BT 149.41 680 Td /F1 11 Tf (20.115) Tj ET",
        "/F2 6 0 R",
        "",
        vec![b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec()],
    ));
    assert_eq!(find_ips(&t), vec!["81.2.69.142", "89.160.20.115"], "{t:?}");
}

#[test]
fn strings_drawn_one_text_object_each_join_where_they_meet() {
    // reportlab's drawString: a text object per string, placed by `Tm`, ended by `T*`; an
    // address drawn in two calls (a bold part, a wrap the generator undid) is one address.
    let t = text_of(&page_with(
        b"BT 1 0 0 1 50 768 Tm /F1 10 Tf 12 TL (C2 at 194.26.) Tj T* ET\n\
          BT 1 0 0 1 110.04 768 Tm /F1 10 Tf (30.3) Tj T* ET\n\
          BT 1 0 0 1 50 752 Tm /F1 10 Tf (then 194.) Tj T* ET\n\
          BT 1 0 0 1 91.70 752 Tm /F2 10 Tf (26.30.4) Tj T* ET\n\
          BT 1 0 0 1 50 736 Tm /F1 10 Tf (line one 81.2.69.142) Tj T* (line two) Tj ET",
        "/F2 6 0 R",
        "",
        vec![b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec()],
    ));
    assert_eq!(
        find_ips(&t),
        vec!["194.26.30.3", "194.26.30.4", "81.2.69.142"],
        "{t:?}"
    );
    assert!(t.contains("81.2.69.142\nline two"), "{t:?}");
}

#[test]
fn actual_text_stands_for_the_glyphs_it_marks() {
    // Chromium's soft hyphen: a space glyph marked as U+00AD, the text going on from where
    // that glyph started; and glyphs whose text is given apart (a ligature, an icon font).
    let t = text_of(&page(
        b"BT /F1 10 Tf 72 700 Td (C2 5.188.207.) Tj /Span << /ActualText <FEFF00AD> >> BDC ( ) Tj EMC \
          [278 (20) -1000 (and) -1000] TJ /Span << /ActualText (81.2.69.142) >> BDC (xyz) Tj EMC ET",
        "",
        vec![],
    ));
    // The soft hyphen is kept for the address scan, which reads through it.
    assert_eq!(t.trim(), "C2 5.188.207.\u{ad}20 and 81.2.69.142");
    // Never closed, blank, or marking no glyph: the glyphs are the text, and the sequence
    // adds nothing (a `/Span` only, as poppler reads it).
    for (content, text) in [
        (
            &b"BT /F1 10 Tf 72 700 Td /Span << /ActualText (fi) >> BDC (fi) Tj ET \
               BT /F1 10 Tf 72 680 Td (C2 81.2.69.142) Tj ET"[..],
            "fi\nC2 81.2.69.142",
        ),
        (
            b"BT /F1 10 Tf 72 700 Td /Span << /ActualText () >> BDC (C2 81.2.69.142) Tj EMC ET",
            "C2 81.2.69.142",
        ),
        (
            b"BT /F1 10 Tf 72 700 Td /Span << /ActualText (10.0.0.1) >> BDC EMC (C2 81.2.69.142) Tj ET",
            "C2 81.2.69.142",
        ),
        (
            b"BT /F1 10 Tf 72 700 Td /Artifact << /ActualText (Page 1) >> BDC (C2 81.2.69.142) Tj EMC ET",
            "C2 81.2.69.142",
        ),
    ] {
        let t = text_of(&page(content, "", vec![]));
        assert_eq!(t.trim(), text);
    }
}

#[test]
fn a_raised_smaller_footnote_mark_is_not_part_of_the_address_before_it() {
    // As Chromium prints `81.2.69.142<sup>1</sup>`: the mark 0.4 of a line higher, in a
    // smaller font, placed with `Tm`; and a line moved by a little with `Td`.
    let t = text_of(&page(
        b"BT /F1 16 Tf 1 0 0 1 72 700 Tm (C2 81.2.69.142) Tj ET           BT /F1 13.33 Tf 1 0 0 1 181.41 706.3 Tm (1) Tj ET           BT /F1 16 Tf 1 0 0 1 188.8 700 Tm ( was used) Tj ET           BT /F1 10 Tf 72 600 Td (seen 216.160.83.60) Tj 88.4 3 Td (2) Tj ET",
        "",
        vec![],
    ));
    assert_eq!(find_ips(&t), vec!["81.2.69.142", "216.160.83.60"], "{t:?}");
}

#[test]
fn glyph_by_glyph_positioning_joins_and_gaps_split() {
    // Each piece placed where the previous one ended (Helvetica digits are 556/1000 wide).
    let t = text_of(&page(
        b"BT /F1 10 Tf 72 700 Td (81) Tj 11.12 0 Td (.2) Tj 50 0 Td (next) Tj ET",
        "",
        vec![],
    ));
    assert!(t.contains("81.2 next"), "{t:?}");
}

/// Helvetica's width of `c` (1/1000 em), for the characters these tests place.
fn helvetica(c: char) -> u32 {
    match c {
        '0'..='9' | 'a' | 'b' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' | 'p' | 'q' | 'u' | 'L' => 556,
        'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' => 500,
        'i' | 'j' | 'l' => 222,
        'm' => 833,
        'r' => 333,
        'w' => 722,
        'S' => 667,
        _ => 278, // . : space f t
    }
}

/// Content that shows each of `pieces` in Helvetica 10 with its own `Tj`, the next one placed
/// `gap` units beyond its end (`(piece) Tj w 0 Td`); pieces that are a space are not shown but
/// leave their width.
fn pieces(pieces: &[String], gap: f64) -> String {
    let mut content = String::new();
    for piece in pieces {
        if piece != " " {
            content.push_str(&format!("({piece}) Tj "));
        }
        let width: u32 = piece.chars().map(helvetica).sum();
        content.push_str(&format!("{:.3} 0 Td\n", f64::from(width) / 100.0 + gap));
    }
    content
}

/// `text` in Helvetica 10, each glyph placed on its own (`(c) Tj w 0 Td`), `extra` units apart
/// beyond its width, as Chromium prints CSS `letter-spacing`; spaces shown as glyphs, or left
/// as gaps of a space's width.
fn placed(text: &str, extra: f64, space_glyphs: bool) -> Vec<u8> {
    let mut content = String::from("BT /F1 10 Tf 72 700 Td\n");
    for c in text.chars() {
        if c != ' ' || space_glyphs {
            content.push_str(&format!("({c}) Tj "));
        }
        content.push_str(&format!(
            "{:.3} 0 Td\n",
            f64::from(helvetica(c)) / 100.0 + extra
        ));
    }
    content.push_str("ET");
    page(content.as_bytes(), "", vec![])
}

/// Words in Helvetica 10, each shown with its own `Tj` and placed `gap` units (a tenth of an
/// em each) after the end of the one before: no space glyphs.
fn words_apart(words: &[&str], gap: f64) -> String {
    let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    let text = text_of(&page(
        format!("BT /F1 10 Tf 72 700 Td\n{}ET", pieces(&words, gap)).as_bytes(),
        "",
        vec![],
    ));
    text.trim().to_string()
}

#[test]
fn letter_spaced_text_placed_a_glyph_at_a_time_keeps_its_words_whole() {
    let line = "Letter spaced: 216.160.83.56 and 81.2.69.142";
    for space_glyphs in [true, false] {
        // A fifth of an em between glyphs: wider than the gap that parts words elsewhere.
        let t = text_of(&placed(line, 2.0, space_glyphs));
        assert_eq!(t.trim(), line, "space glyphs: {space_glyphs}");
        assert_eq!(find_ips(&t), vec!["216.160.83.56", "81.2.69.142"]);
    }
    // A one-glyph word before an address, its space a glyph of the same spacing: the space
    // is the word space, never taken back (it gave 181.2.69.142).
    for line in ["1 81.2.69.142", "A 1 2.2.69.144 x"] {
        let t = text_of(&placed(line, 2.0, true));
        assert_eq!(t.trim(), line);
    }
}

#[test]
fn a_letter_spaced_span_inside_a_line_keeps_its_first_glyph() {
    // `IP: <span style="letter-spacing:2px">216.160.83.56</span>`: the line's words, then the
    // span's glyphs one at a time, the first right where the words' space glyph ended.
    let mut content = String::from("BT /F1 10 Tf 72 700 Td (Seen at ) Tj 37.25 0 Td\n");
    for c in "216.160.83.56".chars() {
        content.push_str(&format!(
            "({c}) Tj {:.3} 0 Td\n",
            f64::from(helvetica(c)) / 100.0 + 2.0
        ));
    }
    content.push_str("ET");
    let t = text_of(&page(content.as_bytes(), "", vec![]));
    assert_eq!(t.trim(), "Seen at 216.160.83.56");
}

#[test]
fn words_set_with_equal_gaps_stay_apart() {
    // Justified words, a quarter of an em between each: runs of several glyphs.
    let t = text_of(&page(
        b"BT /F1 10 Tf 72 700 Td [(10.0.0.1) -250 (10.0.0.2) -250 (10.0.0.3) -250 (x)] TJ ET",
        "",
        vec![],
    ));
    assert_eq!(
        find_ips(&t),
        vec!["10.0.0.1", "10.0.0.2", "10.0.0.3"],
        "{t:?}"
    );
    // Words a narrow gap apart (tight justification, 0.22 em: narrower than Helvetica's space),
    // one-letter words among them: words, not letter spacing, and never one address glued to
    // a number before it.
    assert_eq!(
        words_apart(&["log", "a", "1", "10.0.0.1", "10.0.0.2", "done"], 2.2),
        "log a 1 10.0.0.1 10.0.0.2 done"
    );
    assert_eq!(
        words_apart(&["rank", "1", "2", "3.4.5.6"], 2.2),
        "rank 1 2 3.4.5.6"
    );
    let t = words_apart(&["1", "2", "3", "4", "10.0.0.1", "10.0.0.2"], 2.0);
    assert_eq!(find_ips(&t), vec!["10.0.0.1", "10.0.0.2"], "{t:?}");
    // Glyphs placed one at a time without letter spacing, spaces left as gaps: the one-letter
    // word between two equal gaps is a word, not letter spacing.
    for line in ["is a 81.2.69.142 or a 1.1.1.1", "a 8 1 9.9.9.9"] {
        let t = text_of(&placed(line, 0.0, false));
        assert_eq!(t.trim(), line);
    }
}

#[test]
fn differences_encoding_maps_glyph_names() {
    let font =
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Custom /Encoding << /Differences [65 /eight /one /period /two /six /nine /four] >> >>";
    let file = page_with(
        b"BT /F2 10 Tf 72 700 Td (ABCDCEFCBGD) Tj ET",
        "/F2 6 0 R",
        "",
        vec![font.to_vec()],
    );
    let t = text_of(&file);
    assert_eq!(find_ips(&t), vec!["81.2.69.142"], "{t:?}");
}

#[test]
fn cid_font_with_identity_h_and_to_unicode() {
    let cmap = b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange \
        2 beginbfrange <0010> <0019> <0030> <001A> <001A> <002E> endbfrange endcmap CMapName currentdict /CMap defineresource pop end end";
    let font = b"<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Noto /Encoding /Identity-H /DescendantFonts [7 0 R] /ToUnicode 8 0 R >>";
    let desc = b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Noto /DW 550 >>";
    // "81.2.69.142" as 2-byte codes: digit d -> 0x0010 + d, '.' -> 0x001A.
    let file = page_with(
        b"BT /F2 10 Tf 72 700 Td <00180011001A0012001A00160019001A001100140012> Tj ET",
        "/F2 6 0 R",
        "",
        vec![font.to_vec(), desc.to_vec(), stream("", cmap)],
    );
    let t = text_of(&file);
    assert_eq!(find_ips(&t), vec!["81.2.69.142"], "{t:?}");
}

#[test]
fn inline_images_and_image_xobjects_never_leak_text_but_forms_do_count() {
    let form = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 100 100] /Resources << /Font << /F1 4 0 R >> >>",
        b"BT /F1 9 Tf 0 0 Td (form 67.43.156.9) Tj ET",
    );
    let image = stream(
        "/Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray",
        b"(1.2.3.4) Tj",
    );
    let content = b"BI /W 4 /H 1 /BPC 8 /CS /G ID (9.9.9.9) Tj EI q /Fm1 Do Q /Im1 Do BT /F1 10 Tf 72 700 Td (after 81.2.69.142) Tj ET";
    let t = text_of(&page(
        content,
        "/XObject << /Fm1 6 0 R /Im1 7 0 R >>",
        vec![form, image],
    ));
    assert_eq!(find_ips(&t), vec!["67.43.156.9", "81.2.69.142"], "{t:?}");
}

#[test]
fn link_uris_and_filter_chains() {
    let hex: String = b"BT /F1 10 Tf 72 700 Td (chain 216.160.83.60) Tj ET"
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let objs = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [6 0 R] >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("/Filter [/ASCII85Decode /ASCIIHexDecode]", &ascii85(format!("{hex}>").as_bytes())),
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /URI /URI (http://89.160.20.115/x) >> >>".to_vec(),
    ];
    let t = text_of(&pdf(&objs));
    assert_eq!(
        find_ips(&t),
        vec!["216.160.83.60", "89.160.20.115"],
        "{t:?}"
    );
}

#[test]
fn form_field_values_are_read_with_their_page() {
    // A filled form: a text field whose widget holds its value, a field whose widgets
    // inherit it from their parent, a list box with two choices, a check box (a name).
    let objs = vec![
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R 7 0 R 9 0 R 10 0 R] >> >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [6 0 R 8 0 R 9 0 R 10 0 R] >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", b"BT /F1 10 Tf 72 700 Td (Source address:) Tj ET"),
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (source) /V (67.43.156.9) /Rect [0 0 10 10] >>".to_vec(),
        b"<< /FT /Tx /T (c2) /V <FEFF003200310036002E003100360030002E00380033002E00360030> /Kids [8 0 R] >>".to_vec(),
        b"<< /Type /Annot /Subtype /Widget /Parent 7 0 R /Rect [0 0 10 10] >>".to_vec(),
        b"<< /Type /Annot /Subtype /Widget /FT /Ch /T (seen) /V [(81.2.69.142) (89.160.20.115)] /Rect [0 0 10 10] >>".to_vec(),
        b"<< /Type /Annot /Subtype /Widget /FT /Btn /T (blocked) /V /Yes /Rect [0 0 10 10] >>".to_vec(),
    ];
    let t = text_of(&pdf(&objs));
    assert_eq!(
        find_ips(&t),
        vec![
            "67.43.156.9",
            "216.160.83.60",
            "81.2.69.142",
            "89.160.20.115"
        ],
        "{t:?}"
    );
}

#[test]
fn a_form_value_shared_or_listed_again_is_read_once() {
    // Twenty widgets of one field whose value lists one long string a thousand times, and
    // the same annotation listed a thousand times: each read once.
    let long = format!("({} 81.2.69.142)", "x".repeat(10_000));
    let refs = "11 0 R ".repeat(1_000);
    let widgets = (0..20)
        .map(|i| format!("{} 0 R ", 12 + i))
        .collect::<String>();
    let mut objs = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R /Annots [{widgets} {}] >>", "6 0 R ".repeat(1_000)).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", b"BT /F1 10 Tf 72 700 Td (form) Tj ET"),
        format!("<< /Type /Annot /Subtype /Text /Rect [0 0 1 1] /Contents {long} >>").into_bytes(),
        b"<< >>".to_vec(),
        b"<< >>".to_vec(),
        b"<< >>".to_vec(),
        format!("<< /FT /Ch /T (f) /V [{refs}] >>").into_bytes(),
        long.into_bytes(),
    ];
    for _ in 0..20 {
        objs.push(b"<< /Type /Annot /Subtype /Widget /Parent 10 0 R /Rect [0 0 1 1] >>".to_vec());
    }
    let (_, parts) = decode_bytes("t.pdf", &pdf(&objs));
    let text: String = parts.iter().map(part_text).collect();
    assert!(text.len() < 30_000, "{} bytes of text", text.len());
    assert_eq!(find_ips(&text), ["81.2.69.142", "81.2.69.142"]);
}

/// ASCII85-encodes bytes (test helper).
fn ascii85(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in data.chunks(4) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        let mut v = u32::from_be_bytes(b) as u64;
        let mut digits = [0u8; 5];
        for d in digits.iter_mut().rev() {
            *d = (v % 85) as u8 + b'!';
            v /= 85;
        }
        out.extend_from_slice(&digits[..chunk.len() + 1]);
    }
    out.extend_from_slice(b"~>");
    out
}

#[test]
fn a_file_with_a_broken_xref_is_recovered_by_scanning() {
    let mut file = page(
        b"BT /F1 10 Tf 72 700 Td (recovered 81.2.69.142) Tj ET",
        "",
        vec![],
    );
    let at = file.windows(9).rposition(|w| w == b"startxref").unwrap();
    file.truncate(at);
    file.extend_from_slice(b"startxref\n999999\n%%EOF\n");
    let (o, parts) = decode_bytes("t.pdf", &file);
    assert!(
        o.warnings.iter().any(|w| w.code == "document_partial"),
        "{:?}",
        o.warnings
    );
    let t: String = parts.iter().map(part_text).collect();
    assert_eq!(find_ips(&t), vec!["81.2.69.142"]);
}
