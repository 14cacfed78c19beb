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

/// A POSIX tar of the given regular files (ustar headers, mode 644, dated 0).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// `data`, bzip2-compressed (one stream).
pub fn bzip2_of(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data`, zstd-compressed (one frame).
pub fn zstd_of(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

/// `data` as an xz file whose LZMA2 chunks are stored, not compressed: a valid `.xz`, as
/// `xz -d` reads it, written without an xz encoder (this crate only decodes xz). One stream of
/// one block, CRC32 checks.
pub fn xz_stored(data: &[u8]) -> Vec<u8> {
    xz_stored_declaring(8, data)
}

/// [`xz_stored`] whose block declares the LZMA2 dictionary `dict` (the property byte of the
/// xz format: 8 is 64 KiB, 28 is 64 MiB as `xz -9` writes, 38 is 2 GiB).
pub fn xz_stored_declaring(dict: u8, data: &[u8]) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> [u8; 4] {
        let mut h = flate2::Crc::new();
        h.update(bytes);
        h.sum().to_le_bytes()
    }
    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push(n as u8 | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let flags = [0, 1]; // check type 1: CRC32
    let mut out = vec![0xFD, b'7', b'z', b'X', b'Z', 0];
    out.extend_from_slice(&flags);
    out.extend_from_slice(&crc(&flags));
    // Block header, 12 bytes: its size / 4 - 1, no optional sizes and one filter, the LZMA2
    // filter (0x21) with one property byte (the dictionary), padding, CRC32.
    let header = [2, 0, 0x21, 1, dict, 0, 0, 0];
    out.extend_from_slice(&header);
    out.extend_from_slice(&crc(&header));
    let block_start = out.len() - 12;
    for (i, chunk) in data.chunks(64 << 10).enumerate() {
        // An uncompressed chunk: 1 resets the dictionary (the first), 2 does not.
        out.push(if i == 0 { 1 } else { 2 });
        out.extend_from_slice(&((chunk.len() - 1) as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out.push(0); // end of the LZMA2 data
    let unpadded = (out.len() - block_start + 4) as u64;
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&crc(data));
    let mut index = vec![0];
    varint(1, &mut index);
    varint(unpadded, &mut index);
    varint(data.len() as u64, &mut index);
    while index.len() % 4 != 0 {
        index.push(0);
    }
    let index_crc = crc(&index);
    index.extend_from_slice(&index_crc);
    out.extend_from_slice(&index);
    let mut footer = ((index.len() / 4 - 1) as u32).to_le_bytes().to_vec();
    footer.extend_from_slice(&flags);
    out.extend_from_slice(&crc(&footer));
    out.extend_from_slice(&footer);
    out.extend_from_slice(b"YZ");
    out
}

/// One MiB of zeros as `head -c 1M /dev/zero | xz -6 --check=crc32` writes it (280 bytes).
const XZ_MIB_OF_ZEROS: &str = concat!(
    "fd377a585a0000016922de360200210116000000742fe5a3efffff00d95d",
    "00006ffdffffa3b7ff473e481572396151b89228e6a38607f9eee41e82d3",
    "2fc53a3c014bb17ec98a8a4d2fa30dd97fa6e38c231153e05918c5758ae2",
    "77f8b6947f0c6ac0de744964e2e95c53b204d8f7440cab5f0d6d46e9e5c3",
    "7688b79657acb64de1691d6ffb4b88106c42cb883f5c008fd04eaf262894",
    "711f3d8f24e1709ea7235fec28cb85d195988a7e2a91f22775f719c00698",
    "4d98fdd8afd5900fc42553f8f591363105a5b0ee6fc1704d470cd19111aa",
    "ad601dbaceb127185c5986e9665258bee976ac59e4e55b0508f9c7daadfc",
    "fb522af7e4952500000000001cea38a70001f101808040006fd5eedc3e30",
    "0d8b020000000001595a",
);

/// A compressed file of `format` (xz, bzip2 or zstd) that inflates to `mib` MiB of zeros:
/// `mib` streams (frames), each of one MiB, one after another, as `cat a.xz b.xz` writes them
/// and as every decoder of the format reads them.
pub fn stream_bomb(format: crate::Format, mib: usize) -> Vec<u8> {
    let one = match format {
        crate::Format::Xz => (0..XZ_MIB_OF_ZEROS.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&XZ_MIB_OF_ZEROS[i..i + 2], 16).unwrap())
            .collect(),
        crate::Format::Bzip2 => bzip2_of(&vec![0; 1 << 20]),
        crate::Format::Zstd => zstd_of(&vec![0; 1 << 20]),
        f => panic!("no stream bomb of {f:?}"),
    };
    one.repeat(mib)
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
