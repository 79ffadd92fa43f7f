//! Unit tests: evaluate JavaScript against a context with `Intl` installed
//! and compare with what Node 20 (full ICU) prints for the same code (the
//! black-box tests in tests/tests/intl.rs note where hearth differs).

use rquickjs::FromJs;
use rquickjs::{Context, Runtime};

fn eval(code: &str) -> String {
    let rt = Runtime::new().unwrap();
    let ctx = Context::full(&rt).unwrap();
    ctx.with(|ctx| {
        crate::install(&ctx).unwrap();
        match ctx.eval::<rquickjs::Value, _>(code) {
            Ok(v) => {
                rquickjs::convert::Coerced::<String>::from_js(&ctx, v)
                    .unwrap()
                    .0
            }
            Err(rquickjs::Error::Exception) => {
                let e = ctx.catch();
                let s = rquickjs::convert::Coerced::<String>::from_js(&ctx, e)
                    .unwrap()
                    .0;
                format!("threw {s}")
            }
            Err(e) => format!("error {e}"),
        }
    })
}

#[test]
fn number_format_styles() {
    assert_eq!(
        eval("new Intl.NumberFormat('en-US').format(1234567.891)"),
        "1,234,567.891"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('de-DE',{style:'currency',currency:'EUR'}).format(1234.5)"),
        "1.234,50\u{a0}€"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en-US',{style:'currency',currency:'USD'}).format(-5)"),
        "-$5.00"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('ja-JP',{style:'currency',currency:'JPY'}).format(1234.5)"),
        "￥1,235"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en',{style:'percent'}).format(0.256)"),
        "26%"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en',{notation:'compact'}).format(1234567)"),
        "1.2M"
    );
    assert_eq!(eval("new Intl.NumberFormat('en',{notation:'compact',compactDisplay:'long'}).format(1234567)"), "1.2 million");
    assert_eq!(
        eval("new Intl.NumberFormat('en',{minimumFractionDigits:2}).format(3)"),
        "3.00"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en',{maximumSignificantDigits:3}).format(123456)"),
        "123,000"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en',{minimumIntegerDigits:3}).format(7)"),
        "007"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('en',{useGrouping:false}).format(12345)"),
        "12345"
    );
    assert_eq!(eval("(1234.5).toLocaleString('de-DE')"), "1.234,5");
    assert_eq!(eval("(1234.5).toLocaleString()"), "1,234.5");
    assert_eq!(
        eval("(12345678901234567890n).toLocaleString('en-US')"),
        "12,345,678,901,234,567,890"
    );
    assert_eq!(eval("new Intl.NumberFormat('en').format(NaN)"), "NaN");
    assert_eq!(eval("new Intl.NumberFormat('en').format(-Infinity)"), "-∞");
    assert_eq!(
        eval("JSON.stringify(new Intl.NumberFormat('de-DE',{style:'currency',currency:'EUR'}).formatToParts(1234.5))"),
        r#"[{"type":"integer","value":"1"},{"type":"group","value":"."},{"type":"integer","value":"234"},{"type":"decimal","value":","},{"type":"fraction","value":"50"},{"type":"literal","value":" "},{"type":"currency","value":"€"}]"#
    );
}

#[test]
fn number_format_errors() {
    assert_eq!(
        eval("new Intl.NumberFormat('en',{style:'currency'})"),
        "threw TypeError: Currency code is required with currency style."
    );
    assert!(eval("new Intl.NumberFormat('en',{style:'bogus'})").starts_with("threw RangeError"));
    assert!(
        eval("new Intl.NumberFormat('en',{maximumFractionDigits:101})")
            .starts_with("threw RangeError")
    );
    assert!(eval("new Intl.NumberFormat('en_US')").starts_with("threw RangeError"));
}

#[test]
fn date_time_format() {
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2)).toLocaleDateString('en-US')"),
        "1/2/2020"
    );
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2)).toLocaleDateString('en-GB')"),
        "02/01/2020"
    );
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2)).toLocaleDateString('de-DE')"),
        "02.01.2020"
    );
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2)).toLocaleDateString('ja-JP')"),
        "2020/01/02"
    );
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2,15,4,5)).toLocaleString('en-US')"),
        "1/2/2020, 3:04:05 PM"
    );
    assert_eq!(
        eval("new Date(Date.UTC(2020,0,2,15,4,5)).toLocaleTimeString('en-GB')"),
        "15:04:05"
    );
    assert_eq!(
        eval("new Intl.DateTimeFormat('en-US',{dateStyle:'full'}).format(Date.UTC(2020,0,2))"),
        "Thursday, January 2, 2020"
    );
    assert_eq!(eval("new Intl.DateTimeFormat('en-US',{dateStyle:'medium',timeStyle:'short',timeZone:'America/New_York'}).format(Date.UTC(2020,0,2,15))"), "Jan 2, 2020, 10:00 AM");
    assert_eq!(eval("new Intl.DateTimeFormat('en-US',{month:'long',year:'numeric'}).format(Date.UTC(2020,0,2))"), "January 2020");
    assert_eq!(
        eval("new Intl.DateTimeFormat('en-US',{weekday:'long'}).format(Date.UTC(2020,0,2))"),
        "Thursday"
    );
    assert_eq!(
        eval("new Intl.DateTimeFormat().resolvedOptions().timeZone"),
        "UTC"
    );
    assert!(
        eval("new Intl.DateTimeFormat('en',{timeZone:'Mars/Olympus'})")
            .starts_with("threw RangeError")
    );
}

#[test]
fn plural_rules() {
    assert_eq!(
        eval("[0,1,2,5].map(n => new Intl.PluralRules('en').select(n)).join()"),
        "other,one,other,other"
    );
    assert_eq!(
        eval("[0,1,2,3,11,100].map(n => new Intl.PluralRules('ar').select(n)).join()"),
        "zero,one,two,few,many,other"
    );
    assert_eq!(
        eval("[1,2,5,21].map(n => new Intl.PluralRules('ru').select(n)).join()"),
        "one,few,many,one"
    );
    assert_eq!(
        eval("[1,2,3,4,11].map(n => new Intl.PluralRules('en',{type:'ordinal'}).select(n)).join()"),
        "one,two,few,other,other"
    );
}

#[test]
fn collator_and_locale_compare() {
    assert_eq!(
        eval("['a10','a2','a1'].sort(new Intl.Collator('en',{numeric:true}).compare).join()"),
        "a1,a2,a10"
    );
    assert_eq!(
        eval("['b','a','B','A'].sort(new Intl.Collator('en').compare).join()"),
        "a,A,b,B"
    );
    assert_eq!(eval("'a'.localeCompare('B')"), "-1");
    assert_eq!(
        eval("'a'.localeCompare('A',undefined,{sensitivity:'base'})"),
        "0"
    );
    assert_eq!(
        eval("['z','ä','a'].sort((x,y) => x.localeCompare(y,'de')).join()"),
        "a,ä,z"
    );
    assert_eq!(
        eval("['z','ä','a'].sort((x,y) => x.localeCompare(y,'sv')).join()"),
        "a,z,ä"
    );
}

#[test]
fn segmenter() {
    assert_eq!(eval("[...new Intl.Segmenter('en',{granularity:'grapheme'}).segment('a👨‍👩‍👧b🇫🇷')].map(s=>s.segment+'@'+s.index).join('|')"), "a@0|👨‍👩‍👧@1|b@9|🇫🇷@10");
    assert_eq!(eval("[...new Intl.Segmenter('en',{granularity:'word'}).segment('Hello, world!')].filter(s=>s.isWordLike).map(s=>s.segment).join()"), "Hello,world");
    assert_eq!(eval("new Intl.Segmenter('en',{granularity:'word'}).segment('Hello, world!').containing(8).segment"), "world");
    assert_eq!(eval("[...new Intl.Segmenter('en',{granularity:'sentence'}).segment('Hi there. How are you?')].length"), "2");
}

#[test]
fn relative_time_and_list() {
    assert_eq!(
        eval("new Intl.RelativeTimeFormat('en').format(3,'day')"),
        "in 3 days"
    );
    assert_eq!(
        eval("new Intl.RelativeTimeFormat('en',{numeric:'auto'}).format(-1,'day')"),
        "yesterday"
    );
    assert_eq!(
        eval("new Intl.RelativeTimeFormat('en').format(-2,'hours')"),
        "2 hours ago"
    );
    assert_eq!(
        eval("new Intl.ListFormat('en').format(['a','b','c'])"),
        "a, b, and c"
    );
    assert_eq!(
        eval("new Intl.ListFormat('en',{type:'disjunction'}).format(['a','b'])"),
        "a or b"
    );
    assert_eq!(
        eval("new Intl.ListFormat('de').format(['a','b','c'])"),
        "a, b und c"
    );
}

#[test]
fn locales() {
    assert_eq!(
        eval("Intl.getCanonicalLocales(['EN-us','de-de']).join()"),
        "en-US,de-DE"
    );
    assert_eq!(
        eval("Intl.NumberFormat.supportedLocalesOf(['fr-FR','xx']).join()"),
        "fr-FR"
    );
    assert_eq!(
        eval("new Intl.NumberFormat('xx').resolvedOptions().locale"),
        "en-US"
    );
    assert_eq!(eval("Object.keys(globalThis).includes('Intl')"), "false");
    assert_eq!(
        eval("Object.prototype.toString.call(Intl)"),
        "[object Intl]"
    );
}

/// What `install` costs an isolate: run with
/// `cargo test --release -p hearth-intl install_cost -- --ignored --nocapture`.
#[test]
#[ignore]
fn install_cost() {
    let mut best = std::time::Duration::MAX;
    let mut bytes = 0;
    for _ in 0..50 {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        let before = rt.memory_usage().memory_used_size;
        let t = std::time::Instant::now();
        ctx.with(|ctx| crate::install(&ctx).unwrap());
        best = best.min(t.elapsed());
        bytes = rt.memory_usage().memory_used_size - before;
    }
    println!("install: {best:?} (best of 50), {bytes} bytes of JavaScript heap");
    let rt = Runtime::new().unwrap();
    let ctx = Context::full(&rt).unwrap();
    ctx.with(|ctx| {
        crate::install(&ctx).unwrap();
        let t = std::time::Instant::now();
        let s: String = ctx
            .eval("new Intl.DateTimeFormat('en-US',{dateStyle:'full'}).format(0) + new Intl.NumberFormat('de-DE',{style:'currency',currency:'EUR'}).format(1)")
            .unwrap();
        println!("first DateTimeFormat + NumberFormat: {:?} ({s})", t.elapsed());
    });
}
