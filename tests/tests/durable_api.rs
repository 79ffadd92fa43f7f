//! Durable Objects, black-box: namespaces and ids, stubs (fetch and RPC),
//! the storage API with its limits, transactions, SQL, in-order delivery,
//! isolation between objects and idle eviction.

mod durable_support;

use durable_support::{eventually, json, Project};
use hearth_tests::request;
use serde_json::json as j;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn ids_are_deterministic_parse_strictly_and_compare() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/ids");
    let alpha = v["alpha"].as_str().unwrap();
    assert_eq!(alpha.len(), 64);
    assert!(alpha.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(v["sameName"], true);
    assert_eq!(v["equals"], true);
    assert_eq!(v["notEquals"], false);
    assert_eq!(v["name"], "alpha");
    assert_eq!(v["uniqueName"], j!(null));
    assert_eq!(v["uniqueDistinct"], true);
    assert_eq!(v["uniqueHex"], true);
    assert_eq!(v["parsedEquals"], true);
    assert_eq!(v["parsedString"], alpha);
    assert_eq!(v["otherNamespaceDiffers"], true);
    assert_eq!(v["jurisdiction"], 64);
    for case in ["short", "nonHex", "empty"] {
        let e = &v["malformed"][case];
        assert_eq!(e["name"], "TypeError", "{case}: {e}");
        let message = e["message"].as_str().unwrap();
        assert!(
            message.contains("Invalid Durable Object ID") && message.contains("64 hex"),
            "{case}: {message}"
        );
    }
    assert_eq!(v["getNonId"]["name"], "TypeError");
    // get(idFromString(x)), getByName(name) and get(newUniqueId()) reach objects
    assert_eq!(v["viaString"]["id"], alpha);
    assert_eq!(v["viaName"]["id"], alpha);
    assert_eq!(v["viaString"]["boots"], 1);
    assert_eq!(v["viaName"]["boots"], 1, "one instance per id");
    assert_ne!(v["viaUnique"]["id"], alpha);
    assert_eq!(v["stubId"], true);

    // The same name gives the same id in another process on the same state.
    drop(h);
    let h = p.start();
    let again = json(&h, "/run/ids");
    assert_eq!(again["alpha"], alpha);
    assert_ne!(again["viaUnique"]["id"], v["viaUnique"]["id"]);
}

#[test]
fn object_sees_its_own_id_and_name() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/lab/whoami?name=named-object");
    let ids = json(&h, "/run/ids");
    assert_eq!(v["id"].as_str().unwrap().len(), 64);
    assert_ne!(v["id"], ids["alpha"]);
    assert_eq!(v["name"], "named-object");
}

#[test]
fn stub_fetch_forwards_method_url_headers_and_body() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/fetchStub");
    assert_eq!(v["status"], 200);
    assert_eq!(v["type"], "application/json");
    assert_eq!(v["body"]["path"], "/some/path");
    assert_eq!(v["body"]["method"], "POST");
    assert_eq!(v["body"]["body"], "payload");
    assert_eq!(v["body"]["header"], "yes");
    assert_eq!(v["second"], "/second");
}

#[test]
fn rpc_returns_structured_values_and_propagates_errors() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/rpc");
    assert_eq!(v["echoString"], "hi");
    assert_eq!(v["echoNested"], j!({"a": [1, {"b": "c"}], "n": null}));
    assert_eq!(v["echoUndefined"], true);
    assert_eq!(v["map"], j!(["a", "b"]));
    assert_eq!(v["mapDeepDate"], true);
    assert_eq!(v["set"], j!(["x", "y"]));
    assert_eq!(v["date"], "2023-11-14T22:13:20.000Z");
    assert_eq!(v["bytes"], j!([1, 2, 3]));
    assert_eq!(v["big"], "12345678901234567890");
    assert_eq!(v["nested"], j!([null, "undef", "x", "-0", "NaN", "Inf"]));
    assert_eq!(
        v["thrown"],
        j!({"name": "RangeError", "message": "bad input 42"})
    );
    assert_eq!(
        v["thrownLater"],
        j!({"name": "Error", "message": "async failure"})
    );
    assert_eq!(v["unknown"]["name"], "TypeError");
    assert!(v["unknown"]["message"]
        .as_str()
        .unwrap()
        .contains("noSuchMethod"));
    assert_eq!(v["afterErrors"], "still alive");
    assert_eq!(v["unclonable"]["name"], "DataCloneError");
    assert_eq!(v["plainClass"], 1, "classes from new_classes work too");
}

#[test]
fn storage_api_values_batches_list_and_limits() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/storage");
    let s = &v["structured"];
    assert_eq!(s["isMap"], true);
    assert_eq!(s["mapOne"], "one");
    assert_eq!(s["setHas2"], true);
    assert_eq!(s["date"], 86400000);
    assert_eq!(s["typed"], j!([1.5, -2.25]));
    assert_eq!(s["bytes"], j!([0, 255, 7]));
    assert_eq!(
        s["nested"],
        j!({"list": [1, {"deep": true}], "nothing": null})
    );
    assert_eq!(s["big"], true);
    assert_eq!(s["cycle"], true, "cycles survive structured clone");

    assert_eq!(v["single"], 1);
    assert_eq!(v["missing"], true);
    assert_eq!(v["batchGet"]["isMap"], true);
    assert_eq!(v["batchGet"]["entries"], j!([["a", 1], ["b", 2], ["c", 3]]));
    assert_eq!(v["deleteOne"], true);
    assert_eq!(v["deleteAgain"], false);
    assert_eq!(v["deleteMany"], 2);

    let l = &v["list"];
    assert_eq!(
        l["all"],
        j!(["a", "b", "c", "d", "p:1", "p:2", "p:3", "structured"])
    );
    assert_eq!(l["prefix"], j!(["p:1", "p:2", "p:3"]));
    assert_eq!(
        l["start"],
        j!(["c", "d", "p:1"]),
        "start inclusive, end exclusive"
    );
    assert_eq!(l["startAfter"], j!(["d", "p:1"]));
    assert_eq!(l["reverse"], j!(["structured", "p:3", "p:2"]));
    assert_eq!(l["reversePrefix"], j!(["p:3", "p:2", "p:1"]));

    let lim = &v["limits"];
    for case in ["longKeyPut", "longKeyGet"] {
        let m = lim[case]["message"].as_str().unwrap_or_default();
        assert!(
            m.contains("2048") && m.contains("2049"),
            "{case}: {}",
            lim[case]
        );
    }
    assert_eq!(lim["keyAtLimit"], j!(null), "a 2048-byte key is allowed");
    for case in ["tooManyPut", "tooManyGet", "tooManyDelete"] {
        let m = lim[case]["message"].as_str().unwrap_or_default();
        assert!(
            m.contains("128") && m.contains("129"),
            "{case}: {}",
            lim[case]
        );
    }
    assert_eq!(lim["exactly128"], j!(null));
    let huge = lim["hugeValue"]["message"].as_str().unwrap_or_default();
    assert!(huge.contains("2097152"), "{huge}");
    assert_eq!(lim["undefinedValue"]["name"], "TypeError");
    assert_eq!(lim["functionValue"]["name"], "DataCloneError");
    assert_eq!(lim["nonStringKey"]["name"], "TypeError");
    assert_eq!(v["afterLimits"]["tooManyNotWritten"], true);
    assert_eq!(v["afterLimits"]["exactly128Written"], true);

    let kv = &v["syncKv"];
    assert_eq!(kv["get"], j!({"n": 1}));
    assert_eq!(kv["asyncSees"], j!({"n": 1}));
    assert_eq!(kv["list"], j!(["sync"]));
    assert_eq!(kv["deleted"], true);
    assert_eq!(kv["gone"], true);
    assert_eq!(v["afterDeleteAll"], 0);
}

#[test]
fn storage_is_one_sqlite_file_per_object_under_persist_to() {
    let p = Project::new();
    let h = p.start();
    assert_eq!(json(&h, "/lab/put?name=files&key=k&value=v"), j!(true));
    let id = json(&h, "/lab/whoami?name=files")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let file = p
        .state
        .path()
        .join("do")
        .join("Lab")
        .join(format!("{id}.sqlite3"));
    assert!(file.exists(), "{} missing", file.display());
    // and it is still there after a restart
    drop(h);
    let h = p.start();
    assert_eq!(json(&h, "/lab/read?name=files&key=k"), j!("v"));
}

#[test]
fn transactions_commit_roll_back_on_throw_and_on_rollback() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/transactions");
    assert_eq!(v["committed"], "ok");
    assert_eq!(v["afterCommit"], j!([90, "withdrew 10"]));
    assert_eq!(v["thrown"]["message"], "insufficient funds");
    assert_eq!(
        v["afterThrow"],
        j!([90, "withdrew 10"]),
        "thrown txn rolled back"
    );
    assert_eq!(v["afterRollback"], 90, "txn.rollback() undid the put");
    assert_eq!(v["syncThrown"]["message"], "sync boom");
    assert_eq!(v["syncResult"], 7);
    assert_eq!(v["afterSync"], j!([null, 1]));
    assert_eq!(
        v["syncedRows"], 0,
        "the SQL of a thrown transactionSync rolled back"
    );
}

#[test]
fn sql_exec_bindings_cursors_and_errors() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/sql");
    assert_eq!(v["insertWritten"], 3);
    assert_eq!(v["columnNames"], j!(["name", "age"]));
    assert_eq!(
        v["rows"],
        j!([{"name": "ada", "age": 36}, {"name": "bob", "age": 41}])
    );
    assert_eq!(v["rowsRead"], 2);
    assert_eq!(v["raw"], j!([[1, "ada"], [2, "bob"], [3, "cy"]]));
    assert_eq!(v["rawHasToArray"], j!([["ada"], ["bob"], ["cy"]]));
    assert_eq!(v["iterated"], j!(["cy", "bob", "ada"]));
    assert_eq!(v["one"], j!({"n": 3}));
    assert!(v["oneNone"]["message"]
        .as_str()
        .unwrap()
        .contains("no results"));
    assert!(v["oneMany"]["message"]
        .as_str()
        .unwrap()
        .contains("multiple results"));
    assert_eq!(v["blob"], j!({"isBuffer": true, "bytes": [1, 2]}));
    assert_eq!(v["update"], 2);
    assert!(v["badSql"]["message"].as_str().unwrap().contains("SELEKT"));
    assert_eq!(v["badBinding"]["name"], "TypeError");
    assert!(v["constraint"]["message"]
        .as_str()
        .unwrap()
        .contains("NOT NULL"));
    assert!(v["databaseSize"].as_u64().unwrap() > 0);
    assert_eq!(v["kvTable"]["message"], "not authorized: SQLITE_AUTH");
}

#[test]
fn a_thousand_concurrent_increments_give_exactly_a_thousand() {
    let p = Project::new();
    let h = p.start();
    let url = Arc::new(format!("{}/counter/increment?name=hot", h.url));
    let threads: Vec<_> = (0..25)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new()
                    .timeout(Duration::from_secs(30))
                    .build();
                (0..40)
                    .map(|_| {
                        let body = agent.post(&url).call().unwrap().into_string().unwrap();
                        body.parse::<u64>().unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    for t in threads {
        for v in t.join().unwrap() {
            assert!(seen.insert(v), "value {v} handed out twice");
        }
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.iter().next_back(), Some(&1000));
    assert_eq!(h.get("/counter?name=hot"), (200, "1000".into()));
    // Other counters are independent.
    assert_eq!(h.get("/counter?name=cold"), (200, "0".into()));
}

#[test]
fn an_exception_in_one_object_never_affects_another() {
    let p = Project::new();
    let h = p.start();
    let v = json(&h, "/run/isolation");
    assert_eq!(
        v["fetchThrow"],
        j!({"name": "Error", "message": "boom from bad"}),
        "a throw in the object's fetch reaches the caller with its message"
    );
    assert_eq!(
        v["fetchReject"],
        j!({"name": "TypeError", "message": "rejected"})
    );
    assert!(v["notResponse"]["message"]
        .as_str()
        .unwrap()
        .contains("Response"));
    assert_eq!(v["rpcThrow"]["name"], "TypeError");
    assert_eq!(v["sameObjectAfter"], "ok 1");
    assert_eq!(v["otherObject"], "ok 1");
    assert_eq!(v["otherClass"], "fine");
    // Uncaught in the worker: a 500, and the server keeps serving.
    let (status, _) = h.get("/boom/throw?name=direct");
    assert_eq!(status, 500);
    assert_eq!(h.get("/boom/ok?name=direct"), (200, "ok 1".into()));
    assert_eq!(h.get("/counter/increment?name=unaffected").0, 200);
    h.wait_for_log("boom from direct");
}

#[test]
fn idle_objects_are_evicted_and_come_back_with_storage_intact() {
    let p = Project::new();
    let h = p.start_with_env(&[("HEARTH_DO_IDLE_MS", "300")]);
    assert_eq!(json(&h, "/lab/put?name=sleepy&key=k&value=kept"), j!(true));
    let first = json(&h, "/lab/whoami?name=sleepy");
    assert_eq!(first["boots"], 1);
    let rebooted = eventually(Duration::from_secs(10), || {
        std::thread::sleep(Duration::from_millis(400));
        let v = json(&h, "/lab/whoami?name=sleepy");
        (v["boots"] != 1).then_some(v)
    })
    .expect("the object was never evicted");
    assert_eq!(
        rebooted["boots"], 2,
        "the constructor ran exactly once more"
    );
    assert_eq!(rebooted["id"], first["id"]);
    assert_eq!(json(&h, "/lab/read?name=sleepy&key=k"), j!("kept"));
}

#[test]
fn busy_objects_are_not_evicted() {
    let p = Project::new();
    let h = p.start_with_env(&[("HEARTH_DO_IDLE_MS", "1000")]);
    // Used every 100 ms for 2 s: never idle for a full second.
    for _ in 0..20 {
        assert_eq!(json(&h, "/lab/whoami?name=busy")["boots"], 1);
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = request(&format!("{}/lab?name=busy", h.url), "GET", &[], None);
    assert_eq!(status, 200);
}
