//! AES in the four Web Crypto modes: GCM, CBC, CTR and KW (RFC 3394).

use super::Failure;
use aes::cipher::consts::U16;
use aes::cipher::{BlockEncrypt, BlockSizeUser, KeyInit};
use aes::{Aes128, Aes192, Aes256};

/// Runs `$body` with `$c` the AES cipher type for the key's length.
macro_rules! with_aes {
    ($key:expr, $c:ident => $body:expr) => {
        match $key.len() {
            16 => {
                type $c = Aes128;
                $body
            }
            24 => {
                type $c = Aes192;
                $body
            }
            32 => {
                type $c = Aes256;
                $body
            }
            n => Err(Failure::operation(format!(
                "AES keys must be 128, 192 or 256 bits, got {}",
                n * 8
            ))),
        }
    };
}

/// Web Crypto's AES-GCM: any iv length (96 bits is the common case) and a tag
/// of 32 to 128 bits. The `aes-gcm` crate fixes both sizes at compile time,
/// so GCM is assembled here from its maintained parts, AES and GHASH
/// (NIST SP 800-38D §7).
pub(crate) fn gcm(
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    aad: &[u8],
    tag_bits: usize,
) -> Result<Vec<u8>, Failure> {
    if ![32, 64, 96, 104, 112, 120, 128].contains(&tag_bits) {
        return Err(Failure::operation(format!(
            "AES-GCM tagLength {tag_bits} is not one of 32, 64, 96, 104, 112, 120, 128"
        )));
    }
    if iv.is_empty() {
        return Err(Failure::operation("AES-GCM iv must not be empty"));
    }
    let tag_len = tag_bits / 8;
    with_aes!(key, C => {
        let cipher = C::new_from_slice(key).expect("length checked");
        gcm_with(&cipher, encrypt, iv, data, aad, tag_len)
    })
}

fn gcm_with<C: BlockEncrypt + BlockSizeUser<BlockSize = U16>>(
    cipher: &C,
    encrypt: bool,
    iv: &[u8],
    data: &[u8],
    aad: &[u8],
    tag_len: usize,
) -> Result<Vec<u8>, Failure> {
    use ghash::universal_hash::{KeyInit as _, UniversalHash};
    use subtle::ConstantTimeEq;
    let block = |input: u128| {
        let mut b = input.to_be_bytes().into();
        cipher.encrypt_block(&mut b);
        u128::from_be_bytes(b.into())
    };
    let h = block(0).to_be_bytes();
    let ghash = |parts: &[&[u8]]| {
        let mut g = ghash::GHash::new(&h.into());
        for part in parts {
            g.update_padded(part);
        }
        u128::from_be_bytes(g.finalize().into())
    };
    let bits = |n: usize| (n as u64).wrapping_mul(8);
    let j0 = if iv.len() == 12 {
        let mut j = [0u8; 16];
        j[..12].copy_from_slice(iv);
        j[15] = 1;
        u128::from_be_bytes(j)
    } else {
        let lengths = (bits(iv.len()) as u128).to_be_bytes();
        ghash(&[iv, &lengths])
    };
    // GCTR: the counter is the low 32 bits of the block and wraps.
    let gctr = |input: &[u8]| {
        let mut out = Vec::with_capacity(input.len());
        let mut counter = j0;
        for chunk in input.chunks(16) {
            counter = (counter & !0xffff_ffffu128) | ((counter as u32).wrapping_add(1) as u128);
            let ks = block(counter).to_be_bytes();
            out.extend(chunk.iter().zip(ks).map(|(a, b)| a ^ b));
        }
        out
    };
    let tag = |ciphertext: &[u8]| {
        let lengths =
            (((bits(aad.len()) as u128) << 64) | bits(ciphertext.len()) as u128).to_be_bytes();
        let s = ghash(&[aad, ciphertext, &lengths]);
        (block(j0) ^ s).to_be_bytes()
    };
    if encrypt {
        let mut out = gctr(data);
        let t = tag(&out);
        out.extend_from_slice(&t[..tag_len]);
        Ok(out)
    } else {
        if data.len() < tag_len {
            return Err(Failure::operation(
                "AES-GCM ciphertext is shorter than its tag",
            ));
        }
        let (ciphertext, received) = data.split_at(data.len() - tag_len);
        let expected = tag(ciphertext);
        if !bool::from(expected[..tag_len].ct_eq(received)) {
            return Err(Failure::operation("AES-GCM authentication failed"));
        }
        Ok(gctr(ciphertext))
    }
}

/// AES-CBC with PKCS #7 padding.
pub(crate) fn cbc(encrypt: bool, key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, Failure> {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
    if iv.len() != 16 {
        return Err(Failure::operation("AES-CBC iv must be 16 bytes"));
    }
    with_aes!(key, C => {
        if encrypt {
            Ok(cbc::Encryptor::<C>::new_from_slices(key, iv)
                .expect("lengths checked")
                .encrypt_padded_vec_mut::<Pkcs7>(data))
        } else {
            cbc::Decryptor::<C>::new_from_slices(key, iv)
                .expect("lengths checked")
                .decrypt_padded_vec_mut::<Pkcs7>(data)
                .map_err(|_| Failure::operation("AES-CBC decryption failed (bad padding or length)"))
        }
    })
}

/// AES-CTR where the rightmost `length` bits of `counter` are the counter
/// (any width from 1 to 128, which the `ctr` crate's fixed flavours cannot
/// express). Wrapping around to a counter block already used is an error.
pub(crate) fn ctr(
    key: &[u8],
    counter: &[u8],
    length: u32,
    data: &[u8],
) -> Result<Vec<u8>, Failure> {
    let counter: [u8; 16] = counter
        .try_into()
        .map_err(|_| Failure::operation("AES-CTR counter must be 16 bytes"))?;
    if !(1..=128).contains(&length) {
        return Err(Failure::operation(
            "AES-CTR length must be between 1 and 128",
        ));
    }
    let blocks = data.len().div_ceil(16) as u128;
    if length < 128 && blocks > 1u128 << length {
        return Err(Failure::operation(
            "AES-CTR input is too long for the counter length",
        ));
    }
    let mask = if length == 128 {
        u128::MAX
    } else {
        (1u128 << length) - 1
    };
    let start = u128::from_be_bytes(counter);
    with_aes!(key, C => {
        let cipher = C::new_from_slice(key).expect("length checked");
        let mut out = Vec::with_capacity(data.len());
        for (i, chunk) in data.chunks(16).enumerate() {
            let value = (start & !mask) | (start.wrapping_add(i as u128) & mask);
            let mut b = value.to_be_bytes().into();
            cipher.encrypt_block(&mut b);
            out.extend(chunk.iter().zip(b).map(|(a, k)| a ^ k));
        }
        Ok(out)
    })
}

/// AES Key Wrap (RFC 3394), without padding as Web Crypto specifies.
pub(crate) fn kw(wrap: bool, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Failure> {
    with_aes!(key, C => {
        let kek = aes_kw::Kek::<C>::try_from(key).expect("length checked");
        if wrap {
            if !data.len().is_multiple_of(8) || data.len() < 16 {
                return Err(Failure::operation(
                    "AES-KW wraps data of at least 16 bytes, in multiples of 8",
                ));
            }
            kek.wrap_vec(data).map_err(|e| Failure::operation(format!("AES-KW wrap failed: {e}")))
        } else {
            kek.unwrap_vec(data).map_err(|_| Failure::operation("AES-KW unwrap failed"))
        }
    })
}
