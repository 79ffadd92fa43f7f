//! RSA: RSASSA-PKCS1-v1_5 and RSA-PSS signatures, RSA-OAEP encryption and
//! key generation, on the `rsa` crate. Keys are kept as SPKI (public) and
//! PKCS #8 (private) DER.

use super::{digest, Failure};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Oaep, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey};

/// What a key's `algorithm` reports besides its name.
pub(crate) struct Shape {
    pub(crate) modulus_bits: usize,
    pub(crate) exponent: Vec<u8>,
}

fn shape(key: &RsaPublicKey) -> Shape {
    Shape {
        modulus_bits: key.n().bits(),
        exponent: key.e().to_bytes_be(),
    }
}

fn public(der: &[u8]) -> Result<RsaPublicKey, Failure> {
    RsaPublicKey::from_public_key_der(der)
        .map_err(|e| Failure::data(format!("invalid RSA public key (SPKI): {e}")))
}

fn private(der: &[u8]) -> Result<RsaPrivateKey, Failure> {
    RsaPrivateKey::from_pkcs8_der(der)
        .map_err(|e| Failure::data(format!("invalid RSA private key (PKCS #8): {e}")))
}

fn encode_failure<E: std::fmt::Display>(e: E) -> Failure {
    Failure::operation(format!("DER encoding failed: {e}"))
}

/// Checked SPKI DER and the key's shape.
pub(crate) fn import_spki(der: &[u8]) -> Result<(Vec<u8>, Shape), Failure> {
    let key = public(der)?;
    let der = key.to_public_key_der().map_err(encode_failure)?.into_vec();
    Ok((der, shape(&key)))
}

/// Checked PKCS #8 DER and the key's shape.
pub(crate) fn import_pkcs8(der: &[u8]) -> Result<(Vec<u8>, Shape), Failure> {
    let key = private(der)?;
    let der = key
        .to_pkcs8_der()
        .map_err(encode_failure)?
        .as_bytes()
        .to_vec();
    Ok((der, shape(key.as_ref())))
}

/// The members of an RSA JWK (RFC 7518 §6.3), base64url-decoded.
#[derive(Default)]
pub(crate) struct Jwk {
    pub(crate) n: Vec<u8>,
    pub(crate) e: Vec<u8>,
    pub(crate) d: Option<Vec<u8>>,
    pub(crate) p: Option<Vec<u8>>,
    pub(crate) q: Option<Vec<u8>>,
}

/// SPKI or (when `d` is present) PKCS #8 DER from a JWK, with the key's shape.
pub(crate) fn import_jwk(jwk: &Jwk) -> Result<(Vec<u8>, Shape), Failure> {
    let n = BigUint::from_bytes_be(&jwk.n);
    let e = BigUint::from_bytes_be(&jwk.e);
    let Some(d) = &jwk.d else {
        let key = RsaPublicKey::new(n, e)
            .map_err(|err| Failure::data(format!("invalid RSA JWK: {err}")))?;
        let der = key.to_public_key_der().map_err(encode_failure)?.into_vec();
        return Ok((der, shape(&key)));
    };
    let primes = match (&jwk.p, &jwk.q) {
        (Some(p), Some(q)) => vec![BigUint::from_bytes_be(p), BigUint::from_bytes_be(q)],
        _ => Vec::new(),
    };
    let key = RsaPrivateKey::from_components(n, e, BigUint::from_bytes_be(d), primes)
        .map_err(|err| Failure::data(format!("invalid RSA JWK: {err}")))?;
    let der = key
        .to_pkcs8_der()
        .map_err(encode_failure)?
        .as_bytes()
        .to_vec();
    Ok((der, shape(key.as_ref())))
}

/// A key's JWK members, big-endian: n and e, then d, p, q, dp, dq, qi for a
/// private key.
pub(crate) fn export_jwk(
    der: &[u8],
    is_private: bool,
) -> Result<Vec<(&'static str, Vec<u8>)>, Failure> {
    if !is_private {
        let key = public(der)?;
        return Ok(vec![
            ("n", key.n().to_bytes_be()),
            ("e", key.e().to_bytes_be()),
        ]);
    }
    let mut key = private(der)?;
    key.precompute()
        .map_err(|e| Failure::operation(format!("RSA key precomputation failed: {e}")))?;
    let [p, q] = key.primes() else {
        return Err(Failure::not_supported(
            "multi-prime RSA keys cannot be exported as JWK",
        ));
    };
    let missing = || Failure::operation("RSA CRT parameters are missing");
    let dp = key.dp().ok_or_else(missing)?.to_bytes_be();
    let dq = key.dq().ok_or_else(missing)?.to_bytes_be();
    let qi = key.crt_coefficient().ok_or_else(missing)?.to_bytes_be();
    Ok(vec![
        ("n", key.n().to_bytes_be()),
        ("e", key.e().to_bytes_be()),
        ("d", key.d().to_bytes_be()),
        ("p", p.to_bytes_be()),
        ("q", q.to_bytes_be()),
        ("dp", dp),
        ("dq", dq),
        ("qi", qi),
    ])
}

/// The SPKI DER of a private key's public half.
pub(crate) fn public_of(pkcs8: &[u8]) -> Result<Vec<u8>, Failure> {
    let key = private(pkcs8)?;
    Ok(key
        .to_public_key()
        .to_public_key_der()
        .map_err(encode_failure)?
        .into_vec())
}

/// A fresh key pair as (PKCS #8, SPKI) DER. Generation runs on the isolate's
/// thread and counts against the CPU limit like any other synchronous work.
pub(crate) fn generate(bits: usize, exponent: &[u8]) -> Result<(Vec<u8>, Vec<u8>, Shape), Failure> {
    // Chromium's and Cloudflare's bounds, and the 4096-bit ceiling of the
    // `rsa` crate's public keys.
    if !bits.is_multiple_of(8) || !(256..=4096).contains(&bits) {
        return Err(Failure::operation(format!(
            "modulusLength must be a multiple of 8 between 256 and 4096 in hearth, got {bits}"
        )));
    }
    let e = BigUint::from_bytes_be(exponent);
    if e != BigUint::from(3u32) && e != BigUint::from(65537u32) {
        return Err(Failure::operation("publicExponent must be 3 or 65537"));
    }
    let key = RsaPrivateKey::new_with_exp(&mut rand::thread_rng(), bits, &e)
        .map_err(|err| Failure::operation(format!("RSA key generation failed: {err}")))?;
    let private = key
        .to_pkcs8_der()
        .map_err(encode_failure)?
        .as_bytes()
        .to_vec();
    let public = key
        .to_public_key()
        .to_public_key_der()
        .map_err(encode_failure)?
        .into_vec();
    Ok((private, public, shape(key.as_ref())))
}

/// RSASSA-PKCS1-v1_5 (`salt_len` None) or RSA-PSS signature.
pub(crate) fn sign(
    hash: &str,
    pkcs8: &[u8],
    data: &[u8],
    salt_len: Option<usize>,
) -> Result<Vec<u8>, Failure> {
    let key = private(pkcs8)?;
    let hashed = digest(hash, data)?;
    let rng = &mut rand::thread_rng();
    let result = with_hash!(hash, D => Ok(match salt_len {
        None => key.sign_with_rng(rng, Pkcs1v15Sign::new::<D>(), &hashed),
        Some(salt) => key.sign_with_rng(rng, Pss::new_with_salt::<D>(salt), &hashed),
    }))?;
    result.map_err(|e| Failure::operation(format!("RSA signing failed: {e}")))
}

pub(crate) fn verify(
    hash: &str,
    spki: &[u8],
    sig: &[u8],
    data: &[u8],
    salt_len: Option<usize>,
) -> Result<bool, Failure> {
    let key = public(spki)?;
    let hashed = digest(hash, data)?;
    with_hash!(hash, D => Ok(match salt_len {
        None => key.verify(Pkcs1v15Sign::new::<D>(), &hashed, sig).is_ok(),
        Some(salt) => key.verify(Pss::new_with_salt::<D>(salt), &hashed, sig).is_ok(),
    }))
}

/// RSA-OAEP with MGF1 over `hash`. The `rsa` crate takes the label as a
/// string, so labels that are not UTF-8 are refused.
pub(crate) fn oaep(
    encrypt: bool,
    hash: &str,
    der: &[u8],
    data: &[u8],
    label: &[u8],
) -> Result<Vec<u8>, Failure> {
    let label = std::str::from_utf8(label)
        .map_err(|_| Failure::not_supported("RSA-OAEP labels must be UTF-8 text in hearth"))?;
    let padding = with_hash!(hash, D => Ok(if label.is_empty() {
        Oaep::new::<D>()
    } else {
        Oaep::new_with_label::<D, _>(label)
    }))?;
    let rng = &mut rand::thread_rng();
    if encrypt {
        public(der)?
            .encrypt(rng, padding, data)
            .map_err(|e| Failure::operation(format!("RSA-OAEP encryption failed: {e}")))
    } else {
        private(der)?
            .decrypt_blinded(rng, padding, data)
            .map_err(|_| Failure::operation("RSA-OAEP decryption failed"))
    }
}
