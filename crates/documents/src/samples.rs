//! Hostile documents made in memory, for the tests and benches that hold the caps of
//! [`crate::Limits`] to what attackers upload — here and through the binary that uses this
//! crate. Nothing here is used when decoding.

use std::io::{Cursor, Write};
use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};
use zip::write::SimpleFileOptions;

/// A gibibyte.
pub const GIB: u64 = 1 << 30;

/// Raw deflate of 1 GiB of zeros (about 1 MiB), made once.
pub fn deflated_gib() -> &'static [u8] {
    static D: OnceLock<Vec<u8>> = OnceLock::new();
    D.get_or_init(|| {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..1024 {
            e.write_all(&chunk).unwrap();
        }
        e.finish().unwrap()
    })
}

fn crc_of_zeros(n: u64) -> u32 {
    let mut h = flate2::Crc::new();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..n / (1 << 20) {
        h.update(&chunk);
    }
    h.sum()
}

/// A ZIP with `entries` entries, each 1 GiB of zeros (local headers written by hand: the zip
/// crate would recompress).
pub fn zip_bomb(entries: usize) -> Vec<u8> {
    let data = deflated_gib();
    let crc = crc_of_zeros(GIB);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for i in 0..entries {
        let name = format!("zeros{i}.bin");
        let off = out.len() as u32;
        let mut h = Vec::new();
        h.extend_from_slice(b"PK\x03\x04");
        h.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
        h.extend_from_slice(&crc.to_le_bytes());
        h.extend_from_slice(&(data.len() as u32).to_le_bytes());
        h.extend_from_slice(&(GIB as u32).to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        let mut c = Vec::new();
        c.extend_from_slice(b"PK\x01\x02");
        c.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0x21, 0]);
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&(data.len() as u32).to_le_bytes());
        c.extend_from_slice(&(GIB as u32).to_le_bytes());
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0u8; 12]);
        c.extend_from_slice(&off.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        central.extend_from_slice(&c);
    }
    let cd_off = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(entries as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_off.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A ZIP of one file, `name`, holding `data`.
pub fn zip_of(name: &str, data: &[u8]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file(name, SimpleFileOptions::default()).unwrap();
    z.write_all(data).unwrap();
    z.finish().unwrap().into_inner()
}

/// A ZIP of the given files, stored (not compressed): an Office document around parts a test
/// or a fuzzer writes.
pub fn stored_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        z.start_file(*name, options).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// `data`, gzipped.
pub fn gzip_of(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A PDF with the given objects (numbered from 1; object 1 is the catalog) and a correct xref.
pub fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF stream object of `data` with the dictionary entries `dict`.
pub fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut v = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    v.extend_from_slice(data);
    v.extend_from_slice(b"\nendstream");
    v
}

/// A standard font, for the text of sample pages.
pub const FONT: &str =
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";

/// A ZIP holding a ZIP holding … (`depth` levels) a text naming `81.2.69.142`.
pub fn nested_zip(depth: usize) -> Vec<u8> {
    let mut z = zip_of("deep.txt", b"innermost 81.2.69.142");
    for i in 0..depth {
        z = zip_of(&format!("level{i}.zip"), &z);
    }
    z
}

/// gzip of gzip of … (`depth` levels) a text naming `81.2.69.142`.
pub fn nested_gzip(depth: usize) -> Vec<u8> {
    let mut g = b"innermost 81.2.69.142".to_vec();
    for _ in 0..depth {
        g = gzip_of(&g);
    }
    g
}

/// A one-page PDF naming `89.160.20.115`, whose second content stream inflates to 1 GiB.
pub fn pdf_bomb() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents [5 0 R 6 0 R] >>".to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", b"BT /F1 12 Tf 72 700 Td (visible 89.160.20.115) Tj ET"),
        stream("/Filter /FlateDecode", deflated_gib()),
    ])
}

/// A PDF whose page tree contains itself; its one page names `216.160.83.60`.
pub fn pdf_page_tree_loop() -> Vec<u8> {
    pdf(&[
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", b"BT /F1 12 Tf 72 700 Td (looped 216.160.83.60) Tj ET"),
    ])
}

/// A DOCX whose body names `81.2.69.142`, then opens `levels` elements without closing them.
pub fn deep_docx(levels: usize) -> Vec<u8> {
    let mut xml = String::from(
        r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>top 81.2.69.142</w:t></w:r></w:p>"#,
    );
    for _ in 0..levels {
        xml.push_str("<w:sdt>");
    }
    let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
    z.start_file("[Content_Types].xml", SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"<Types/>").unwrap();
    z.start_file("word/document.xml", SimpleFileOptions::default())
        .unwrap();
    z.write_all(xml.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}
