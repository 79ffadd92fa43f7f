//! Black-box tests of the KV examples in `examples/` (todo, redirects,
//! blocklist, translations, gifs), each copied to a fresh folder.

use hearth_tests::{copy_project, hearth_bin, repo_root, request, request_full, Hearth};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn kv(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(hearth_bin())
        .arg("kv")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hearth kv {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn kv_example_todo_in_a_browser() {
    let root = repo_root();
    let node_modules = root.join(".tools/browser/node_modules");
    assert!(
        node_modules.join("playwright-core").exists(),
        "playwright-core is missing: run scripts/test.sh (it installs it into .tools/browser)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "chromium is missing: apt-get install -y chromium (scripts/test.sh does)"
    );
    let dir = copy_project(&root.join("examples/todo"));
    let h = Hearth::start(dir.path(), &[]);
    // The page renders with an empty list for a new visitor.
    let (status, body) = h.get("/");
    assert_eq!(status, 200);
    assert!(body.contains("window.todos = []"), "{body}");
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new("node")
        .arg(root.join("examples/todo/test/browser.mjs"))
        .arg(format!("{}/", h.url))
        .arg(profile.path())
        .env("NODE_PATH", &node_modules)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: kill the browser driver after 120 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("browser test timed out");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("PASS"),
        "browser test failed:\n{stdout}\n{stderr}\n{}",
        h.logs()
    );
    // The list was written through the binding under data-<client IP>.
    let stored = kv(
        dir.path(),
        &[
            "key",
            "get",
            "data-127.0.0.1",
            "--binding",
            "KRISTIAN_TODOS",
            "--text",
        ],
    );
    let stored: Value = serde_json::from_str(stored.trim()).unwrap();
    assert_eq!(
        stored,
        serde_json::json!({"todos": [
            {"id": 1, "name": "Buy milk", "completed": false},
            {"id": 2, "name": "Write tests", "completed": true}
        ]})
    );
    // The server-side render shows the persisted list too.
    let (status, body) = h.get("/");
    assert_eq!(status, 200);
    assert!(body.contains("Write tests"));
    // Invalid JSON is refused and does not overwrite the list.
    let (status, _) = request(&h.url, "PUT", &[], Some(b"{not json"));
    assert_eq!(status, 500);
    let again = kv(
        dir.path(),
        &[
            "key",
            "get",
            "data-127.0.0.1",
            "--binding",
            "KRISTIAN_TODOS",
            "--text",
        ],
    );
    assert_eq!(serde_json::from_str::<Value>(again.trim()).unwrap(), stored);
}

#[test]
fn kv_example_redirects_loaded_by_bulk_file() {
    let dir = copy_project(&repo_root().join("examples/redirects"));
    let out = kv(
        dir.path(),
        &["bulk", "put", "redirects.json", "--binding", "REDIRECTS"],
    );
    assert!(out.contains("10000 of 10000"), "{out}");
    let h = Hearth::start(dir.path(), &[]);
    for n in [0, 42, 9999] {
        let (status, _, headers) =
            request_full(&format!("{}/redirect/{n:05}", h.url), "GET", &[], None);
        assert_eq!(status, 302);
        assert_eq!(
            header(&headers, "location"),
            Some(format!("{}/articles/{n}", h.url).as_str())
        );
    }
    assert_eq!(h.get("/redirect/nope").0, 404);
    assert_eq!(h.get("/").0, 404);
    // A new redirect added while it runs works without a restart.
    kv(
        dir.path(),
        &["key", "put", "/new", "/landing", "--binding", "REDIRECTS"],
    );
    let (status, _, headers) = request_full(&format!("{}/redirect/new", h.url), "GET", &[], None);
    assert_eq!(status, 302);
    assert_eq!(
        header(&headers, "location"),
        Some(format!("{}/landing", h.url).as_str())
    );
}

#[test]
fn kv_example_blocklist_blocks_for_a_week() {
    let dir = copy_project(&repo_root().join("examples/blocklist"));
    let auth = ("Authorization", "Bearer change-me");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    {
        let h = Hearth::start(dir.path(), &[]);
        assert_eq!(h.get("/"), (200, "Welcome, 127.0.0.1!\n".into()));
        // Admin endpoints need the token.
        let (status, _) = request(
            &format!("{}/admin/block?ip=127.0.0.1", h.url),
            "POST",
            &[],
            None,
        );
        assert_eq!(status, 403);
        assert_eq!(h.get("/").0, 200);
        let (status, body) = request(
            &format!("{}/admin/block?ip=127.0.0.1&reason=spam", h.url),
            "POST",
            &[auth],
            None,
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = h.get("/anything");
        assert_eq!(status, 403);
        assert_eq!(body, "Your IP 127.0.0.1 is blocked: spam\n");
        // Blocking someone else does not block us; unblocking works.
        request(
            &format!("{}/admin/block?ip=10.0.0.9", h.url),
            "POST",
            &[auth],
            None,
        );
        request(
            &format!("{}/admin/unblock?ip=127.0.0.1", h.url),
            "POST",
            &[auth],
            None,
        );
        assert_eq!(h.get("/").0, 200);
        request(
            &format!("{}/admin/block?ip=127.0.0.1", h.url),
            "POST",
            &[auth],
            None,
        );
        assert_eq!(h.get("/").0, 403);
    }
    // The key expires a week after it was written.
    let listed: Value =
        serde_json::from_str(&kv(dir.path(), &["key", "list", "--binding", "BLOCKLIST"])).unwrap();
    let keys = listed.as_array().unwrap();
    assert_eq!(keys.len(), 2, "{listed}");
    for key in keys {
        let exp = key["expiration"].as_i64().unwrap();
        assert!(
            (now + 604_800..=now + 604_800 + 30).contains(&exp),
            "{key} vs now {now}"
        );
    }
    // Six days later: still blocked. Eight days later: the block has lifted.
    let h = Hearth::start_with_env(
        dir.path(),
        &[],
        &[("HEARTH_KV_CLOCK_OFFSET_SECS", "518400")],
    );
    assert_eq!(h.get("/").0, 403);
    drop(h);
    let h = Hearth::start_with_env(
        dir.path(),
        &[],
        &[("HEARTH_KV_CLOCK_OFFSET_SECS", "691200")],
    );
    assert_eq!(h.get("/"), (200, "Welcome, 127.0.0.1!\n".into()));
}

#[test]
fn kv_example_translations() {
    let dir = copy_project(&repo_root().join("examples/translations"));
    let out = kv(
        dir.path(),
        &[
            "bulk",
            "put",
            "translations.json",
            "--binding",
            "TRANSLATIONS",
        ],
    );
    assert!(out.contains("15 of 15"), "{out}");
    let h = Hearth::start(dir.path(), &[]);
    let (status, body) = h.get("/?lang=fr");
    assert_eq!(status, 200);
    assert!(body.contains("<html lang=\"fr\">"), "{body}");
    assert!(body.contains("<title>Bienvenue</title>"));
    assert!(body.contains("<h1>Bonjour le monde</h1>"));
    assert!(body.contains("S&#39;inscrire"), "escaped: {body}");
    assert!(!body.contains("{{"));
    // Accept-Language, UTF-8.
    let (status, bytes, headers) = request_full(
        &h.url,
        "GET",
        &[("Accept-Language", "ja-JP,ja;q=0.9,en;q=0.5")],
        None,
    );
    assert_eq!(status, 200);
    let body = String::from_utf8(bytes).unwrap();
    assert!(body.contains("<h1>こんにちは世界</h1>"), "{body}");
    assert_eq!(header(&headers, "content-language"), Some("ja"));
    // German lacks "signup": English fallback.
    let (_, body) = h.get("/?lang=de");
    assert!(body.contains("<p>Schnelle Seiten, überall.</p>"), "{body}");
    assert!(body.contains(">Sign up</a>"), "{body}");
    // Default English.
    let (_, body) = h.get("/");
    assert!(body.contains("<h1>Hello, world</h1>"));
    // Changing one string takes effect at once.
    kv(
        dir.path(),
        &[
            "key",
            "put",
            "fr:headline",
            "Salut tout le monde",
            "--binding",
            "TRANSLATIONS",
        ],
    );
    let (_, body) = h.get("/?lang=fr");
    assert!(body.contains("<h1>Salut tout le monde</h1>"), "{body}");
}

#[test]
fn kv_example_gifs_binary_over_2_mib() {
    let dir = copy_project(&repo_root().join("examples/gifs"));
    let h = Hearth::start(dir.path(), &[]);
    // A GIF header followed by 3 MiB of pseudo-random bytes.
    let mut gif = b"GIF89a".to_vec();
    let mut x: u32 = 12345;
    while gif.len() < 3 * 1024 * 1024 + 17 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        gif.push((x >> 16) as u8);
    }
    let (status, body) = request(
        &format!("{}/gifs/party.gif", h.url),
        "PUT",
        &[("Content-Type", "image/gif")],
        Some(&gif),
    );
    assert_eq!(status, 201, "{body}");
    let (status, bytes, headers) =
        request_full(&format!("{}/gifs/party.gif", h.url), "GET", &[], None);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("image/gif"));
    assert!(
        bytes == gif,
        "served {} bytes, uploaded {}",
        bytes.len(),
        gif.len()
    );
    // The maximum, 25 MiB, round-trips too.
    let max: Vec<u8> = (0..25 * 1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let (status, body) = request(
        &format!("{}/gifs/max.bin", h.url),
        "PUT",
        &[("Content-Type", "application/octet-stream")],
        Some(&max),
    );
    assert_eq!(status, 201, "{body}");
    let (_, bytes, _) = request_full(&format!("{}/gifs/max.bin", h.url), "GET", &[], None);
    assert!(bytes == max, "served {} bytes", bytes.len());
    // The listing carries the metadata; the CLI reads the same bytes.
    let (_, body) = h.get("/gifs");
    let listed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(listed[1]["name"], "party.gif");
    assert_eq!(listed[1]["contentType"], "image/gif");
    assert_eq!(listed[1]["size"], gif.len());
    let out = Command::new(hearth_bin())
        .args(["kv", "key", "get", "party.gif", "--binding", "GIFS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.stdout == gif, "CLI read {} bytes", out.stdout.len());
    assert_eq!(h.get("/gifs/missing.gif").0, 404);
}
