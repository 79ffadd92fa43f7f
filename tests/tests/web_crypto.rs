//! Web Crypto interoperability: keys, signatures and ciphertexts made by
//! OpenSSL and Node's crypto (computed here, at test time) are used by the
//! `web_crypto` fixture worker, and what the worker produces is checked back
//! with Node. Plus the classes, the DOMException names of misuse, and the
//! CPU limit under heavy crypto.

use hearth_tests::{fixture, write_project, Hearth};
use serde_json::{json, Value};
use std::process::Command;
use std::time::{Duration, Instant};

fn start() -> Hearth {
    Hearth::start(&fixture("web_crypto"), &[])
}

/// Runs an ES module with Node (`v` bound to `input`) and parses the JSON it
/// prints.
fn node(input: &Value, script: &str) -> Value {
    let source = format!(
        "import crypto from 'node:crypto';\nconst v = {input};\nconst b64 = (b) => Buffer.from(b).toString('base64');\nconst unb64 = (s) => Buffer.from(s, 'base64');\n{script}"
    );
    let out = Command::new("node")
        .args(["--input-type=module", "-e", &source])
        .output()
        .expect("node is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "node failed: {}\n{source}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "node printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn post(h: &Hearth, path: &str, body: Value) -> Value {
    let (status, v) = h.json("POST", path, Some(body));
    assert_eq!(status, 200, "{path}: {v}\n{}", h.logs());
    v
}

#[test]
fn rsa_keys_from_openssl_sign_verify_and_encrypt_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let public = dir.path().join("pub.pem");
    let key_s = key.to_str().unwrap();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key_s,
    ]);
    openssl(&[
        "pkey",
        "-in",
        key_s,
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
    let input = json!({
        "pkcs8Pem": std::fs::read_to_string(&key).unwrap(),
        "spkiPem": std::fs::read_to_string(&public).unwrap(),
        "msg": "signed by openssl keys",
        "label": "a label",
    });
    let made = node(
        &input,
        r#"
        const key = crypto.createPrivateKey(v.pkcs8Pem);
        const msg = Buffer.from(v.msg);
        const pss = { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
        console.log(JSON.stringify({
          ...v,
          pkcs1Sig: b64(crypto.sign('sha256', msg, key)),
          pssSig: b64(crypto.sign('sha256', msg, pss)),
          oaepCt: b64(crypto.publicEncrypt({ key: v.spkiPem, oaepHash: 'sha256', oaepLabel: Buffer.from(v.label) }, msg)),
          publicJwk: crypto.createPublicKey(v.spkiPem).export({ format: 'jwk' }),
          privateJwk: key.export({ format: 'jwk' }),
          spkiDer: b64(crypto.createPublicKey(v.spkiPem).export({ format: 'der', type: 'spki' })),
        }));
        "#,
    );
    let h = start();
    let got = post(&h, "/rsa", made.clone());
    assert_eq!(
        got["algorithm"],
        json!({"name": "RSASSA-PKCS1-v1_5", "modulusLength": 2048, "publicExponent": [1, 0, 1], "hash": {"name": "SHA-256"}})
    );
    assert_eq!(got["pkcs1Ok"], true);
    assert_eq!(got["pkcs1Tampered"], false);
    assert_eq!(got["pssOk"], true);
    assert_eq!(got["pssWrongSalt"], false);
    assert_eq!(got["oaepPlain"], "signed by openssl keys");
    // PKCS #1 v1.5 signatures are deterministic: byte-for-byte Node's.
    assert_eq!(got["pkcs1Sig"], made["pkcs1Sig"]);
    assert_eq!(got["spki"], made["spkiDer"]);
    for member in ["n", "e", "d", "p", "q", "dp", "dq", "qi"] {
        assert_eq!(
            got["jwk"][member], made["privateJwk"][member],
            "JWK member {member}"
        );
    }
    assert_eq!(got["jwk"]["alg"], "RS256");
    assert_eq!(got["jwk"]["kty"], "RSA");
    let checked = node(
        &json!({"got": got, "made": made}),
        r#"
        const msg = Buffer.from(v.made.msg);
        const pss = { key: v.made.spkiPem, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
        const exported = crypto.createPrivateKey({ key: unb64(v.got.pkcs8Der), format: 'der', type: 'pkcs8' });
        console.log(JSON.stringify({
          pss: crypto.verify('sha256', msg, pss, unb64(v.got.pssSig)),
          oaep: crypto.privateDecrypt({ key: v.made.pkcs8Pem, oaepHash: 'sha256', oaepLabel: Buffer.from(v.made.label) }, unb64(v.got.oaepCt)).toString(),
          pkcs8SameKey: exported.export({ format: 'jwk' }).d === v.made.privateJwk.d,
        }));
        "#,
    );
    assert_eq!(
        checked,
        json!({"pss": true, "oaep": "signed by openssl keys", "pkcs8SameKey": true})
    );
}

#[test]
fn rsa_generate_key_makes_keys_node_accepts() {
    let h = start();
    let (status, got) = h.json("GET", "/rsa-generate", None);
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["selfCheck"], true);
    assert_eq!(
        got["algorithm"],
        json!({"name": "RSA-PSS", "modulusLength": 2048, "publicExponent": [1, 0, 1], "hash": {"name": "SHA-384"}})
    );
    assert_eq!(got["publicUsages"], json!(["verify"]));
    assert_eq!(got["privateUsages"], json!(["sign"]));
    assert_eq!(got["publicExtractable"], true);
    let checked = node(
        &got,
        r#"
        const key = crypto.createPublicKey({ key: unb64(v.spki), format: 'der', type: 'spki' });
        const priv = crypto.createPrivateKey({ key: unb64(v.pkcs8), format: 'der', type: 'pkcs8' });
        console.log(JSON.stringify({
          ok: crypto.verify('sha384', Buffer.from('generated here'), { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, unb64(v.sig)),
          bits: priv.asymmetricKeyDetails.modulusLength,
          pair: crypto.createPublicKey(priv).export({ format: 'jwk' }).n === key.export({ format: 'jwk' }).n,
        }));
        "#,
    );
    assert_eq!(checked, json!({"ok": true, "bits": 2048, "pair": true}));
}

#[test]
fn ecdsa_and_ecdh_interoperate_with_node_on_every_curve() {
    let h = start();
    // P-256 with SHA-512 truncates the hash, P-521 with SHA-256 pads it.
    for (curve, openssl_name, hash) in [
        ("P-256", "prime256v1", "SHA-512"),
        ("P-384", "secp384r1", "SHA-384"),
        ("P-521", "secp521r1", "SHA-256"),
    ] {
        let made = node(
            &json!({"curve": curve, "nodeCurve": openssl_name, "hash": hash, "msg": format!("ecdsa on {curve}")}),
            r#"
            const pair = crypto.generateKeyPairSync('ec', { namedCurve: v.nodeCurve });
            const peer = crypto.generateKeyPairSync('ec', { namedCurve: v.nodeCurve });
            const raw = (k) => { const j = k.export({ format: 'jwk' }); return b64(Buffer.concat([Buffer.from([4]), unb64(j.x), unb64(j.y)])); };
            const nodeHash = v.hash.replace('-', '').toLowerCase();
            console.log(JSON.stringify({
              ...v,
              pkcs8: b64(pair.privateKey.export({ format: 'der', type: 'pkcs8' })),
              spki: b64(pair.publicKey.export({ format: 'der', type: 'spki' })),
              raw: raw(pair.publicKey),
              sig: b64(crypto.sign(nodeHash, Buffer.from(v.msg), { key: pair.privateKey, dsaEncoding: 'ieee-p1363' })),
              privateJwk: pair.privateKey.export({ format: 'jwk' }),
              peerRaw: raw(peer.publicKey),
              shared: b64(crypto.diffieHellman({ privateKey: pair.privateKey, publicKey: peer.publicKey })),
            }));
            "#,
        );
        let got = post(&h, "/ec", made.clone());
        assert_eq!(got["nodeSigOk"], true, "{curve}");
        assert_eq!(got["nodeSigRawKeyOk"], true, "{curve}");
        assert_eq!(got["nodeSigTampered"], false, "{curve}");
        assert_eq!(got["raw"], made["raw"], "{curve}");
        assert_eq!(got["spki"], made["spki"], "{curve}");
        for member in ["kty", "crv", "x", "y", "d"] {
            assert_eq!(
                got["jwk"][member], made["privateJwk"][member],
                "{curve} JWK {member}"
            );
        }
        assert_eq!(got["shared"], made["shared"], "{curve} ECDH");
        let checked = node(
            &json!({"got": got, "made": made}),
            r#"
            const shared = unb64(v.made.shared);
            const first100 = Buffer.from(shared.subarray(0, 13));
            first100[12] &= 0xf0;
            const hash = v.made.hash.replace('-', '').toLowerCase();
            const verify = (spki, sig) => crypto.verify(hash, Buffer.from(v.made.msg),
              { key: crypto.createPublicKey({ key: unb64(spki), format: 'der', type: 'spki' }), dsaEncoding: 'ieee-p1363' }, unb64(sig));
            console.log(JSON.stringify({
              sig: verify(v.made.spki, v.got.sig),
              generated: verify(v.got.generatedSpki, v.got.generatedSig),
              shared100: b64(first100) === v.got.shared100,
              derivedKey: b64(shared.subarray(0, 16)) === v.got.derivedKey,
            }));
            "#,
        );
        assert_eq!(
            checked,
            json!({"sig": true, "generated": true, "shared100": true, "derivedKey": true}),
            "{curve}"
        );
    }
}

#[test]
fn ed25519_and_x25519_interoperate_with_node() {
    let made = node(
        &json!({"msg": "ed25519 message"}),
        r#"
        const ed = crypto.generateKeyPairSync('ed25519');
        const x = crypto.generateKeyPairSync('x25519');
        const peer = crypto.generateKeyPairSync('x25519');
        console.log(JSON.stringify({
          ...v,
          edPkcs8: b64(ed.privateKey.export({ format: 'der', type: 'pkcs8' })),
          edSpki: b64(ed.publicKey.export({ format: 'der', type: 'spki' })),
          edRaw: b64(unb64(ed.publicKey.export({ format: 'jwk' }).x)),
          edSig: b64(crypto.sign(null, Buffer.from(v.msg), ed.privateKey)),
          edJwk: ed.privateKey.export({ format: 'jwk' }),
          xPkcs8: b64(x.privateKey.export({ format: 'der', type: 'pkcs8' })),
          xJwk: x.privateKey.export({ format: 'jwk' }),
          xPeerJwk: peer.publicKey.export({ format: 'jwk' }),
          shared: b64(crypto.diffieHellman({ privateKey: x.privateKey, publicKey: peer.publicKey })),
        }));
        "#,
    );
    let h = start();
    let got = post(&h, "/okp", made.clone());
    // Ed25519 signatures are deterministic: byte-for-byte Node's.
    assert_eq!(got["sig"], made["edSig"]);
    assert_eq!(got["nodeSigOk"], true);
    assert_eq!(got["legacyOk"], true);
    assert_eq!(
        got["legacyAlgorithm"],
        json!({"name": "NODE-ED25519", "namedCurve": "NODE-ED25519"})
    );
    assert_eq!(got["spki"], made["edSpki"]);
    assert_eq!(got["x25519"], made["shared"]);
    for member in ["kty", "crv", "x", "d"] {
        assert_eq!(
            got["jwk"][member], made["edJwk"][member],
            "Ed25519 JWK {member}"
        );
        assert_eq!(
            got["xJwk"][member], made["xJwk"][member],
            "X25519 JWK {member}"
        );
    }
    let checked = node(
        &json!({"got": got, "made": made}),
        r#"
        const pub = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(unb64(v.got.generatedRaw)).toString('base64url') }, format: 'jwk' });
        const roundTrip = crypto.createPrivateKey({ key: unb64(v.got.pkcs8RoundTrip), format: 'der', type: 'pkcs8' });
        console.log(JSON.stringify({
          generated: crypto.verify(null, Buffer.from(v.made.msg), pub, unb64(v.got.generatedSig)),
          roundTrip: roundTrip.export({ format: 'jwk' }).d === v.made.edJwk.d,
        }));
        "#,
    );
    assert_eq!(checked, json!({"generated": true, "roundTrip": true}));
}

#[test]
fn symmetric_algorithms_match_node() {
    let input = node(
        &json!({}),
        r#"
        const r = (n) => b64(crypto.randomBytes(n));
        console.log(JSON.stringify({ key: r(32), data: r(77), iv16: r(16), aad: r(9), counter: r(16), salt: r(20), info: r(11) }));
        "#,
    );
    let h = start();
    let got = post(&h, "/symmetric", input.clone());
    let expected = node(
        &input,
        r#"
        const s = crypto.webcrypto.subtle;
        const key = unb64(v.key), data = unb64(v.data);
        const aes = (name, usages = ['encrypt']) => s.importKey('raw', key, name, true, usages);
        const ab = (b) => b64(new Uint8Array(b));
        const gcm = { name: 'AES-GCM', iv: unb64(v.iv16), additionalData: unb64(v.aad), tagLength: 96 };
        const kw = await s.importKey('raw', key, 'AES-KW', false, ['wrapKey']);
        const hkdfKey = await s.importKey('raw', key, 'HKDF', false, ['deriveBits']);
        const hkdf = { name: 'HKDF', hash: 'SHA-512', salt: unb64(v.salt), info: unb64(v.info) };
        const pbkdf2Key = await s.importKey('raw', key, 'PBKDF2', false, ['deriveBits']);
        console.log(JSON.stringify({
          gcm: ab(await s.encrypt(gcm, await aes('AES-GCM'), data)),
          cbc: ab(await s.encrypt({ name: 'AES-CBC', iv: unb64(v.iv16) }, await aes('AES-CBC'), data)),
          ctr: ab(await s.encrypt({ name: 'AES-CTR', counter: unb64(v.counter), length: 64 }, await aes('AES-CTR'), data)),
          kw: ab(await s.wrapKey('raw', await aes('AES-CBC'), kw, 'AES-KW')),
          hkdf: ab(await s.deriveBits(hkdf, hkdfKey, 336)),
          hkdfAes: ab(await s.deriveBits(hkdf, hkdfKey, 128)),
          pbkdf2: ab(await s.deriveBits({ name: 'PBKDF2', hash: 'SHA-384', salt: unb64(v.salt), iterations: 1000 }, pbkdf2Key, 256)),
          hmacK: Buffer.from(key).toString('base64url'),
          md5: b64(crypto.createHash('md5').update(data).digest()),
        }));
        "#,
    );
    for field in [
        "gcm", "cbc", "ctr", "kw", "hkdf", "hkdfAes", "pbkdf2", "md5",
    ] {
        assert_eq!(got[field], expected[field], "{field}");
    }
    for back in [
        "gcmBack",
        "cbcBack",
        "ctrBack",
        "kwUnwrapped",
        "jwkUnwrapped",
    ] {
        assert_eq!(
            got[back],
            input[if back.starts_with("kw") || back.starts_with("jwk") {
                "key"
            } else {
                "data"
            }],
            "{back}"
        );
    }
    assert_eq!(got["gcmTampered"], "OperationError");
    assert_eq!(got["pbkdf2TooMany"], "NotSupportedError");
    assert_eq!(
        got["hmacJwk"],
        json!({"kty": "oct", "k": expected["hmacK"], "alg": "HS384", "key_ops": ["sign"], "ext": true})
    );
}

#[test]
fn digest_stream_hashes_what_is_written() {
    let chunks = json!(["hello ", "streaming ", "world", ""]);
    let h = start();
    let got = post(&h, "/digest-stream", json!({ "chunks": chunks }));
    let expected = node(
        &json!({ "chunks": chunks }),
        r#"
        const all = v.chunks.join('');
        const d = (alg) => b64(crypto.createHash(alg).update(all).digest());
        console.log(JSON.stringify({ 'SHA-256': d('sha256'), MD5: d('md5'), 'SHA-512': d('sha512') }));
        "#,
    );
    for alg in ["SHA-256", "MD5", "SHA-512"] {
        assert_eq!(got[alg], expected[alg], "{alg}");
    }
    assert_eq!(got["SHA-256 bytesWritten"], 21);
    assert_eq!(got["isWritable"], true);
    assert_eq!(got["unknown"], "NotSupportedError");
}

#[test]
fn crypto_classes_are_exposed_as_the_spec_describes() {
    let h = start();
    let (status, got) = h.json("GET", "/classes", None);
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got,
        json!({
            "crypto": true,
            "subtle": true,
            "key": true,
            "tag": "[object CryptoKey]",
            "type": "secret",
            "extractable": false,
            "algorithm": {"name": "AES-GCM", "length": 256},
            "usages": ["encrypt"],
            "ownKeys": [],
            "prototypeGetters": true,
            "newCryptoKey": "TypeError",
            "newSubtle": "TypeError",
            "newCrypto": "TypeError",
            "globalsEnumerable": [],
            "timingSafeEqual": [true, false],
            "timingSafeEqualLengths": "TypeError",
        })
    );
}

#[test]
fn misuse_rejects_with_the_dom_exception_names_web_crypto_specifies() {
    let h = start();
    let (status, got) = h.json("GET", "/errors", None);
    assert_eq!(status, 200, "{got}");
    assert_eq!(
        got,
        json!({
            "unknownAlgorithm": "NotSupportedError",
            "unknownCurve": "NotSupportedError",
            "wrongUsage": "InvalidAccessError",
            "wrongAlgorithm": "InvalidAccessError",
            "notExtractable": "InvalidAccessError",
            "privateAsSpki": "InvalidAccessError",
            "badUsageForKey": "SyntaxError",
            "emptyUsages": "SyntaxError",
            "invalidUsageString": "TypeError",
            "badKeyLength": "DataError",
            "badSpki": "DataError",
            "jwkWrongKty": "DataError",
            "jwkKeyOps": "DataError",
            "badFormat": "TypeError",
            "badPadding": "OperationError",
            "badIv": "OperationError",
            "missingMember": "TypeError",
            "badTagLength": "OperationError",
            "hkdfExtractable": "SyntaxError",
            "ecdhPublicUsage": "SyntaxError",
            "ecdhCurveMismatch": "DataError",
            "rsaExponent": "OperationError",
        })
    );
}

#[test]
fn heavy_crypto_in_a_loop_still_hits_the_cpu_limit() {
    let project = write_project(&[
        (
            "wrangler.toml",
            "name = \"cpu\"\nmain = \"index.js\"\ncompatibility_date = \"2025-01-01\"\n\n[limits]\ncpu_ms = 200\n",
        ),
        (
            "index.js",
            r#"
            export default {
              async fetch(request) {
                const path = new URL(request.url).pathname;
                if (path === '/ok') return new Response('ok');
                const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'PBKDF2', false, ['deriveBits']);
                for (;;) {
                  if (path === '/rsa') {
                    await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['decrypt']);
                  } else {
                    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-512', salt: new Uint8Array(8), iterations: 100000 }, key, 512);
                  }
                }
              },
            };
            "#,
        ),
    ]);
    let h = Hearth::start(project.path(), &["--threads", "1"]);
    let cpu_errors = |h: &Hearth| h.logs().matches("CPU time limit").count();
    for path in ["/pbkdf2", "/rsa"] {
        let before = cpu_errors(&h);
        let start = Instant::now();
        let (status, body) = h.get(path);
        assert!(status >= 500, "{path}: {status} {body}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path} ran {:?} past a 200 ms limit",
            start.elapsed()
        );
        // The log line may land just after the response.
        let logged = Instant::now() + Duration::from_secs(10);
        while cpu_errors(&h) == before {
            assert!(
                Instant::now() < logged,
                "{path}: no CPU limit error logged:\n{}",
                h.logs()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(h.get("/ok"), (200, "ok".into()));
    }
}
