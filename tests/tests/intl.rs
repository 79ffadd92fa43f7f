//! Intl (ECMA-402) as Workers code uses it: one fixture worker
//! (`fixtures/intl`) with a route per API, asserted from outside. Expected
//! strings are what Node 20 (V8 with full ICU, like workerd) prints for the
//! same code; where hearth's ICU4X data differs, the comment says so.

use hearth_tests::{fixture, get_json, Hearth};
use serde_json::{json, Value};

fn api(h: &Hearth, path: &str) -> Value {
    get_json(&format!("{}{}", h.url, path))
}

fn start() -> Hearth {
    Hearth::start(&fixture("intl"), &[])
}

#[test]
fn number_format() {
    let h = start();
    let v = api(&h, "/number");
    assert_eq!(v["eur"], "1.234,50\u{a0}€");
    assert_eq!(
        v["eurParts"],
        json!([
            {"type": "integer", "value": "1"},
            {"type": "group", "value": "."},
            {"type": "integer", "value": "234"},
            {"type": "decimal", "value": ","},
            {"type": "fraction", "value": "50"},
            {"type": "literal", "value": "\u{a0}"},
            {"type": "currency", "value": "€"},
        ])
    );
    assert_eq!(v["usd"], "-$1,234.50");
    assert_eq!(v["usdWhole"], "$1,235");
    assert_eq!(v["jpy"], "¥1,235");
    assert_eq!(v["usdName"], "2.00 US dollars");
    assert_eq!(v["accounting"], "($5.00)");
    assert_eq!(v["plain"], "1,234,567.891");
    assert_eq!(v["fr"], "1\u{202f}234\u{202f}567,891");
    assert_eq!(v["inr"], "12,34,567.891");
    assert_eq!(v["percent"], "26%");
    assert_eq!(
        v["percentParts"],
        json!([{"type": "integer", "value": "50"}, {"type": "percentSign", "value": "%"}])
    );
    assert_eq!(v["compact"], json!(["1.2K", "1M", "1.2M", "15B"]));
    assert_eq!(v["compactLong"], "1.2 million");
    assert_eq!(v["compactDe"], "1,2\u{a0}Mio.");
    assert_eq!(v["fixed"], "3.00");
    assert_eq!(v["significant"], "123,000");
    assert_eq!(v["padded"], "007");
    assert_eq!(v["noGrouping"], "12345");
    assert_eq!(v["signAlways"], "+5");
    assert_eq!(v["unit"], "50 km/h");
    assert_eq!(v["bytes"], "12 kB");
    assert_eq!(v["numberLocale"], "1.234,5");
    assert_eq!(v["numberDefault"], "1,234.5");
    assert_eq!(v["bigint"], "12,345,678,901,234,567,890");
    assert_eq!(v["nan"], "NaN");
    let r = &v["resolved"];
    assert_eq!(r["locale"], "de-DE");
    assert_eq!(r["style"], "currency");
    assert_eq!(r["currency"], "EUR");
    assert_eq!(r["minimumFractionDigits"], 2);
    assert_eq!(r["maximumFractionDigits"], 2);
    assert_eq!(r["useGrouping"], "auto");
    assert_eq!(
        v["noCurrency"],
        "TypeError: Currency code is required with currency style."
    );
    assert_eq!(
        v["badStyle"],
        "RangeError: Value bogus out of range for Intl.NumberFormat options property style"
    );
    assert_eq!(
        v["badDigits"],
        "RangeError: maximumFractionDigits value is out of range."
    );
    assert_eq!(
        v["badLocale"],
        "RangeError: Incorrect locale information provided"
    );
}

#[test]
fn date_time_format() {
    let h = start();
    let v = api(&h, "/date");
    // Workers run in UTC, and so does hearth whatever the machine's zone.
    assert_eq!(v["dateUS"], "1/2/2020");
    assert_eq!(v["dateGB"], "02/01/2020");
    // Node prints "2.1.2020" and "2020/1/2": V8 picks CLDR's yMd skeleton,
    // ICU4X 2.x (semantic skeletons) the locale's short date pattern.
    assert_eq!(v["dateDE"], "02.01.2020");
    assert_eq!(v["dateJP"], "2020/01/02");
    assert_eq!(v["stringUS"], "1/2/2020, 3:04:05 PM");
    assert_eq!(v["stringDefault"], "1/2/2020, 3:04:05 PM");
    assert_eq!(v["stringGB"], "02/01/2020, 15:04:05");
    assert_eq!(v["timeUS"], "3:04:05 PM");
    assert_eq!(v["timeDE"], "15:04:05");
    assert_eq!(v["full"], "Thursday, January 2, 2020");
    assert_eq!(v["fullDE"], "Donnerstag, 2. Januar 2020");
    assert_eq!(v["longJP"], "2020年1月2日");
    assert_eq!(v["fullLong"], "Thursday, January 2, 2020 at 3:04:05 PM UTC");
    assert_eq!(v["newYork"], "Jul 2, 2020, 11:00 AM");
    assert_eq!(v["newYorkZone"], "11 AM EDT");
    assert_eq!(v["kolkata"], "8:30:00 PM India Standard Time");
    assert_eq!(v["monthYear"], "January 2020");
    assert_eq!(v["weekday"], "Thursday");
    assert_eq!(v["hour24"], "15:04");
    assert_eq!(
        v["parts"],
        json!([
            {"type": "month", "value": "1"},
            {"type": "literal", "value": "/"},
            {"type": "day", "value": "2"},
            {"type": "literal", "value": "/"},
            {"type": "year", "value": "2020"},
        ])
    );
    assert_eq!(v["resolved"]["locale"], "en-US");
    assert_eq!(v["resolved"]["timeZone"], "UTC");
    assert_eq!(v["resolved"]["calendar"], "gregory");
    assert_eq!(
        v["badZone"],
        "RangeError: Invalid time zone specified: Mars/Olympus"
    );
    assert_eq!(
        v["styleAndField"],
        "TypeError: Can't set option month when dateStyle is used"
    );
    assert_eq!(v["invalid"], "RangeError: Invalid time value");
    assert_eq!(v["invalidDate"], "Invalid Date");
}

#[test]
fn plural_rules() {
    let h = start();
    let v = api(&h, "/plural");
    assert_eq!(v["en"], json!(["other", "one", "other", "other"]));
    assert_eq!(
        v["ar"],
        json!(["zero", "one", "two", "few", "many", "other"])
    );
    assert_eq!(v["ru"], json!(["one", "few", "many", "one"]));
    assert_eq!(
        v["enOrdinal"],
        json!(["one", "two", "few", "other", "other", "one"])
    );
    // ECMA-402 (2024) orders the categories zero..other; Node 20's V8
    // predates that and lists them alphabetically.
    assert_eq!(
        v["categories"],
        json!(["zero", "one", "two", "few", "many", "other"])
    );
}

#[test]
fn collator_and_locale_compare() {
    let h = start();
    let v = api(&h, "/collator");
    assert_eq!(v["numeric"], json!(["a1", "a2", "a10"]));
    assert_eq!(v["cased"], json!(["a", "A", "b", "B"]));
    assert_eq!(v["german"], json!(["a", "ä", "z"]));
    assert_eq!(v["swedish"], json!(["a", "z", "ä"]));
    assert_eq!(v["base"], 0);
    assert_eq!(v["plain"], json!(["resume", "Resume", "résumé"]));
}

#[test]
fn segmenter() {
    let h = start();
    let v = api(&h, "/segmenter");
    assert_eq!(
        v["graphemes"],
        json!([["a", 0], ["👨‍👩‍👧", 1], ["b", 9], ["🇫🇷", 10]])
    );
    assert_eq!(v["words"], json!(["Hello", "world", "42"]));
    assert_eq!(v["containing"], "world");
    assert_eq!(v["sentences"], json!(["Hi there. ", "How are you?"]));
    assert_eq!(v["japanese"], json!(["今日", "は", "良い", "天気", "です"]));
}

#[test]
fn relative_time_format() {
    let h = start();
    let v = api(&h, "/relative");
    assert_eq!(v["inDays"], "in 3 days");
    assert_eq!(v["yesterday"], "yesterday");
    assert_eq!(v["today"], "today");
    assert_eq!(v["nextWeek"], "next week");
    assert_eq!(v["hoursAgo"], "2 hours ago");
    assert_eq!(v["german"], "vor 2 Monaten");
    assert_eq!(
        v["badUnit"],
        "RangeError: Invalid unit argument for Intl.RelativeTimeFormat.prototype.format() 'fortnight'"
    );
}

#[test]
fn list_format() {
    let h = start();
    let v = api(&h, "/list");
    assert_eq!(v["and"], "a, b, and c");
    assert_eq!(v["or"], "a, b, or c");
    assert_eq!(v["german"], "a, b und c");
    assert_eq!(v["japanese"], "a、b、c");
    assert_eq!(
        v["parts"],
        json!([
            {"type": "element", "value": "x"},
            {"type": "literal", "value": " and "},
            {"type": "element", "value": "y"},
        ])
    );
}

#[test]
fn locales_and_the_intl_object() {
    let h = start();
    let v = api(&h, "/locales");
    assert_eq!(v["canonical"], json!(["en-US", "de-DE"]));
    assert_eq!(v["supported"], json!(["fr-FR", "ja"]));
    assert_eq!(v["fallback"], "en-US");
    assert_eq!(v["enumerable"], false);
    assert_eq!(v["tag"], "[object Intl]");
    // Node also has DisplayNames and Locale, which hearth does not yet.
    assert_eq!(
        v["constructors"],
        json!([
            "Collator",
            "DateTimeFormat",
            "ListFormat",
            "NumberFormat",
            "PluralRules",
            "RelativeTimeFormat",
            "Segmenter",
            "getCanonicalLocales",
            "supportedValuesOf"
        ])
    );
    assert_eq!(v["zones"], true);
}
