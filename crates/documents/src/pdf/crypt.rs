//! The PDF standard security handler, for files that open without a password (an empty user
//! password — common in generated reports): RC4 40–128 bit (R2–R4), AES-128 (AESV2) and
//! AES-256 (AESV3, R5/R6). Any other case is reported as `document_encrypted`.

use super::lexer::{Dict, Obj};
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use md5::{Digest, Md5};
use sha2::{Sha256, Sha384, Sha512};

const PAD: [u8; 32] = [
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A,
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Identity,
    Rc4,
    Aes128,
    Aes256,
}

/// Decryption state of one document.
pub(crate) struct Crypt {
    key: Vec<u8>,
    strings: Method,
    streams: Method,
    /// Whether the XMP metadata stream is encrypted.
    pub(crate) encrypt_metadata: bool,
}

fn rc4(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut s: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut j = 0u8;
    for i in 0..256 {
        j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
        s.swap(i, j as usize);
    }
    let (mut i, mut j) = (0u8, 0u8);
    data.iter()
        .map(|&b| {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[i as usize]);
            s.swap(i as usize, j as usize);
            b ^ s[s[i as usize].wrapping_add(s[j as usize]) as usize]
        })
        .collect()
}

fn aes_cbc_decrypt(key: &[u8], data: &[u8]) -> Vec<u8> {
    if data.len() < 32 || !data.len().is_multiple_of(16) {
        return Vec::new();
    }
    let (iv, body) = data.split_at(16);
    let mut buf = body.to_vec();
    let out = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .ok()
            .and_then(|d| {
                d.decrypt_padded_mut::<NoPadding>(&mut buf)
                    .ok()
                    .map(<[u8]>::to_vec)
            }),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .ok()
            .and_then(|d| {
                d.decrypt_padded_mut::<NoPadding>(&mut buf)
                    .ok()
                    .map(<[u8]>::to_vec)
            }),
        _ => None,
    };
    let mut out = out.unwrap_or_default();
    // PKCS#7 padding.
    if let Some(&p) = out.last() {
        if (1..=16).contains(&p) && out.len() >= p as usize {
            out.truncate(out.len() - p as usize);
        }
    }
    out
}

fn method_of(enc: &Dict, filter_key: &[u8], v: i64) -> Method {
    if v < 4 {
        return Method::Rc4;
    }
    let name = enc.name(filter_key).unwrap_or(b"Identity");
    if name == b"Identity" {
        return Method::Identity;
    }
    let cf = enc
        .get(b"CF")
        .and_then(Obj::as_dict)
        .and_then(|cf| cf.get(name))
        .and_then(Obj::as_dict);
    match cf.and_then(|d| d.name(b"CFM")) {
        Some(b"V2") => Method::Rc4,
        Some(b"AESV2") => Method::Aes128,
        Some(b"AESV3") => Method::Aes256,
        Some(b"None") => Method::Identity,
        _ if v >= 5 => Method::Aes256,
        _ => Method::Rc4,
    }
}

/// Algorithm 2.B of ISO 32000-2 (R6 hash), for the empty password.
fn hash_r6(password: &[u8], salt: &[u8], udata: &[u8]) -> [u8; 32] {
    let mut k: Vec<u8> = Sha256::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(udata)
        .finalize()
        .to_vec();
    let mut round = 0usize;
    loop {
        let mut k1 = Vec::with_capacity(64 * (password.len() + k.len() + udata.len()));
        for _ in 0..64 {
            k1.extend_from_slice(password);
            k1.extend_from_slice(&k);
            k1.extend_from_slice(udata);
        }
        let Ok(enc) = cbc::Encryptor::<aes::Aes128>::new_from_slices(&k[..16], &k[16..32]) else {
            break;
        };
        let len = k1.len();
        let e = enc
            .encrypt_padded_mut::<NoPadding>(&mut k1, len)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        if e.len() < 16 {
            break;
        }
        let sum: u32 = e[..16].iter().map(|&b| b as u32).sum();
        k = match sum % 3 {
            0 => Sha256::digest(&e).to_vec(),
            1 => Sha384::digest(&e).to_vec(),
            _ => Sha512::digest(&e).to_vec(),
        };
        round += 1;
        if round >= 64 && (*e.last().unwrap_or(&0) as usize) <= round - 32 {
            break;
        }
        if round > 2000 {
            break;
        }
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&k[..32]);
    out
}

impl Crypt {
    /// Opens the security handler with the empty user password. Err: why it cannot be opened.
    pub(crate) fn open(enc: &Dict, id0: &[u8]) -> Result<Crypt, String> {
        if enc.name(b"Filter").unwrap_or(b"Standard") != b"Standard" {
            return Err(format!(
                "security handler {} is not supported",
                String::from_utf8_lossy(enc.name(b"Filter").unwrap_or(b"?"))
            ));
        }
        let v = enc.int(b"V").unwrap_or(0);
        let r = enc.int(b"R").unwrap_or(2);
        let o = enc.get(b"O").and_then(Obj::as_str).unwrap_or(&[]).to_vec();
        let u = enc.get(b"U").and_then(Obj::as_str).unwrap_or(&[]).to_vec();
        let p = enc.int(b"P").unwrap_or(0) as i32;
        let encrypt_metadata = !matches!(enc.get(b"EncryptMetadata"), Some(Obj::Bool(false)));
        let strings = method_of(enc, b"StrF", v);
        let streams = method_of(enc, b"StmF", v);
        let key = if r >= 5 {
            if u.len() < 48 {
                return Err("malformed /U entry".into());
            }
            let ue = enc.get(b"UE").and_then(Obj::as_str).unwrap_or(&[]).to_vec();
            let (check, ikey) = if r == 5 {
                (
                    Sha256::new().chain_update(&u[32..40]).finalize().to_vec(),
                    Sha256::new().chain_update(&u[40..48]).finalize().to_vec(),
                )
            } else {
                (
                    hash_r6(b"", &u[32..40], &[]).to_vec(),
                    hash_r6(b"", &u[40..48], &[]).to_vec(),
                )
            };
            if check[..] != u[..32] {
                return Err("a user password is required".into());
            }
            if ue.len() < 32 {
                return Err("malformed /UE entry".into());
            }
            let mut buf = ue[..32].to_vec();
            let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(&ikey, &[0u8; 16])
                .map_err(|_| "bad key".to_string())?;
            dec.decrypt_padded_mut::<NoPadding>(&mut buf)
                .map_err(|_| "bad /UE".to_string())?;
            buf
        } else {
            let n = if r == 2 {
                5
            } else {
                (enc.int(b"Length").unwrap_or(40).clamp(40, 128) / 8) as usize
            };
            let mut h = Md5::new();
            h.update(PAD);
            h.update(&o[..o.len().min(32)]);
            h.update(p.to_le_bytes());
            h.update(id0);
            if r >= 4 && !encrypt_metadata {
                h.update([0xff; 4]);
            }
            let mut key = h.finalize().to_vec();
            if r >= 3 {
                for _ in 0..50 {
                    key = Md5::digest(&key[..n]).to_vec();
                }
            }
            key.truncate(n);
            // Check the empty user password.
            let ok = if r == 2 {
                rc4(&key, &PAD)[..] == u[..u.len().min(32)]
            } else {
                let mut x = Md5::new()
                    .chain_update(PAD)
                    .chain_update(id0)
                    .finalize()
                    .to_vec();
                for i in 0..20u8 {
                    let k: Vec<u8> = key.iter().map(|&b| b ^ i).collect();
                    x = rc4(&k, &x);
                }
                u.len() >= 16 && x[..16] == u[..16]
            };
            if !ok {
                return Err("a user password is required".into());
            }
            key
        };
        Ok(Crypt {
            key,
            strings,
            streams,
            encrypt_metadata,
        })
    }

    /// Decrypts a string (`stream` false) or stream data of object `id`.
    pub(crate) fn decrypt(&self, data: &[u8], id: (u32, u16), stream: bool) -> Vec<u8> {
        let method = if stream { self.streams } else { self.strings };
        match method {
            Method::Identity => data.to_vec(),
            Method::Aes256 => aes_cbc_decrypt(&self.key, data),
            Method::Rc4 | Method::Aes128 => {
                let mut h = Md5::new();
                h.update(&self.key);
                h.update(&id.0.to_le_bytes()[..3]);
                h.update(id.1.to_le_bytes());
                if method == Method::Aes128 {
                    h.update(b"sAlT");
                }
                let k = h.finalize();
                let k = &k[..(self.key.len() + 5).min(16)];
                if method == Method::Rc4 {
                    rc4(k, data)
                } else {
                    aes_cbc_decrypt(k, data)
                }
            }
        }
    }
}
