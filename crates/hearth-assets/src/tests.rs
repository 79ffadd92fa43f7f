//! Routing tables from Cloudflare's html_handling and not_found_handling
//! documentation, checked against a scanned folder.

use super::*;
use hearth_config::assets::{Assets as Config, HtmlHandling, NotFoundHandling, RunWorkerFirst};
use std::sync::atomic::{AtomicUsize, Ordering};

fn folder(files: &[(&str, &str)]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "hearth-assets-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(dir: &Path, html: HtmlHandling, nf: NotFoundHandling) -> Config {
    Config {
        directory: dir.to_path_buf(),
        binding: None,
        html_handling: html,
        not_found_handling: nf,
        run_worker_first: RunWorkerFirst::Never,
    }
}

fn get(assets: &Assets, path: &str) -> (u16, String) {
    let uri: http::Uri = path.parse().unwrap();
    let r = assets.serve(&Method::GET, &uri, &HeaderMap::new());
    let status = r.status().as_u16();
    if let Some(loc) = r.headers().get("location") {
        return (status, loc.to_str().unwrap().to_string());
    }
    (status, String::from_utf8_lossy(r.body()).into_owned())
}

const SITE: &[(&str, &str)] = &[
    ("index.html", "home"),
    ("file.html", "file"),
    ("folder/index.html", "folder"),
    ("both.html", "both-file"),
    ("both/index.html", "both-folder"),
    ("blog/404.html", "blog-404"),
    ("404.html", "root-404"),
    ("img/logo.svg", "<svg/>"),
];

#[test]
fn auto_trailing_slash() {
    let dir = folder(SITE);
    let a = Assets::load(
        &config(
            &dir,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap();
    for (path, want) in [
        ("/", (200, "home")),
        ("/index.html", (307, "/")),
        ("/file", (200, "file")),
        ("/file.html", (307, "/file")),
        ("/file/", (307, "/file")),
        ("/file/index", (307, "/file")),
        ("/file/index.html", (307, "/file")),
        ("/folder", (307, "/folder/")),
        ("/folder.html", (307, "/folder/")),
        ("/folder/", (200, "folder")),
        ("/folder/index", (307, "/folder/")),
        ("/folder/index.html", (307, "/folder/")),
        ("/both", (200, "both-file")),
        ("/both/", (200, "both-folder")),
        ("/img/logo.svg", (200, "<svg/>")),
        ("/file.html?x=1", (307, "/file?x=1")),
        ("/missing", (404, "")),
    ] {
        assert_eq!(get(&a, path), (want.0, want.1.to_string()), "{path}");
    }
}

#[test]
fn force_and_drop_trailing_slash() {
    let dir = folder(SITE);
    let force = Assets::load(
        &config(
            &dir,
            HtmlHandling::ForceTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap();
    for (path, want) in [
        ("/file", (307, "/file/")),
        ("/file.html", (307, "/file/")),
        ("/file/", (200, "file")),
        ("/folder", (307, "/folder/")),
        ("/folder/", (200, "folder")),
        ("/folder/index.html", (307, "/folder/")),
    ] {
        assert_eq!(
            get(&force, path),
            (want.0, want.1.to_string()),
            "force {path}"
        );
    }
    let drop = Assets::load(
        &config(
            &dir,
            HtmlHandling::DropTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap();
    for (path, want) in [
        ("/", (200, "home")),
        ("/index.html", (307, "/")),
        ("/file", (200, "file")),
        ("/file/", (307, "/file")),
        ("/folder", (200, "folder")),
        ("/folder/", (307, "/folder")),
        ("/folder/index.html", (307, "/folder")),
    ] {
        assert_eq!(
            get(&drop, path),
            (want.0, want.1.to_string()),
            "drop {path}"
        );
    }
    let none = Assets::load(
        &config(&dir, HtmlHandling::None, NotFoundHandling::None),
        true,
    )
    .unwrap();
    assert_eq!(get(&none, "/file"), (404, String::new()));
    assert_eq!(get(&none, "/file.html"), (200, "file".into()));
}

#[test]
fn not_found_handling() {
    let dir = folder(SITE);
    let page = Assets::load(
        &config(
            &dir,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::NotFoundPage,
        ),
        true,
    )
    .unwrap();
    assert_eq!(get(&page, "/blog/x/y"), (404, "blog-404".into()));
    assert_eq!(get(&page, "/nope"), (404, "root-404".into()));
    let spa = Assets::load(
        &config(
            &dir,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::SinglePageApplication,
        ),
        true,
    )
    .unwrap();
    assert_eq!(get(&spa, "/app/route"), (200, "home".into()));
}

#[test]
fn worker_first_decisions() {
    let dir = folder(SITE);
    let mut c = config(
        &dir,
        HtmlHandling::AutoTrailingSlash,
        NotFoundHandling::SinglePageApplication,
    );
    let a = Assets::load(&c, true).unwrap();
    let ask = |a: &Assets, path: &str, navigate: bool| {
        let mut h = HeaderMap::new();
        if navigate {
            h.insert("sec-fetch-mode", "navigate".parse().unwrap());
        }
        a.worker_first(&Method::GET, &path.parse().unwrap(), &h, true)
    };
    assert!(!ask(&a, "/file", false));
    // SPA fallback does not hide the worker from API calls...
    assert!(ask(&a, "/api/x", false));
    // ...but a browser navigation gets the app.
    assert!(!ask(&a, "/app/route", true));
    c.run_worker_first = RunWorkerFirst::Routes {
        worker: vec!["/api/*".into()],
        assets: vec!["/api/docs/*".into()],
    };
    let a = Assets::load(&c, true).unwrap();
    assert!(ask(&a, "/api/x", false));
    assert!(!ask(&a, "/api/docs/x", false));
    assert!(!ask(&a, "/other", false));
    c.run_worker_first = RunWorkerFirst::Always;
    let a = Assets::load(&c, true).unwrap();
    assert!(ask(&a, "/file", false));
    assert!(!a.worker_first(
        &Method::GET,
        &"/x".parse().unwrap(),
        &HeaderMap::new(),
        false
    ));
}

#[test]
fn assetsignore_and_limits() {
    let dir = folder(&[
        ("index.html", "x"),
        ("secret.txt", "s"),
        ("logs/a.log", "l"),
        (".assetsignore", "secret.txt\nlogs/\n"),
        ("_headers", "/*\n  X-A: b\n"),
    ]);
    let a = Assets::load(
        &config(
            &dir,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(get(&a, "/_headers").0, 404);
    assert_eq!(get(&a, "/.assetsignore").0, 404);
    let big = folder(&[]);
    std::fs::write(big.join("big.bin"), vec![0u8; MAX_ASSET_SIZE as usize + 1]).unwrap();
    let err = Assets::load(
        &config(
            &big,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap_err();
    assert!(err.to_string().contains("big.bin"), "{err}");
    let missing = config(
        &dir.join("nope"),
        HtmlHandling::None,
        NotFoundHandling::None,
    );
    assert!(Assets::load(&missing, true)
        .unwrap_err()
        .to_string()
        .contains("nope"));
}

#[test]
fn encoded_paths_redirect_to_their_canonical_form() {
    let dir = folder(&[("a b.txt", "space"), ("[x].txt", "brackets")]);
    let a = Assets::load(
        &config(
            &dir,
            HtmlHandling::AutoTrailingSlash,
            NotFoundHandling::None,
        ),
        true,
    )
    .unwrap();
    assert_eq!(get(&a, "/a%20b.txt"), (200, "space".into()));
    assert_eq!(get(&a, "/%5Bx%5D.txt"), (200, "brackets".into()));
    assert_eq!(get(&a, "/[x].txt"), (307, "/%5Bx%5D.txt".into()));
}
