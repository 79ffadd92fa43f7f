//! Ed25519 signatures and X25519 key agreement (RFC 8032, RFC 7748), with
//! keys kept as SPKI (public) and PKCS #8 (private) DER as RFC 8410 lays out.

use super::Failure;
use pkcs8::der::asn1::{BitStringRef, OctetStringRef};
use pkcs8::der::{Decode, Encode};
use pkcs8::{AlgorithmIdentifierRef, ObjectIdentifier, PrivateKeyInfo};
use rand::RngCore;
use spki::SubjectPublicKeyInfoRef;

/// The two curves of RFC 8410, by their Web Crypto names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Okp {
    Ed25519,
    X25519,
}

impl Okp {
    pub(crate) fn from_name(name: &str) -> Result<Okp, Failure> {
        match name {
            "Ed25519" => Ok(Okp::Ed25519),
            "X25519" => Ok(Okp::X25519),
            other => Err(Failure::not_supported(format!("unknown key type {other}"))),
        }
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            Okp::Ed25519 => ObjectIdentifier::new_unwrap("1.3.101.112"),
            Okp::X25519 => ObjectIdentifier::new_unwrap("1.3.101.110"),
        }
    }

    fn algorithm(self) -> AlgorithmIdentifierRef<'static> {
        AlgorithmIdentifierRef {
            oid: self.oid(),
            parameters: None,
        }
    }

    /// The public key of a 32-byte private key (seed or scalar).
    pub(crate) fn public_of(self, private: &[u8; 32]) -> [u8; 32] {
        match self {
            Okp::Ed25519 => ed25519_dalek::SigningKey::from_bytes(private)
                .verifying_key()
                .to_bytes(),
            Okp::X25519 => {
                x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*private))
                    .to_bytes()
            }
        }
    }

    /// SPKI DER of a raw public key, checked to be a valid point.
    pub(crate) fn spki(self, public: &[u8]) -> Result<Vec<u8>, Failure> {
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| Failure::data("the public key must be 32 bytes"))?;
        if self == Okp::Ed25519 && ed25519_dalek::VerifyingKey::from_bytes(&public).is_err() {
            return Err(Failure::data("invalid Ed25519 public key"));
        }
        let key = BitStringRef::from_bytes(&public).map_err(der_failure)?;
        SubjectPublicKeyInfoRef {
            algorithm: self.algorithm(),
            subject_public_key: key,
        }
        .to_der()
        .map_err(der_failure)
    }

    /// PKCS #8 DER (version 1, no public key: what OpenSSL reads and
    /// writes) of a raw private key.
    pub(crate) fn pkcs8(self, private: &[u8]) -> Result<Vec<u8>, Failure> {
        let inner = OctetStringRef::new(private)
            .and_then(|o| o.to_der())
            .map_err(der_failure)?;
        if private.len() != 32 {
            return Err(Failure::data("the private key must be 32 bytes"));
        }
        PrivateKeyInfo::new(self.algorithm(), &inner)
            .to_der()
            .map_err(der_failure)
    }

    /// The raw public key inside SPKI DER of this curve.
    pub(crate) fn parse_spki(self, der: &[u8]) -> Result<[u8; 32], Failure> {
        let info = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|_| Failure::data("invalid SPKI key data"))?;
        if info.algorithm.oid != self.oid() || info.algorithm.parameters.is_some() {
            return Err(Failure::data(
                "the SPKI key is not of the requested algorithm",
            ));
        }
        info.subject_public_key
            .as_bytes()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| Failure::data("the public key must be 32 bytes"))
    }

    /// The raw private key inside PKCS #8 DER of this curve.
    pub(crate) fn parse_pkcs8(self, der: &[u8]) -> Result<[u8; 32], Failure> {
        let info =
            PrivateKeyInfo::from_der(der).map_err(|_| Failure::data("invalid PKCS #8 key data"))?;
        if info.algorithm.oid != self.oid() || info.algorithm.parameters.is_some() {
            return Err(Failure::data(
                "the PKCS #8 key is not of the requested algorithm",
            ));
        }
        OctetStringRef::from_der(info.private_key)
            .ok()
            .and_then(|o| o.as_bytes().try_into().ok())
            .ok_or_else(|| Failure::data("the private key must be 32 bytes"))
    }

    /// A fresh key pair as (PKCS #8, SPKI) DER.
    pub(crate) fn generate(self) -> Result<(Vec<u8>, Vec<u8>), Failure> {
        let mut private = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut private);
        let public = self.public_of(&private);
        Ok((self.pkcs8(&private)?, self.spki(&public)?))
    }
}

pub(crate) fn ed25519_sign(pkcs8: &[u8], data: &[u8]) -> Result<Vec<u8>, Failure> {
    use ed25519_dalek::Signer;
    let seed = Okp::Ed25519.parse_pkcs8(pkcs8)?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed)
        .sign(data)
        .to_bytes()
        .to_vec())
}

pub(crate) fn ed25519_verify(spki: &[u8], sig: &[u8], data: &[u8]) -> Result<bool, Failure> {
    use ed25519_dalek::Verifier;
    let public = Okp::Ed25519.parse_spki(spki)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public)
        .map_err(|_| Failure::data("invalid Ed25519 public key"))?;
    let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
        return Ok(false);
    };
    Ok(key.verify(data, &sig).is_ok())
}

/// X25519 shared secret; an all-zero result (a small-order public key) is an
/// error, as Web Crypto requires.
pub(crate) fn x25519(pkcs8: &[u8], spki: &[u8]) -> Result<Vec<u8>, Failure> {
    let private = x25519_dalek::StaticSecret::from(Okp::X25519.parse_pkcs8(pkcs8)?);
    let public = x25519_dalek::PublicKey::from(Okp::X25519.parse_spki(spki)?);
    let shared = private.diffie_hellman(&public);
    if !shared.was_contributory() {
        return Err(Failure::operation(
            "X25519 produced an all-zero shared secret",
        ));
    }
    Ok(shared.as_bytes().to_vec())
}

fn der_failure(e: pkcs8::der::Error) -> Failure {
    Failure::operation(format!("DER encoding failed: {e}"))
}
