//! Web Crypto primitives: random values, digests, HMAC, AES-GCM and
//! signature verification (ECDSA P-256, Ed25519), on RustCrypto crates.
//!
//! `crypto.subtle`'s key objects and algorithm normalisation are JavaScript
//! (`crypto.js`); these natives only do the arithmetic on raw bytes.

use crate::host::bytes::{new_array_buffer, new_u8, require_bytes};
use aes_gcm::aead::{Aead, Payload};
use hmac::{Mac, SimpleHmac};
use rand::RngCore;
use rquickjs::{Ctx, Exception, Function, Object, TypedArray, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Largest `getRandomValues` request the Web Crypto spec allows.
const MAX_RANDOM_BYTES: usize = 65_536;

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set("randomBytes", Function::new(ctx.clone(), random_bytes)?)?;
    native.set("randomUUID", Function::new(ctx.clone(), random_uuid)?)?;
    native.set("digest", Function::new(ctx.clone(), js_digest)?)?;
    native.set("hmac", Function::new(ctx.clone(), js_hmac)?)?;
    native.set("pbkdf2", Function::new(ctx.clone(), js_pbkdf2)?)?;
    native.set("aesGcm", Function::new(ctx.clone(), js_aes_gcm)?)?;
    native.set("verify", Function::new(ctx.clone(), js_verify)?)?;
    native.set("fillRandom", Function::new(ctx.clone(), fill_random)?)?;
    Ok(())
}

fn random_bytes<'js>(ctx: Ctx<'js>, len: usize) -> rquickjs::Result<Value<'js>> {
    if len > MAX_RANDOM_BYTES {
        return Err(quota(&ctx, len));
    }
    let mut buf = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut buf);
    new_u8(&ctx, buf)
}

fn quota(ctx: &Ctx<'_>, len: usize) -> rquickjs::Error {
    Exception::throw_message(
        ctx,
        &format!(
            "QuotaExceededError: getRandomValues length {len} exceeds {MAX_RANDOM_BYTES} bytes"
        ),
    )
}

fn random_uuid() -> String {
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn js_digest<'js>(ctx: Ctx<'js>, alg: String, data: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let data = require_bytes(&ctx, &data, "data")?;
    let out = digest(&alg, &data).ok_or_else(|| unsupported(&ctx, &alg))?;
    new_array_buffer(&ctx, out)
}

fn js_hmac<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let out = hmac(&hash, &key, &data).ok_or_else(|| unsupported(&ctx, &hash))?;
    new_array_buffer(&ctx, out)
}

fn js_aes_gcm<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    key: Value<'js>,
    iv: Value<'js>,
    data: Value<'js>,
    aad: Value<'js>,
    tag_bits: usize,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let iv = require_bytes(&ctx, &iv, "iv")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let aad = if aad.is_undefined() || aad.is_null() {
        Vec::new()
    } else {
        require_bytes(&ctx, &aad, "additionalData")?
    };
    if tag_bits != 128 {
        return Err(Exception::throw_message(
            &ctx,
            "NotSupportedError: AES-GCM tagLength other than 128 is not supported",
        ));
    }
    if iv.len() != 12 {
        return Err(Exception::throw_message(
            &ctx,
            "NotSupportedError: AES-GCM iv must be 12 bytes (96 bits)",
        ));
    }
    let out = aes_gcm_run(encrypt, &key, &iv, &data, &aad)
        .map_err(|e| Exception::throw_message(&ctx, &format!("OperationError: {e}")))?;
    new_array_buffer(&ctx, out)
}

fn js_verify<'js>(
    ctx: Ctx<'js>,
    alg: String,
    hash: String,
    key: Value<'js>,
    sig: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<bool> {
    let key = require_bytes(&ctx, &key, "key")?;
    let sig = require_bytes(&ctx, &sig, "signature")?;
    let data = require_bytes(&ctx, &data, "data")?;
    verify(&alg, &hash, &key, &sig, &data)
        .map_err(|e| Exception::throw_message(&ctx, &format!("DataError: {e}")))
}

fn fill_random<'js>(ctx: Ctx<'js>, view: TypedArray<'js, u8>) -> rquickjs::Result<()> {
    let raw = view
        .as_raw()
        .ok_or_else(|| Exception::throw_type(&ctx, "getRandomValues: detached buffer"))?;
    if raw.len() > MAX_RANDOM_BYTES {
        return Err(quota(&ctx, raw.len()));
    }
    // Filled in place while no JavaScript runs.
    rand::thread_rng().fill_bytes(unsafe { &mut *raw.as_ptr() });
    Ok(())
}

fn unsupported(ctx: &Ctx<'_>, alg: &str) -> rquickjs::Error {
    Exception::throw_message(
        ctx,
        &format!("NotSupportedError: unrecognized algorithm {alg}"),
    )
}

fn digest(alg: &str, data: &[u8]) -> Option<Vec<u8>> {
    Some(match alg.to_ascii_uppercase().as_str() {
        "SHA-1" => Sha1::digest(data).to_vec(),
        "SHA-256" => Sha256::digest(data).to_vec(),
        "SHA-384" => Sha384::digest(data).to_vec(),
        "SHA-512" => Sha512::digest(data).to_vec(),
        _ => return None,
    })
}

fn hmac(hash: &str, key: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    fn run<D: Digest + hmac::digest::core_api::BlockSizeUser>(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = SimpleHmac::<D>::new_from_slice(key).expect("HMAC accepts any key length");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }
    Some(match hash.to_ascii_uppercase().as_str() {
        "SHA-1" => run::<Sha1>(key, data),
        "SHA-256" => run::<Sha256>(key, data),
        "SHA-384" => run::<Sha384>(key, data),
        "SHA-512" => run::<Sha512>(key, data),
        _ => return None,
    })
}

/// PBKDF2 (RFC 8018) with HMAC-`hash`: `len` bytes derived from `password`.
fn pbkdf2(
    hash: &str,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    len: usize,
) -> Option<Vec<u8>> {
    fn run<D: Digest + hmac::digest::core_api::BlockSizeUser + Clone>(
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        len: usize,
    ) -> Vec<u8> {
        let keyed = SimpleHmac::<D>::new_from_slice(password).expect("HMAC accepts any key length");
        let mut out = Vec::with_capacity(len);
        let mut block = 1u32;
        while out.len() < len {
            let mut mac = keyed.clone();
            mac.update(salt);
            mac.update(&block.to_be_bytes());
            let mut u = mac.finalize().into_bytes().to_vec();
            let mut t = u.clone();
            for _ in 1..iterations {
                let mut mac = keyed.clone();
                mac.update(&u);
                u = mac.finalize().into_bytes().to_vec();
                for (a, b) in t.iter_mut().zip(&u) {
                    *a ^= b;
                }
            }
            out.extend_from_slice(&t);
            block += 1;
        }
        out.truncate(len);
        out
    }
    Some(match hash.to_ascii_uppercase().as_str() {
        "SHA-1" => run::<Sha1>(password, salt, iterations, len),
        "SHA-256" => run::<Sha256>(password, salt, iterations, len),
        "SHA-384" => run::<Sha384>(password, salt, iterations, len),
        "SHA-512" => run::<Sha512>(password, salt, iterations, len),
        _ => return None,
    })
}

fn js_pbkdf2<'js>(
    ctx: Ctx<'js>,
    hash: String,
    password: Value<'js>,
    salt: Value<'js>,
    iterations: u32,
    len: usize,
) -> rquickjs::Result<Value<'js>> {
    let password = require_bytes(&ctx, &password, "password")?;
    let salt = require_bytes(&ctx, &salt, "salt")?;
    if iterations == 0 {
        return Err(Exception::throw_message(
            &ctx,
            "OperationError: PBKDF2 iterations must be at least 1",
        ));
    }
    let out =
        pbkdf2(&hash, &password, &salt, iterations, len).ok_or_else(|| unsupported(&ctx, &hash))?;
    new_array_buffer(&ctx, out)
}

fn aes_gcm_run(
    encrypt: bool,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, String> {
    use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit, Nonce};
    #[allow(deprecated)] // aes-gcm 0.10's API; 0.11 moves to generic-array 1.x
    let nonce = Nonce::from_slice(iv);
    let payload = Payload { msg: data, aad };
    let result = match key.len() {
        16 => {
            let c = Aes128Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
            if encrypt {
                c.encrypt(nonce, payload)
            } else {
                c.decrypt(nonce, payload)
            }
        }
        32 => {
            let c = Aes256Gcm::new_from_slice(key).map_err(|e| e.to_string())?;
            if encrypt {
                c.encrypt(nonce, payload)
            } else {
                c.decrypt(nonce, payload)
            }
        }
        n => {
            return Err(format!(
                "AES-GCM key must be 128 or 256 bits, got {}",
                n * 8
            ))
        }
    };
    result.map_err(|_| "The operation failed for an operation-specific reason".to_string())
}

fn verify(alg: &str, hash: &str, key: &[u8], sig: &[u8], data: &[u8]) -> Result<bool, String> {
    match alg {
        "ECDSA" => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier;
            use p256::ecdsa::{Signature, VerifyingKey};
            use p256::pkcs8::DecodePublicKey;
            let key = VerifyingKey::from_sec1_bytes(key)
                .or_else(|_| VerifyingKey::from_public_key_der(key))
                .map_err(|_| "invalid P-256 public key".to_string())?;
            let Ok(sig) = Signature::from_slice(sig) else {
                return Ok(false);
            };
            let prehash = digest(hash, data).ok_or_else(|| format!("unsupported hash {hash}"))?;
            Ok(key.verify_prehash(&prehash, &sig).is_ok())
        }
        "Ed25519" => {
            use ed25519_dalek::{Signature, Verifier, VerifyingKey};
            let bytes: [u8; 32] = key
                .get(key.len().saturating_sub(32)..)
                .and_then(|k| k.try_into().ok())
                .ok_or("invalid Ed25519 public key")?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())?;
            let Ok(sig) = Signature::from_slice(sig) else {
                return Ok(false);
            };
            Ok(key.verify(data, &sig).is_ok())
        }
        other => Err(format!("unsupported verify algorithm {other}")),
    }
}
