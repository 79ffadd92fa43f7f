//! Web Crypto natives on RustCrypto crates: random values, digests (and
//! streaming digests for `crypto.DigestStream`), HMAC, PBKDF2, HKDF, AES
//! (`aes.rs`), RSA (`rsa.rs`), ECDSA/ECDH on the NIST curves (`ec.rs`) and
//! Ed25519/X25519 (`okp.rs`).
//!
//! `crypto.subtle`'s classes, algorithm normalisation, usages and JWK
//! handling are JavaScript (`crypto.js`); these natives do the arithmetic on
//! bytes. Asymmetric keys cross the boundary as SPKI (public) or PKCS #8
//! (private) DER. A failure throws `Error("<DOMException name>: message")`,
//! which `crypto.js` turns into the `DOMException` Web Crypto specifies.

/// Runs `$body` with `$d` the RustCrypto digest type named by `$hash`.
macro_rules! with_hash {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            "SHA-1" => {
                type $d = sha1::Sha1;
                $body
            }
            "SHA-256" => {
                type $d = sha2::Sha256;
                $body
            }
            "SHA-384" => {
                type $d = sha2::Sha384;
                $body
            }
            "SHA-512" => {
                type $d = sha2::Sha512;
                $body
            }
            other => Err(Failure::not_supported(format!(
                "unrecognized hash algorithm {other}"
            ))),
        }
    };
}

mod aes;
mod ec;
mod okp;
mod rsa;

use crate::host::bytes::{bytes_of, new_array_buffer, new_u8, require_bytes};
use hmac::{Mac, SimpleHmac};
use okp::Okp;
use rand::RngCore;
use rquickjs::{Ctx, Exception, Function, Object, TypedArray, Value};
use sha2::digest::DynDigest;
use sha2::Digest;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// Largest `getRandomValues` request the Web Crypto spec allows.
const MAX_RANDOM_BYTES: usize = 65_536;

/// Cloudflare's ceiling on PBKDF2 iterations: above it Workers throw
/// `NotSupportedError`, which also bounds how long one call can run.
const MAX_PBKDF2_ITERATIONS: u32 = 100_000;

/// A Web Crypto failure: the `DOMException` name and its message.
pub(crate) struct Failure {
    name: &'static str,
    message: String,
}

impl Failure {
    pub(crate) fn data(message: impl Into<String>) -> Failure {
        Failure {
            name: "DataError",
            message: message.into(),
        }
    }

    pub(crate) fn operation(message: impl Into<String>) -> Failure {
        Failure {
            name: "OperationError",
            message: message.into(),
        }
    }

    pub(crate) fn not_supported(message: impl Into<String>) -> Failure {
        Failure {
            name: "NotSupportedError",
            message: message.into(),
        }
    }
}

/// Throws a [`Failure`] into JavaScript.
trait OrThrow<T> {
    fn or_throw(self, ctx: &Ctx<'_>) -> rquickjs::Result<T>;
}

impl<T> OrThrow<T> for Result<T, Failure> {
    fn or_throw(self, ctx: &Ctx<'_>) -> rquickjs::Result<T> {
        self.map_err(|f| Exception::throw_message(ctx, &format!("{}: {}", f.name, f.message)))
    }
}

/// Throws QuickJS's own "interrupted" error (what the CPU limit raises) when
/// the request's CPU deadline has passed. QuickJS polls its interrupt handler
/// only every few thousand bytecodes, so a loop of heavy natives (RSA key
/// generation, PBKDF2) would otherwise run far past the limit: each heavy
/// native is a checkpoint instead.
fn check_deadline(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    let core = crate::host::event_loop::current();
    if core.deadline.get().is_some_and(|d| Instant::now() > d) {
        core.cpu_tripped.set(true);
        return Err(Exception::throw_internal(ctx, "interrupted"));
    }
    Ok(())
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    let set = |name: &str, f: Function<'js>| native.set(name, f);
    set("randomBytes", Function::new(ctx.clone(), random_bytes)?)?;
    set("randomUUID", Function::new(ctx.clone(), random_uuid)?)?;
    set("fillRandom", Function::new(ctx.clone(), fill_random)?)?;
    set("digest", Function::new(ctx.clone(), js_digest)?)?;
    set("hasher", Function::new(ctx.clone(), js_hasher)?)?;
    set("hmac", Function::new(ctx.clone(), js_hmac)?)?;
    set("pbkdf2", Function::new(ctx.clone(), js_pbkdf2)?)?;
    set("scrypt", Function::new(ctx.clone(), js_scrypt)?)?;
    set("hkdf", Function::new(ctx.clone(), js_hkdf)?)?;
    set("aesGcm", Function::new(ctx.clone(), js_aes_gcm)?)?;
    set("aesCbc", Function::new(ctx.clone(), js_aes_cbc)?)?;
    set("aesCtr", Function::new(ctx.clone(), js_aes_ctr)?)?;
    set("aesKw", Function::new(ctx.clone(), js_aes_kw)?)?;
    set("keyImport", Function::new(ctx.clone(), js_key_import)?)?;
    set("keyExport", Function::new(ctx.clone(), js_key_export)?)?;
    set("keyGenerate", Function::new(ctx.clone(), js_key_generate)?)?;
    set("sign", Function::new(ctx.clone(), js_sign)?)?;
    set("verify", Function::new(ctx.clone(), js_verify)?)?;
    set("rsaOaep", Function::new(ctx.clone(), js_rsa_oaep)?)?;
    set(
        "deriveShared",
        Function::new(ctx.clone(), js_derive_shared)?,
    )?;
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

/// A streaming hash of one of the digest algorithms Workers offer, MD5
/// included (Cloudflare keeps it for legacy systems).
fn hasher(alg: &str) -> Result<Box<dyn DynDigest>, Failure> {
    Ok(match alg {
        "MD5" => Box::new(md5::Md5::new()),
        "SHA-1" => Box::new(sha1::Sha1::new()),
        "SHA-256" => Box::new(sha2::Sha256::new()),
        "SHA-384" => Box::new(sha2::Sha384::new()),
        "SHA-512" => Box::new(sha2::Sha512::new()),
        other => {
            return Err(Failure::not_supported(format!(
                "unrecognized digest algorithm {other}"
            )))
        }
    })
}

pub(crate) fn digest(alg: &str, data: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut h = hasher(alg)?;
    h.update(data);
    Ok(h.finalize().into_vec())
}

fn js_digest<'js>(ctx: Ctx<'js>, alg: String, data: Value<'js>) -> rquickjs::Result<Value<'js>> {
    let data = require_bytes(&ctx, &data, "data")?;
    let out = digest(&alg.to_ascii_uppercase(), &data).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

/// `{ update(bytes), finish() }` over one running hash, for `DigestStream`
/// and `node:crypto`'s `createHash`, so a stream is hashed as it arrives.
fn js_hasher<'js>(ctx: Ctx<'js>, alg: String) -> rquickjs::Result<Object<'js>> {
    let state = Rc::new(RefCell::new(Some(
        hasher(&alg.to_ascii_uppercase()).or_throw(&ctx)?,
    )));
    let obj = Object::new(ctx.clone())?;
    let s = state.clone();
    obj.set(
        "update",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, data: Value<'js>| {
            let data = require_bytes(&ctx, &data, "data")?;
            match s.borrow_mut().as_mut() {
                Some(h) => {
                    h.update(&data);
                    Ok(())
                }
                None => Err(Exception::throw_type(
                    &ctx,
                    "the digest is already finished",
                )),
            }
        })?,
    )?;
    obj.set(
        "finish",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>| {
            match state.borrow_mut().take() {
                Some(h) => new_array_buffer(&ctx, h.finalize().into_vec()),
                None => Err(Exception::throw_type(
                    &ctx,
                    "the digest is already finished",
                )),
            }
        })?,
    )?;
    Ok(obj)
}

fn hmac(hash: &str, key: &[u8], data: &[u8]) -> Result<Vec<u8>, Failure> {
    with_hash!(hash, D => {
        let mut mac = SimpleHmac::<D>::new_from_slice(key).expect("HMAC accepts any key length");
        Mac::update(&mut mac, data);
        Ok(mac.finalize().into_bytes().to_vec())
    })
}

fn js_hmac<'js>(
    ctx: Ctx<'js>,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let out = hmac(&hash.to_ascii_uppercase(), &key, &data).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn js_pbkdf2<'js>(
    ctx: Ctx<'js>,
    hash: String,
    password: Value<'js>,
    salt: Value<'js>,
    iterations: u32,
    len: usize,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let password = require_bytes(&ctx, &password, "password")?;
    let salt = require_bytes(&ctx, &salt, "salt")?;
    let run = || {
        if iterations == 0 {
            return Err(Failure::operation("PBKDF2 iterations must be at least 1"));
        }
        if iterations > MAX_PBKDF2_ITERATIONS {
            return Err(Failure::not_supported(format!(
                "Pbkdf2 failed: iteration counts above {MAX_PBKDF2_ITERATIONS} are not supported (requested {iterations})"
            )));
        }
        let mut out = vec![0u8; len];
        with_hash!(hash.to_ascii_uppercase().as_str(), D => {
            pbkdf2::pbkdf2_hmac::<D>(&password, &salt, iterations, &mut out);
            Ok(())
        })?;
        Ok(out)
    };
    let out = run().or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

/// node:crypto's scrypt; its JavaScript checked the parameters as Node does
/// (`log_n` is log2 of the cost N).
fn js_scrypt<'js>(
    ctx: Ctx<'js>,
    password: Value<'js>,
    salt: Value<'js>,
    log_n: u8,
    r: u32,
    p: u32,
    len: usize,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let password = require_bytes(&ctx, &password, "password")?;
    let salt = require_bytes(&ctx, &salt, "salt")?;
    let run = || {
        let params = scrypt::Params::new(log_n, r, p, scrypt::Params::RECOMMENDED_LEN)
            .map_err(|e| Failure::operation(format!("Invalid scrypt params: {e}")))?;
        let mut out = vec![0u8; len];
        scrypt::scrypt(&password, &salt, &params, &mut out)
            .map_err(|e| Failure::operation(format!("Invalid scrypt params: {e}")))?;
        Ok(out)
    };
    let out = run().or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn js_hkdf<'js>(
    ctx: Ctx<'js>,
    hash: String,
    ikm: Value<'js>,
    salt: Value<'js>,
    info: Value<'js>,
    len: usize,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let ikm = require_bytes(&ctx, &ikm, "key")?;
    let salt = require_bytes(&ctx, &salt, "salt")?;
    let info = require_bytes(&ctx, &info, "info")?;
    let mut out = vec![0u8; len];
    with_hash!(hash.to_ascii_uppercase().as_str(), D => {
        hkdf::Hkdf::<D>::new(Some(&salt), &ikm)
            .expand(&info, &mut out)
            .map_err(|_| Failure::operation("HKDF length is too large for the hash"))
    })
    .or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn optional_bytes(ctx: &Ctx<'_>, value: &Value<'_>, what: &str) -> rquickjs::Result<Vec<u8>> {
    if value.is_undefined() || value.is_null() {
        Ok(Vec::new())
    } else {
        require_bytes(ctx, value, what)
    }
}

/// `(encrypt, key, iv, data, additionalData, tagLength)`.
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
    let aad = optional_bytes(&ctx, &aad, "additionalData")?;
    let out = aes::gcm(encrypt, &key, &iv, &data, &aad, tag_bits).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn js_aes_cbc<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    key: Value<'js>,
    iv: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let iv = require_bytes(&ctx, &iv, "iv")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let out = aes::cbc(encrypt, &key, &iv, &data).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn js_aes_ctr<'js>(
    ctx: Ctx<'js>,
    key: Value<'js>,
    counter: Value<'js>,
    length: u32,
    data: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let counter = require_bytes(&ctx, &counter, "counter")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let out = aes::ctr(&key, &counter, length, &data).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

fn js_aes_kw<'js>(
    ctx: Ctx<'js>,
    wrap: bool,
    key: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    let key = require_bytes(&ctx, &key, "key")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let out = aes::kw(wrap, &key, &data).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

/// The bytes of member `name` of a decoded JWK, if present.
fn member(ctx: &Ctx<'_>, jwk: &Object<'_>, name: &str) -> rquickjs::Result<Option<Vec<u8>>> {
    let value: Value = jwk.get(name)?;
    if value.is_undefined() {
        return Ok(None);
    }
    bytes_of(&value)
        .map(Some)
        .ok_or_else(|| Exception::throw_type(ctx, &format!("JWK member {name} must be bytes")))
}

fn required(ctx: &Ctx<'_>, jwk: &Object<'_>, name: &str) -> rquickjs::Result<Vec<u8>> {
    member(ctx, jwk, name)?.ok_or_else(|| {
        Exception::throw_message(ctx, &format!("DataError: the JWK has no \"{name}\" member"))
    })
}

/// Imports an asymmetric key. `kind` is `RSA`, `EC`, `Ed25519` or `X25519`;
/// `format` is `raw`, `spki`, `pkcs8` or `jwk` (then `data` is an object of
/// the JWK's members already base64url-decoded; `d` marks a private key);
/// `curve` names the EC curve. Returns `{ der, private }`, plus
/// `modulusLength` and `publicExponent` for RSA.
fn js_key_import<'js>(
    ctx: Ctx<'js>,
    kind: String,
    format: String,
    data: Value<'js>,
    curve: Option<String>,
) -> rquickjs::Result<Object<'js>> {
    let curve = curve.unwrap_or_default();
    let out = Object::new(ctx.clone())?;
    let jwk = || {
        data.as_object()
            .cloned()
            .ok_or_else(|| Exception::throw_type(&ctx, "JWK must be an object"))
    };
    let bytes = || require_bytes(&ctx, &data, "keyData");
    let unsupported =
        || Failure::not_supported(format!("{kind} keys cannot be imported in {format} format"));
    let (der, private) = match (kind.as_str(), format.as_str()) {
        ("RSA", _) => {
            let (der, private, shape) = match format.as_str() {
                "spki" => rsa::import_spki(&bytes()?).map(|(d, s)| (d, false, s)),
                "pkcs8" => rsa::import_pkcs8(&bytes()?).map(|(d, s)| (d, true, s)),
                "jwk" => {
                    let o = jwk()?;
                    let parsed = rsa::Jwk {
                        n: required(&ctx, &o, "n")?,
                        e: required(&ctx, &o, "e")?,
                        d: member(&ctx, &o, "d")?,
                        p: member(&ctx, &o, "p")?,
                        q: member(&ctx, &o, "q")?,
                    };
                    let private = parsed.d.is_some();
                    rsa::import_jwk(&parsed).map(|(d, s)| (d, private, s))
                }
                _ => Err(unsupported()),
            }
            .or_throw(&ctx)?;
            out.set("modulusLength", shape.modulus_bits)?;
            out.set("publicExponent", new_u8(&ctx, shape.exponent)?)?;
            (der, private)
        }
        ("EC", "raw") => (ec::import_raw(&curve, &bytes()?).or_throw(&ctx)?, false),
        ("EC", "spki") => (ec::import_spki(&curve, &bytes()?).or_throw(&ctx)?, false),
        ("EC", "pkcs8") => (ec::import_pkcs8(&curve, &bytes()?).or_throw(&ctx)?, true),
        ("EC", "jwk") => {
            let o = jwk()?;
            let d = member(&ctx, &o, "d")?;
            let x = required(&ctx, &o, "x")?;
            let y = required(&ctx, &o, "y")?;
            let der = ec::import_jwk(&curve, &x, &y, d.as_deref()).or_throw(&ctx)?;
            (der, d.is_some())
        }
        (name, format) => {
            let okp = Okp::from_name(name).or_throw(&ctx)?;
            match format {
                "raw" => (okp.spki(&bytes()?).or_throw(&ctx)?, false),
                "spki" => {
                    let public = okp.parse_spki(&bytes()?).or_throw(&ctx)?;
                    (okp.spki(&public).or_throw(&ctx)?, false)
                }
                "pkcs8" => {
                    let private = okp.parse_pkcs8(&bytes()?).or_throw(&ctx)?;
                    (okp.pkcs8(&private).or_throw(&ctx)?, true)
                }
                "jwk" => {
                    let o = jwk()?;
                    let x = required(&ctx, &o, "x")?;
                    match member(&ctx, &o, "d")? {
                        None => (okp.spki(&x).or_throw(&ctx)?, false),
                        Some(d) => {
                            let der = okp.pkcs8(&d).or_throw(&ctx)?;
                            let seed: [u8; 32] = d.as_slice().try_into().expect("checked");
                            if okp.public_of(&seed).as_slice() != x.as_slice() {
                                return Err(Exception::throw_message(
                                    &ctx,
                                    "DataError: JWK d does not match x",
                                ));
                            }
                            (der, true)
                        }
                    }
                }
                _ => return Err(unsupported()).or_throw(&ctx),
            }
        }
    };
    out.set("der", new_u8(&ctx, der)?)?;
    out.set("private", private)?;
    Ok(out)
}

/// Exports an asymmetric key held as `der` (PKCS #8 when `private`) in
/// `raw` (public keys), `spki`, `pkcs8` or `jwk` format; a JWK comes back
/// as an object of its members' bytes, for `crypto.js` to base64url-encode.
fn js_key_export<'js>(
    ctx: Ctx<'js>,
    kind: String,
    format: String,
    der: Value<'js>,
    private: bool,
    curve: Option<String>,
) -> rquickjs::Result<Value<'js>> {
    let der = require_bytes(&ctx, &der, "key")?;
    let curve = curve.unwrap_or_default();
    let members = |pairs: Vec<(&'static str, Vec<u8>)>| -> rquickjs::Result<Value<'js>> {
        let o = Object::new(ctx.clone())?;
        for (name, bytes) in pairs {
            o.set(name, new_u8(&ctx, bytes)?)?;
        }
        Ok(o.into_value())
    };
    let spki_of_private = |der: &[u8]| -> Result<Vec<u8>, Failure> {
        match kind.as_str() {
            "RSA" => rsa::public_of(der),
            "EC" => ec::import_raw(&curve, &ec::public_point(&curve, der, true)?),
            name => {
                let okp = Okp::from_name(name)?;
                okp.spki(&okp.public_of(&okp.parse_pkcs8(der)?))
            }
        }
    };
    match format.as_str() {
        "spki" if private => new_u8(&ctx, spki_of_private(&der).or_throw(&ctx)?),
        "spki" | "pkcs8" => new_u8(&ctx, der),
        "raw" => {
            let raw = match kind.as_str() {
                "EC" => ec::public_point(&curve, &der, false),
                "RSA" => Err(Failure::not_supported("RSA keys cannot be exported raw")),
                name => Okp::from_name(name)
                    .and_then(|okp| okp.parse_spki(&der))
                    .map(|k| k.to_vec()),
            }
            .or_throw(&ctx)?;
            new_u8(&ctx, raw)
        }
        "jwk" => {
            let pairs = match kind.as_str() {
                "RSA" => rsa::export_jwk(&der, private).or_throw(&ctx)?,
                "EC" => {
                    let point = ec::public_point(&curve, &der, private).or_throw(&ctx)?;
                    let half = (point.len() - 1) / 2;
                    let mut pairs = vec![
                        ("x", point[1..1 + half].to_vec()),
                        ("y", point[1 + half..].to_vec()),
                    ];
                    if private {
                        pairs.push(("d", ec::private_scalar(&curve, &der).or_throw(&ctx)?));
                    }
                    pairs
                }
                name => {
                    let okp = Okp::from_name(name).or_throw(&ctx)?;
                    if private {
                        let d = okp.parse_pkcs8(&der).or_throw(&ctx)?;
                        vec![("x", okp.public_of(&d).to_vec()), ("d", d.to_vec())]
                    } else {
                        vec![("x", okp.parse_spki(&der).or_throw(&ctx)?.to_vec())]
                    }
                }
            };
            members(pairs)
        }
        other => Err(Exception::throw_message(
            &ctx,
            &format!("NotSupportedError: unsupported export format {other}"),
        )),
    }
}

/// A fresh key pair `{ privateKey, publicKey }` (DER). `param` is the RSA
/// modulus length or the EC curve; `exponent` the RSA public exponent.
fn js_key_generate<'js>(
    ctx: Ctx<'js>,
    kind: String,
    param: Value<'js>,
    exponent: Value<'js>,
) -> rquickjs::Result<Object<'js>> {
    check_deadline(&ctx)?;
    let out = Object::new(ctx.clone())?;
    let (private, public) = match kind.as_str() {
        "RSA" => {
            let bits = param.as_number().unwrap_or(0.0) as usize;
            let exponent = require_bytes(&ctx, &exponent, "publicExponent")?;
            let (private, public, shape) = rsa::generate(bits, &exponent).or_throw(&ctx)?;
            out.set("modulusLength", shape.modulus_bits)?;
            out.set("publicExponent", new_u8(&ctx, shape.exponent)?)?;
            (private, public)
        }
        "EC" => {
            let curve: String = param.get()?;
            ec::generate(&curve).or_throw(&ctx)?
        }
        name => Okp::from_name(name)
            .and_then(Okp::generate)
            .or_throw(&ctx)?,
    };
    out.set("privateKey", new_u8(&ctx, private)?)?;
    out.set("publicKey", new_u8(&ctx, public)?)?;
    Ok(out)
}

/// Signs `data` with a private key (PKCS #8 DER). `alg` is `RSASSA-PKCS1-v1_5`,
/// `RSA-PSS` (with `param` the salt length), `ECDSA` (with `param` the curve)
/// or `Ed25519`.
fn js_sign<'js>(
    ctx: Ctx<'js>,
    alg: String,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
    param: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let key = require_bytes(&ctx, &key, "key")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let sig = match alg.as_str() {
        "RSASSA-PKCS1-v1_5" => rsa::sign(&hash, &key, &data, None),
        "RSA-PSS" => rsa::sign(&hash, &key, &data, Some(param.get::<u32>()? as usize)),
        "ECDSA" => ec::sign(&param.get::<String>()?, &hash, &key, &data),
        "Ed25519" => okp::ed25519_sign(&key, &data),
        other => Err(Failure::not_supported(format!("cannot sign with {other}"))),
    }
    .or_throw(&ctx)?;
    new_array_buffer(&ctx, sig)
}

/// Verifies `sig` over `data` with a public key (SPKI DER); arguments as
/// for `sign`.
fn js_verify<'js>(
    ctx: Ctx<'js>,
    alg: String,
    hash: String,
    key: Value<'js>,
    sig: Value<'js>,
    data: Value<'js>,
    param: Value<'js>,
) -> rquickjs::Result<bool> {
    check_deadline(&ctx)?;
    let key = require_bytes(&ctx, &key, "key")?;
    let sig = require_bytes(&ctx, &sig, "signature")?;
    let data = require_bytes(&ctx, &data, "data")?;
    match alg.as_str() {
        "RSASSA-PKCS1-v1_5" => rsa::verify(&hash, &key, &sig, &data, None),
        "RSA-PSS" => rsa::verify(&hash, &key, &sig, &data, Some(param.get::<u32>()? as usize)),
        "ECDSA" => ec::verify(&param.get::<String>()?, &hash, &key, &sig, &data),
        "Ed25519" => okp::ed25519_verify(&key, &sig, &data),
        other => Err(Failure::not_supported(format!(
            "cannot verify with {other}"
        ))),
    }
    .or_throw(&ctx)
}

/// RSA-OAEP: `(encrypt, hash, key DER, data, label)`.
fn js_rsa_oaep<'js>(
    ctx: Ctx<'js>,
    encrypt: bool,
    hash: String,
    key: Value<'js>,
    data: Value<'js>,
    label: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let key = require_bytes(&ctx, &key, "key")?;
    let data = require_bytes(&ctx, &data, "data")?;
    let label = optional_bytes(&ctx, &label, "label")?;
    let out = rsa::oaep(encrypt, &hash, &key, &data, &label).or_throw(&ctx)?;
    new_array_buffer(&ctx, out)
}

/// The shared secret of ECDH (`curve` given) or X25519: `(kind, curve,
/// private PKCS #8, public SPKI)`.
fn js_derive_shared<'js>(
    ctx: Ctx<'js>,
    kind: String,
    curve: Option<String>,
    private: Value<'js>,
    public: Value<'js>,
) -> rquickjs::Result<Value<'js>> {
    check_deadline(&ctx)?;
    let private = require_bytes(&ctx, &private, "key")?;
    let public = require_bytes(&ctx, &public, "public")?;
    let secret = match kind.as_str() {
        "ECDH" => ec::ecdh(&curve.unwrap_or_default(), &private, &public),
        "X25519" => okp::x25519(&private, &public),
        other => Err(Failure::not_supported(format!(
            "cannot derive with {other}"
        ))),
    }
    .or_throw(&ctx)?;
    new_array_buffer(&ctx, secret)
}
