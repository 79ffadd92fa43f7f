//! ECDSA and ECDH on the NIST curves P-256, P-384 and P-521, with keys kept
//! as SPKI (public) and PKCS #8 (private) DER.

use super::{digest, Failure};

/// Runs `$body` with `$m` naming the RustCrypto crate of the named curve.
macro_rules! on_curve {
    ($curve:expr, $m:ident => $body:expr) => {
        match $curve {
            "P-256" => {
                use p256 as $m;
                $body
            }
            "P-384" => {
                use p384 as $m;
                $body
            }
            "P-521" => {
                use p521 as $m;
                $body
            }
            other => Err(Failure::not_supported(format!(
                "unsupported named curve {other}"
            ))),
        }
    };
}

fn spki_failure<E>(_: E) -> Failure {
    Failure::data("invalid EC public key (SPKI) for this curve")
}

fn pkcs8_failure<E>(_: E) -> Failure {
    Failure::data("invalid EC private key (PKCS #8) for this curve")
}

fn encode_failure<E: std::fmt::Display>(e: E) -> Failure {
    Failure::operation(format!("DER encoding failed: {e}"))
}

/// SPKI DER of an uncompressed or compressed SEC1 point.
pub(crate) fn import_raw(curve: &str, point: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::EncodePublicKey;
        let key = m::PublicKey::from_sec1_bytes(point)
            .map_err(|_| Failure::data("invalid EC point for this curve"))?;
        Ok(key.to_public_key_der().map_err(encode_failure)?.into_vec())
    })
}

/// SPKI DER, checked and re-encoded in its canonical (uncompressed) form.
pub(crate) fn import_spki(curve: &str, der: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::{DecodePublicKey, EncodePublicKey};
        let key = m::PublicKey::from_public_key_der(der).map_err(spki_failure)?;
        Ok(key.to_public_key_der().map_err(encode_failure)?.into_vec())
    })
}

/// PKCS #8 DER, checked and re-encoded (with its public key).
pub(crate) fn import_pkcs8(curve: &str, der: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::{DecodePrivateKey, EncodePrivateKey};
        let key = m::SecretKey::from_pkcs8_der(der).map_err(pkcs8_failure)?;
        Ok(key.to_pkcs8_der().map_err(encode_failure)?.as_bytes().to_vec())
    })
}

/// A JWK's coordinates (and private scalar): SPKI DER, or PKCS #8 DER when
/// `d` is present. The private scalar must match the public point.
pub(crate) fn import_jwk(
    curve: &str,
    x: &[u8],
    y: &[u8],
    d: Option<&[u8]>,
) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::{EncodePrivateKey, EncodePublicKey};
        let size = m::FieldBytes::default().len();
        if x.len() != size || y.len() != size {
            return Err(Failure::data(format!("JWK x and y must be {size} bytes for {curve}")));
        }
        let mut point = vec![4u8];
        point.extend_from_slice(x);
        point.extend_from_slice(y);
        let public = m::PublicKey::from_sec1_bytes(&point)
            .map_err(|_| Failure::data("JWK x and y are not a point on the curve"))?;
        match d {
            None => Ok(public.to_public_key_der().map_err(encode_failure)?.into_vec()),
            Some(d) => {
                if d.len() != size {
                    return Err(Failure::data(format!("JWK d must be {size} bytes for {curve}")));
                }
                let secret = m::SecretKey::from_slice(d)
                    .map_err(|_| Failure::data("JWK d is not a valid private scalar"))?;
                if secret.public_key() != public {
                    return Err(Failure::data("JWK d does not match x and y"));
                }
                Ok(secret.to_pkcs8_der().map_err(encode_failure)?.as_bytes().to_vec())
            }
        }
    })
}

/// The uncompressed SEC1 point of a key (SPKI or PKCS #8 DER).
pub(crate) fn public_point(curve: &str, der: &[u8], private: bool) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::elliptic_curve::sec1::ToEncodedPoint;
        use m::pkcs8::{DecodePrivateKey, DecodePublicKey};
        let public = if private {
            m::SecretKey::from_pkcs8_der(der).map_err(pkcs8_failure)?.public_key()
        } else {
            m::PublicKey::from_public_key_der(der).map_err(spki_failure)?
        };
        Ok(public.to_encoded_point(false).as_bytes().to_vec())
    })
}

/// The private scalar of a PKCS #8 key, big-endian, field-sized.
pub(crate) fn private_scalar(curve: &str, pkcs8: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::DecodePrivateKey;
        let secret = m::SecretKey::from_pkcs8_der(pkcs8).map_err(pkcs8_failure)?;
        Ok(secret.to_bytes().to_vec())
    })
}

/// A fresh key pair as (PKCS #8, SPKI) DER.
pub(crate) fn generate(curve: &str) -> Result<(Vec<u8>, Vec<u8>), Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::{EncodePrivateKey, EncodePublicKey};
        let secret = m::SecretKey::random(&mut rand::thread_rng());
        let private = secret.to_pkcs8_der().map_err(encode_failure)?.as_bytes().to_vec();
        let public = secret.public_key().to_public_key_der().map_err(encode_failure)?.into_vec();
        Ok((private, public))
    })
}

/// The digest of `data` as ECDSA's integer z wants it: a hash shorter than
/// the field is zero-extended on the left (RustCrypto refuses hashes under
/// half the field size, e.g. SHA-256 on P-521); longer ones are truncated by
/// the curve crate.
fn prehash(hash: &str, data: &[u8], field: usize) -> Result<Vec<u8>, Failure> {
    let h = digest(hash, data)?;
    if h.len() >= field {
        return Ok(h);
    }
    let mut padded = vec![0u8; field - h.len()];
    padded.extend_from_slice(&h);
    Ok(padded)
}

/// An IEEE P1363 (r || s) signature, as Web Crypto returns it.
pub(crate) fn sign(curve: &str, hash: &str, pkcs8: &[u8], data: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::ecdsa::signature::hazmat::RandomizedPrehashSigner;
        use m::pkcs8::DecodePrivateKey;
        let secret = m::SecretKey::from_pkcs8_der(pkcs8).map_err(pkcs8_failure)?;
        let key = m::ecdsa::SigningKey::from_slice(&secret.to_bytes())
            .map_err(|_| Failure::data("invalid ECDSA private key"))?;
        let z = prehash(hash, data, m::FieldBytes::default().len())?;
        let sig: m::ecdsa::Signature = key
            .sign_prehash_with_rng(&mut rand::thread_rng(), &z)
            .map_err(|e| Failure::operation(format!("ECDSA signing failed: {e}")))?;
        Ok(sig.to_bytes().to_vec())
    })
}

pub(crate) fn verify(
    curve: &str,
    hash: &str,
    spki: &[u8],
    sig: &[u8],
    data: &[u8],
) -> Result<bool, Failure> {
    on_curve!(curve, m => {
        use m::ecdsa::signature::hazmat::PrehashVerifier;
        use m::elliptic_curve::sec1::ToEncodedPoint;
        use m::pkcs8::DecodePublicKey;
        let public = m::PublicKey::from_public_key_der(spki).map_err(spki_failure)?;
        let key = m::ecdsa::VerifyingKey::from_sec1_bytes(public.to_encoded_point(false).as_bytes())
            .map_err(|_| Failure::data("invalid ECDSA public key"))?;
        let z = prehash(hash, data, m::FieldBytes::default().len())?;
        let Ok(sig) = m::ecdsa::Signature::from_slice(sig) else {
            return Ok(false);
        };
        Ok(key.verify_prehash(&z, &sig).is_ok())
    })
}

/// The ECDH shared secret (the x coordinate) of a private and a public key.
pub(crate) fn ecdh(curve: &str, pkcs8: &[u8], spki: &[u8]) -> Result<Vec<u8>, Failure> {
    on_curve!(curve, m => {
        use m::pkcs8::{DecodePrivateKey, DecodePublicKey};
        let secret = m::SecretKey::from_pkcs8_der(pkcs8).map_err(pkcs8_failure)?;
        let public = m::PublicKey::from_public_key_der(spki).map_err(spki_failure)?;
        let shared = m::ecdh::diffie_hellman(secret.to_nonzero_scalar(), public.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    })
}
