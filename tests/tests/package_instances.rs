//! A package with both `main` (CommonJS) and `module` (ESM) loads once per
//! isolate, whether it is imported or required: two copies break code that
//! shares state or classes through it (every Remix 2 app does).

use hearth_tests::{write_project, Hearth};

#[test]
fn import_and_require_of_a_dual_package_share_one_instance() {
    let dir = write_project(&[
        (
            "wrangler.toml",
            "name = \"dual\"\nmain = \"src/index.js\"\ncompatibility_date = \"2025-01-01\"\n",
        ),
        (
            "src/index.js",
            "import { next, registry, Thing } from 'dual';\n\
             import viaRequire from './helper.cjs';\n\
             export default {\n\
               fetch() {\n\
                 next();\n\
                 registry.set('from-import', 1);\n\
                 const other = viaRequire();\n\
                 return Response.json({\n\
                   count: other.next(),\n\
                   keys: [...registry.keys()],\n\
                   sameClass: other.Thing === Thing,\n\
                   sameMap: other.registry === registry,\n\
                 });\n\
               },\n\
             };\n",
        ),
        (
            "src/helper.cjs",
            "const dual = require('dual');\n\
             module.exports = () => { dual.registry.set('from-require', 2); return dual; };\n",
        ),
        (
            "node_modules/dual/package.json",
            r#"{"name":"dual","main":"dist/index.cjs.js","module":"dist/index.esm.js"}"#,
        ),
        (
            "node_modules/dual/dist/index.cjs.js",
            "let n = 0;\nexports.next = () => ++n;\nexports.registry = new Map();\n\
             class Thing {}\nexports.Thing = Thing;\n",
        ),
        (
            "node_modules/dual/dist/index.esm.js",
            "let n = 0;\nexport const next = () => ++n;\nexport const registry = new Map();\n\
             export class Thing {}\n",
        ),
    ]);
    let h = Hearth::start(dir.path(), &[]);
    let (status, body) = h.get("/");
    assert_eq!(status, 200, "{body}\n{}", h.logs());
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["count"], 2, "{v}");
    assert_eq!(
        v["keys"],
        serde_json::json!(["from-import", "from-require"]),
        "{v}"
    );
    assert_eq!(v["sameClass"], true, "{v}");
    assert_eq!(v["sameMap"], true, "{v}");
}
