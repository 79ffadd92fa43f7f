//! Rate limiting bindings: `[[ratelimits]]` and `[[unsafe.bindings]] type =
//! "ratelimit"`, counted per key in a fixed window; periods other than 10
//! and 60 seconds are refused at start-up.

use hearth_tests::{write_project, Hearth};

const WORKER: &str = "export default { async fetch(req, env) {\n\
  const url = new URL(req.url);\n\
  try {\n\
    const b = env[url.searchParams.get('b')];\n\
    const opts = url.searchParams.has('bad') ? { key: 'k', colour: 1 } : { key: url.searchParams.get('key') };\n\
    const { success } = await b.limit(opts);\n\
    return new Response(String(success));\n\
  } catch (e) { return new Response(e.message, { status: 400 }); }\n\
} };\n";

#[test]
fn limits_per_key_and_namespace() {
    let project = write_project(&[
        (
            "wrangler.toml",
            "name = \"rl\"\nmain = \"index.js\"\ncompatibility_date = \"2024-09-23\"\n\
             [[ratelimits]]\nname = \"RL\"\nnamespace_id = \"1001\"\nsimple = { limit = 3, period = 60 }\n\
             [[ratelimits]]\nname = \"SAME\"\nnamespace_id = \"1001\"\nsimple = { limit = 3, period = 60 }\n\
             [[unsafe.bindings]]\nname = \"OLD\"\ntype = \"ratelimit\"\nnamespace_id = \"1002\"\nsimple = { limit = 1, period = 10 }\n",
        ),
        ("index.js", WORKER),
    ]);
    let h = Hearth::start(project.path(), &[]);
    let calls: Vec<String> = (0..4).map(|_| h.get("/?b=RL&key=a").1).collect();
    assert_eq!(calls, ["true", "true", "true", "false"]);
    // Another key has its own count; a binding of the same namespace shares it.
    assert_eq!(h.get("/?b=RL&key=b").1, "true");
    assert_eq!(h.get("/?b=SAME&key=a").1, "false");
    assert_eq!(h.get("/?b=OLD&key=a").1, "true");
    assert_eq!(h.get("/?b=OLD&key=a").1, "false");
    assert_eq!(
        h.get("/?b=RL&bad=1"),
        (400, "bad rate limit options: [colour]".to_string())
    );
    assert!(!h.logs().contains("unsafe"), "{}", h.logs());
}

#[test]
fn other_periods_are_refused_at_start() {
    let project = write_project(&[
        (
            "wrangler.toml",
            "name = \"rl\"\nmain = \"index.js\"\n\
             [[ratelimits]]\nname = \"RL\"\nnamespace_id = \"1001\"\nsimple = { limit = 3, period = 30 }\n",
        ),
        ("index.js", WORKER),
    ]);
    let logs = match Hearth::try_start(project.path(), &[]) {
        Ok(_) => panic!("a 30-second period was accepted"),
        Err(logs) => logs,
    };
    assert!(
        logs.contains("ratelimits[0].simple.period") && logs.contains("10 or 60"),
        "{logs}"
    );
}
