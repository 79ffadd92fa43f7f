//! The WinterTC minimum common API beyond fetch, as a Workers user relies
//! on it: one fixture worker (`fixtures/wintertc`) with a route per area.
//! Expected values were checked against Node.js 20 where Node implements
//! the same API (its differences are noted where they occur).

use hearth_tests::{fixture, get_json, Hearth};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// One server for the whole file: the routes share no state that matters.
fn api(path: &str) -> Value {
    static SERVER: OnceLock<Hearth> = OnceLock::new();
    let h = SERVER.get_or_init(|| Hearth::start(&fixture("wintertc"), &[]));
    get_json(&format!("{}{}", h.url, path))
}

#[test]
fn text_decoder_decodes_legacy_encodings() {
    let v = api("/decode");
    let expected = json!({
        // Node.js 20 decodes 0x80-0x9F as ISO-8859-1 controls; the standard says € and Ÿ.
        "windows1252": "€éÿŸ",
        "latin1Label": "£é",
        "iso88592": "Ąąč",
        "iso88597": "Αβγ",
        "koi8r": "Привет",
        "ibm866": "Привет",
        "macintosh": "äé",
        "windows1251": "Привет",
        "shiftJis": "日本語",
        "eucJp": "日本語",
        "iso2022jp": "日本",
        "gbk": "中文",
        "gb18030": "㐁",
        "big5": "中文",
        "eucKr": "한국",
        "utf16le": "😀A",
        "utf16be": "😀A",
        "utf16Bom": "h",
        "utf16LoneSurrogate": "\u{FFFD}A",
        // Node.js lacks x-user-defined: bytes 0x80.. map to U+F780...
        "userDefined": "A\u{F7FF}",
        "shiftJisInvalid": "A\u{FFFD}B",
    });
    assert_eq!(v, expected);
}

#[test]
fn text_decoder_streams_and_follows_fatal_and_bom_rules() {
    let v = api("/decode-options");
    let expected = json!({
        // A two-byte Shift_JIS character split across calls.
        "streamed": "日本",
        // The UTF-16BE BOM (FE FF) is stripped even when split, and so are
        // code units split across calls.
        "pieces": ["", "h", "i"],
        "gbStream": "㐁",
        "danglingLead": "A\u{FFFD}",
        "fatalError": "TypeError",
        "afterError": "한",
        "fatalStreamEnd": "TypeError",
        "bom8": "A",
        "keepBom": "\u{FEFF}A",
        "twice": ["a", "b"],
        "noSniff": "\u{FFFD}\u{FFFD}A",
        "latinBom": "ï»¿",
        "view": "é",
    });
    assert_eq!(v, expected);
}

#[test]
fn text_decoder_accepts_every_whatwg_label() {
    let v = api("/labels");
    let expected = json!({
        "utf8": "utf-8", " UTF-8\n": "utf-8", "unicode-1-1-utf-8": "utf-8",
        "latin1": "windows-1252", "ascii": "windows-1252", "us-ascii": "windows-1252",
        "iso-8859-1": "windows-1252", "iso_8859-15": "iso-8859-15", "l2": "iso-8859-2",
        "cp1251": "windows-1251", "sjis": "shift_jis", "ms_kanji": "shift_jis", "x-sjis": "shift_jis",
        "euc-jp": "euc-jp", "csiso2022jp": "iso-2022-jp", "gb2312": "gbk", "chinese": "gbk",
        "x-gbk": "gbk", "gb18030": "gb18030", "big5-hkscs": "big5", "cn-big5": "big5",
        "ks_c_5601-1987": "euc-kr", "korean": "euc-kr", "utf-16": "utf-16le", "ucs-2": "utf-16le",
        "unicodefffe": "utf-16be", "utf-16be": "utf-16be", "koi8-u": "koi8-u",
        "x-mac-cyrillic": "x-mac-cyrillic", "iso-8859-8-i": "iso-8859-8-i", "windows-874": "windows-874",
        // Node.js 20 lacks x-user-defined; the Encoding Standard has it.
        "x-user-defined": "x-user-defined",
        // The replacement encoding and non-WHATWG encodings are refused.
        "replacement": "RangeError", "iso-2022-kr": "RangeError", "hz-gb-2312": "RangeError",
        "utf-32": "RangeError", "utf-7": "RangeError", "bogus": "RangeError", "": "RangeError",
    });
    assert_eq!(v, expected);
}

#[test]
fn text_encoder_replaces_lone_surrogates() {
    let v = api("/encode");
    let expected = json!({
        "loneBytes": "61efbfbd62efbfbd",
        "pair": "f09f9880",
        "into": {"read": 2, "written": 4},
        "intoBytes": "61e282ac00",
        "loneInto": {"read": 3, "written": 5},
        "fromObject": "c3a9",
        "roundTrip": "\u{FFFD}x",
    });
    assert_eq!(v, expected);
}

#[test]
fn base64_and_hex_codecs() {
    let v = api("/base64");
    let expected = json!({
        "btoa": "aGVsbG8gd29ybGQ=",
        "latin1": "//4A",
        "roundTrip": true,
        "atobSpaces": "hello",
        "atobNoPad": "ab",
        "atobTrailingBits": "a",
        "errors": vec!["InvalidCharacterError"; 7],
        "wide": "InvalidCharacterError",
        "lone": "InvalidCharacterError",
        "noArgs": "TypeError",
        "bufferBase64": "aGVsbG8gd8O2cmxk",
        "bufferBase64url": "-_-_",
        "bufferFromBase64": "hello",
        "bufferFromUrl": "fbffbf",
        "bufferFromDangling": "616263",
        "bufferFromStop": "61",
        "bufferHex": "000f10ff",
        "bufferFromHex": "00ff10",
        "bufferFromOddHex": "ab",
        "byteLength": 5,
    });
    assert_eq!(v, expected);
}

#[test]
fn compression_streams_round_trip_and_reject_bad_input() {
    let v = api("/compression");
    for format in ["gzip", "deflate", "deflate-raw"] {
        let f = &v[format];
        assert_eq!(f["smaller"], true, "{format}: {f}");
        assert_eq!(f["roundTrip"], true, "{format}: {f}");
        assert_eq!(f["split"], true, "{format}: {f}");
        // The Compression Standard makes truncated and trailing data a
        // TypeError (Node.js 20 throws a plain Error).
        assert_eq!(f["truncated"], "TypeError", "{format}: {f}");
        assert_eq!(f["trailing"], "TypeError", "{format}: {f}");
    }
    assert_eq!(v["known"], "hello");
    assert_eq!(v["corrupt"], "TypeError");
    assert_eq!(v["badChunk"], "TypeError");
    assert_eq!(v["badFormat"], "TypeError");
    assert_eq!(v["empty"], "");
    assert_eq!(v["isTransform"], true);
}

#[test]
fn wintertc_globals_performance_and_event_classes() {
    let v = api("/globals");
    for (name, kind) in v["types"].as_object().unwrap() {
        let expected = if name == "self" { "object" } else { "function" };
        assert_eq!(kind, expected, "typeof {name}");
    }
    assert_eq!(v["selfIsGlobal"], true);
    assert_eq!(v["performance"], true);
    assert_eq!(v["nowIsNumber"], true);
    assert_eq!(v["mark"], json!(["mark", "start", 0, 1, true]));
    assert_eq!(v["measure"], json!(["measure", 5, true, 5]));
    assert_eq!(v["byOptions"], json!([1, 2]));
    assert_eq!(v["entries"], json!(["start", "later"]));
    assert_eq!(v["byName"], 1);
    assert_eq!(v["missingMark"], "SyntaxError");
    assert_eq!(v["cleared"], json!(["later"]));
    assert_eq!(v["illegal"], "TypeError");
    assert_eq!(v["errorEvent"], json!(["error", "m", 42, 3, 0, "", true]));
    assert_eq!(v["rejectionEvent"], json!(["r", true, true]));
    assert_eq!(v["rejectionNoInit"], "TypeError");
    assert_eq!(v["messageEvent"], json!([1, "", 0, null]));
    assert_eq!(
        v["tags"],
        json!([
            "[object Performance]",
            "[object MessagePort]",
            "[object ErrorEvent]"
        ])
    );
}

#[test]
fn message_channel_delivers_cloned_messages_as_tasks() {
    let v = api("/message-channel");
    let expected = json!({
        "got": [{"n": 1, "nested": {"list": [1, 2]}}, "second"],
        "order": ["sync", "microtask"],
        "delivered": true,
        // HTML: a port started by neither start() nor onmessage queues
        // messages (Node.js starts it on addEventListener, so says 1).
        "beforeStart": 0,
        "late": ["queued"],
        "doubled": 42,
        "afterClose": 0,
        "cloneError": "DataCloneError",
        "eventType": ["message", true, true],
    });
    assert_eq!(v, expected);
}

#[test]
fn url_pattern_matches_and_extracts_groups() {
    let v = api("/urlpattern");
    let expected = json!({
        "test": [true, false, true],
        "id": "123",
        "input": "/books/123",
        "inputs": ["https://example.com/books/123?x=1"],
        "protocolGroups": {"0": "https"},
        "full": ["api", "v1", "users/7", "abc"],
        "regex": [true, false, true, false],
        "patterns": ["*", "/books/:id", "*", "*.example.com", "q=:query", "https", "example.com", "/api/:v"],
        "base": [true, true, false],
        "ignoreCase": [true, false],
        "noMatch": null,
        "invalid": "TypeError",
        "badUrl": false,
    });
    assert_eq!(v, expected);
}

#[test]
fn report_error_and_unhandled_rejection_events() {
    let v = api("/errors");
    assert_eq!(
        v["seen"],
        json!([["ErrorEvent", "Uncaught Error: reported", "reported"]])
    );
    assert_eq!(
        v["rejections"],
        json!([
            ["unhandledrejection", "nobody catches this", true],
            ["unhandledrejection", "caught later", true]
        ])
    );
    assert_eq!(v["late"], json!(["rejectionhandled", "caught later"]));
    assert_eq!(v["noArgs"], "TypeError");
}

#[test]
fn byte_streams_answer_byob_requests() {
    let v = api("/byob");
    let expected = json!({
        "reads": [[10, 11, 12], [20, 21, 22], ["Uint16Array", 1], false],
        "pulls": 3,
        "newView": [7, 8],
        "auto": 16,
        "autoValue": [42],
        "idle": null,
        "afterEnqueue": [null, null],
        "enqueued": [5, 6],
        "rangeError": "RangeError",
        "controllerClass": "function",
    });
    assert_eq!(v, expected);
}
