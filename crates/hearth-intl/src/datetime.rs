//! `Intl.DateTimeFormat` and `Date.prototype.toLocale{,Date,Time}String`.
//!
//! Time zones come from jiff's bundled copy of the tz database; the default
//! zone is UTC, as on Workers.

use std::cell::OnceCell;
use std::rc::Rc;

use icu_calendar::Iso;
use icu_datetime::fieldbag::field;
use icu_datetime::fieldbag::DateTimeFieldBag;
use icu_datetime::fieldsets::builder::{DateFields, FieldSetBuilder, ZoneStyle};
use icu_datetime::fieldsets::enums::CompositeFieldSet;
use icu_datetime::options::{Length, TimePrecision, YearStyle};
use icu_datetime::range::DateRangeFormatter;
use icu_datetime::{DateTimeFormatter, DateTimeFormatterPreferences};
use icu_locale::preferences::extensions::unicode::keywords::HourCycle;
use icu_locale::Locale;
use icu_time::zone::{TimeZoneInfo, UtcOffset, ZoneNameTimestamp};
use icu_time::{TimeZone, ZonedDateTime};
use rquickjs::class::Trace;
use rquickjs::convert::Coerced;
use rquickjs::function::{Opt, This};
use rquickjs::{Array, Ctx, FromJs, Function, JsLifetime, Object, Result, Value};
use writeable::Part;

use crate::options::Options;
use crate::parts;
use crate::{range_error, type_error};

/// The time zone of a formatter.
#[derive(Clone)]
enum Zone {
    Utc,
    Named(jiff::tz::TimeZone, String),
}

impl Zone {
    fn name(&self) -> &str {
        match self {
            Zone::Utc => "UTC",
            Zone::Named(_, name) => name,
        }
    }

    fn offset_seconds(&self, ms: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Named(tz, _) => jiff::Timestamp::from_millisecond(ms)
                .map(|t| tz.to_offset(t).seconds())
                .unwrap_or(0),
        }
    }

    fn icu_zone(&self) -> TimeZone {
        match self {
            Zone::Utc => TimeZone::from_iana_id("Etc/UTC"),
            Zone::Named(_, name) => TimeZone::from_iana_id(name),
        }
    }
}

/// Reads the `timeZone` option (ECMA-402: case-insensitive IANA names).
fn read_zone(ctx: &Ctx<'_>, name: Option<String>) -> Result<Zone> {
    let Some(name) = name else {
        return Ok(Zone::Utc);
    };
    let upper = name.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "UTC"
            | "ETC/UTC"
            | "GMT"
            | "ETC/GMT"
            | "Z"
            | "ETC/UCT"
            | "UCT"
            | "ETC/ZULU"
            | "ZULU"
            | "UNIVERSAL"
            | "ETC/UNIVERSAL"
            | "ETC/GMT0"
            | "GMT0"
            | "ETC/GREENWICH"
            | "GREENWICH"
    ) {
        return Ok(Zone::Utc);
    }
    match jiff::tz::db().get(&name) {
        Ok(tz) => {
            let canonical = tz.iana_name().unwrap_or(&name).to_string();
            Ok(Zone::Named(tz, canonical))
        }
        Err(_) => range_error(ctx, format!("Invalid time zone specified: {name}")),
    }
}

/// Every zone name of the bundled tz database.
pub(crate) fn time_zone_names() -> Vec<String> {
    jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
        .chain(std::iter::once("UTC".to_string()))
        .collect()
}

/// Which fields `toLocale*String` and the constructor add when none is given
/// (ECMA-402 ToDateTimeOptions' `required` and `defaults`).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Fields {
    Any,
    Date,
    Time,
}

/// What a `DateTimeFormat` resolved at construction.
struct Inner {
    locale: Locale,
    zone: Zone,
    hour_cycle: Option<&'static str>,
    date_style: Option<String>,
    time_style: Option<String>,
    bag: DateTimeFieldBag,
    prefs: DateTimeFormatterPreferences,
    fieldset: CompositeFieldSet,
    formatter: DateTimeFormatter<CompositeFieldSet>,
    range: OnceCell<Option<DateRangeFormatter<CompositeFieldSet>>>,
}

const STYLES: &[&str] = &["full", "long", "medium", "short"];

/// A string option mapped through `table` (whose keys are the allowed values).
fn pick<T: Copy>(opts: &Options<'_>, name: &str, table: &[(&str, T)]) -> Result<Option<T>> {
    let allowed: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
    Ok(opts
        .string(name, &allowed)?
        .map(|s| table.iter().find(|(k, _)| *k == s).expect("validated").1))
}

impl Inner {
    fn new<'js>(
        ctx: &Ctx<'js>,
        locales: Option<Value<'js>>,
        options: Option<Value<'js>>,
        required: Fields,
        defaults: Fields,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(ctx, &crate::locale::object_or_undefined(ctx, locales))?;
        let opts = Options::new(ctx, options, "Intl.DateTimeFormat")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        let calendar = opts.string("calendar", &[])?;
        let numbering = opts.string("numberingSystem", &[])?;
        let hour12 = opts.boolean("hour12")?;
        let hour_cycle_opt = opts.string("hourCycle", &["h11", "h12", "h23", "h24"])?;
        let zone = read_zone(ctx, opts.string("timeZone", &[])?)?;

        let mut bag = DateTimeFieldBag::default();
        bag.weekday = pick(
            &opts,
            "weekday",
            &[
                ("narrow", field::Weekday::Narrow),
                ("short", field::Weekday::Short),
                ("long", field::Weekday::Long),
            ],
        )?;
        bag.era = pick(
            &opts,
            "era",
            &[
                ("narrow", field::Era::Narrow),
                ("short", field::Era::Short),
                ("long", field::Era::Long),
            ],
        )?;
        bag.year = pick(
            &opts,
            "year",
            &[
                ("2-digit", field::Year::TwoDigit),
                ("numeric", field::Year::Numeric),
            ],
        )?;
        bag.month = pick(
            &opts,
            "month",
            &[
                ("2-digit", field::Month::TwoDigit),
                ("numeric", field::Month::Numeric),
                ("narrow", field::Month::Narrow),
                ("short", field::Month::Short),
                ("long", field::Month::Long),
            ],
        )?;
        bag.day = pick(
            &opts,
            "day",
            &[
                ("2-digit", field::Day::TwoDigit),
                ("numeric", field::Day::Numeric),
            ],
        )?;
        bag.day_period = pick(
            &opts,
            "dayPeriod",
            &[
                ("narrow", field::DayPeriod::FlexibleNarrow),
                ("short", field::DayPeriod::FlexibleShort),
                ("long", field::DayPeriod::FlexibleLong),
            ],
        )?;
        bag.hour = pick(
            &opts,
            "hour",
            &[
                ("2-digit", field::Hour::TwoDigit),
                ("numeric", field::Hour::Numeric),
            ],
        )?;
        bag.minute = pick(
            &opts,
            "minute",
            &[
                ("2-digit", field::Minute::TwoDigit),
                ("numeric", field::Minute::Numeric),
            ],
        )?;
        bag.second = pick(
            &opts,
            "second",
            &[
                ("2-digit", field::Second::TwoDigit),
                ("numeric", field::Second::Numeric),
            ],
        )?;
        bag.fractional_second_digits = match opts.number("fractionalSecondDigits", 1, 3)? {
            Some(1) => Some(field::FractionalSecondDigits::F1),
            Some(2) => Some(field::FractionalSecondDigits::F2),
            Some(3) => Some(field::FractionalSecondDigits::F3),
            _ => None,
        };
        bag.time_zone_name = pick(
            &opts,
            "timeZoneName",
            &[
                ("short", field::TimeZoneName::ShortSpecific),
                ("long", field::TimeZoneName::LongSpecific),
                ("shortOffset", field::TimeZoneName::ShortOffset),
                ("longOffset", field::TimeZoneName::LongOffset),
                ("shortGeneric", field::TimeZoneName::ShortGeneric),
                ("longGeneric", field::TimeZoneName::LongGeneric),
            ],
        )?;
        opts.string("formatMatcher", &["basic", "best fit"])?;
        let date_style = opts.string("dateStyle", STYLES)?;
        let time_style = opts.string("timeStyle", STYLES)?;

        let mut locale = crate::resolve_locale(&requested);
        if let Some(ca) = calendar {
            crate::number::set_keyword(ctx, &mut locale, "ca", &ca)?;
        }
        if let Some(nu) = numbering {
            crate::number::set_keyword(ctx, &mut locale, "nu", &nu)?;
        }
        let mut prefs = DateTimeFormatterPreferences::from(&locale);
        // hour12 wins over hourCycle, which wins over the locale's -u-hc-.
        let hour_cycle = match (hour12, hour_cycle_opt.as_deref()) {
            (Some(true), _) => Some(if locale.id.language.as_str() == "ja" {
                HourCycle::H11
            } else {
                HourCycle::H12
            }),
            (Some(false), _) => Some(HourCycle::H23),
            (None, Some("h11")) => Some(HourCycle::H11),
            (None, Some("h12")) => Some(HourCycle::H12),
            (None, Some("h23" | "h24")) => Some(HourCycle::H23),
            _ => None,
        };
        if hour_cycle.is_some() {
            prefs.hour_cycle = hour_cycle;
        }

        let has_date = bag.weekday.is_some()
            || bag.year.is_some()
            || bag.month.is_some()
            || bag.day.is_some()
            || bag.era.is_some();
        let has_time = bag.day_period.is_some()
            || bag.hour.is_some()
            || bag.minute.is_some()
            || bag.second.is_some()
            || bag.fractional_second_digits.is_some();
        let fieldset = if date_style.is_some() || time_style.is_some() {
            if has_date || has_time || bag.time_zone_name.is_some() {
                return type_error(ctx, "Can't set option month when dateStyle is used");
            }
            if required == Fields::Date && time_style.is_some() {
                return type_error(ctx, "Invalid option : timeStyle");
            }
            if required == Fields::Time && date_style.is_some() {
                return type_error(ctx, "Invalid option : dateStyle");
            }
            style_fieldset(date_style.as_deref(), time_style.as_deref())
        } else {
            let need_defaults = match required {
                Fields::Date => !has_date,
                Fields::Time => !has_time,
                Fields::Any => !has_date && !has_time,
            };
            if need_defaults && matches!(defaults, Fields::Date | Fields::Any) {
                bag.year = Some(field::Year::Numeric);
                bag.month = Some(field::Month::Numeric);
                bag.day = Some(field::Day::Numeric);
            }
            if need_defaults && matches!(defaults, Fields::Time | Fields::Any) {
                bag.hour = Some(field::Hour::Numeric);
                bag.minute = Some(field::Minute::Numeric);
                bag.second = Some(field::Second::Numeric);
            }
            if let Some(hc) = hour_cycle {
                bag.hour_kind = Some(if matches!(hc, HourCycle::H11 | HourCycle::H12) {
                    field::HourKind::Clock12
                } else {
                    field::HourKind::Clock24
                });
            }
            let mut builder = bag.to_field_set_builder();
            // ECMA-402's numeric year is the full year ("1/2/2020"), where
            // ICU4X's short length would abbreviate it.
            if bag.year == Some(field::Year::Numeric) && bag.era.is_none() {
                builder.year_style = Some(YearStyle::Full);
            }
            builder.build_composite().map_err(|e| {
                rquickjs::Exception::throw_range(
                    ctx,
                    &format!("Intl.DateTimeFormat: unsupported field combination ({e:?})"),
                )
            })?
        };
        let formatter = DateTimeFormatter::try_new(prefs, fieldset).map_err(|e| {
            rquickjs::Exception::throw_range(ctx, &format!("Intl.DateTimeFormat: {e}"))
        })?;
        let hour_cycle_name = if has_time || time_style.is_some() || bag.hour.is_some() {
            Some(match hour_cycle {
                Some(HourCycle::H11) => "h11",
                Some(HourCycle::H23) => "h23",
                Some(HourCycle::H12) => "h12",
                _ => default_hour_cycle(&locale),
            })
        } else {
            None
        };
        Ok(Self {
            locale,
            zone,
            hour_cycle: hour_cycle_name,
            date_style,
            time_style,
            bag,
            prefs,
            fieldset,
            formatter,
            range: OnceCell::new(),
        })
    }

    fn zoned(&self, ms: i64) -> ZonedDateTime<Iso, TimeZoneInfo<icu_time::zone::models::AtTime>> {
        let offset = self.zone.offset_seconds(ms);
        let utc_offset = UtcOffset::try_from_seconds(offset).unwrap_or(UtcOffset::zero());
        let local = ZonedDateTime::from_epoch_milliseconds_and_utc_offset(ms, utc_offset);
        let zone = self
            .zone
            .icu_zone()
            .with_offset(Some(utc_offset))
            .with_zone_name_timestamp(ZoneNameTimestamp::from_epoch_seconds(ms.div_euclid(1000)));
        ZonedDateTime {
            date: local.date,
            time: local.time,
            zone,
        }
    }

    fn pieces(&self, ms: i64) -> Vec<(&'static str, String)> {
        let collected = parts::collect(&self.formatter.format(&self.zoned(ms)));
        parts::split(&collected, date_part)
            .into_iter()
            .map(|(t, v)| (t, spaced(v)))
            .collect()
    }

    fn format(&self, ms: i64) -> String {
        spaced(self.formatter.format(&self.zoned(ms)).to_string())
    }

    fn range_pieces(&self, a: i64, b: i64) -> Vec<(&'static str, String, &'static str)> {
        let range = self
            .range
            .get_or_init(|| DateRangeFormatter::try_new(self.prefs, self.fieldset).ok());
        if let Some(range) = range {
            let collected = parts::collect(&range.format(&self.zoned(a), &self.zoned(b)));
            // Each piece is also tagged with which date of the range it shows.
            let starts: Vec<(usize, usize, &'static str)> = collected
                .spans
                .iter()
                .filter_map(|(s, e, p)| match *p {
                    icu_datetime::parts::RANGE_START => Some((*s, *e, "startRange")),
                    icu_datetime::parts::RANGE_END => Some((*s, *e, "endRange")),
                    _ => None,
                })
                .collect();
            let mut at = 0;
            return parts::split(&collected, date_part)
                .into_iter()
                .map(|(ty, value)| {
                    let source = starts
                        .iter()
                        .find(|(s, e, _)| *s <= at && at < *e)
                        .map(|x| x.2)
                        .unwrap_or("shared");
                    at += value.len();
                    (ty, spaced(value), source)
                })
                .collect();
        }
        let x = self.pieces(a);
        let y = self.pieces(b);
        if x == y {
            return x.into_iter().map(|(t, v)| (t, v, "shared")).collect();
        }
        let mut out: Vec<_> = x.into_iter().map(|(t, v)| (t, v, "startRange")).collect();
        out.push(("literal", " – ".into(), "shared"));
        out.extend(y.into_iter().map(|(t, v)| (t, v, "endRange")));
        out
    }

    fn resolved<'js>(&self, ctx: &Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("locale", self.locale.to_string())?;
        let ca = icu_locale::extensions::unicode::key!("ca");
        o.set(
            "calendar",
            self.locale
                .extensions
                .unicode
                .keywords
                .get(&ca)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "gregory".into()),
        )?;
        o.set(
            "numberingSystem",
            crate::number::numbering_system(&self.locale),
        )?;
        o.set("timeZone", self.zone.name())?;
        if let Some(hc) = self.hour_cycle {
            o.set("hourCycle", hc)?;
            o.set("hour12", hc == "h11" || hc == "h12")?;
        }
        if self.date_style.is_none() && self.time_style.is_none() {
            let b = &self.bag;
            let set = |k: &str, v: Option<&str>| -> Result<()> {
                if let Some(v) = v {
                    o.set(k, v)?;
                }
                Ok(())
            };
            set(
                "weekday",
                b.weekday.map(|w| match w {
                    field::Weekday::Narrow => "narrow",
                    field::Weekday::Short => "short",
                    _ => "long",
                }),
            )?;
            set(
                "era",
                b.era.map(|w| match w {
                    field::Era::Narrow => "narrow",
                    field::Era::Short => "short",
                    _ => "long",
                }),
            )?;
            set(
                "year",
                b.year.map(|w| match w {
                    field::Year::TwoDigit => "2-digit",
                    _ => "numeric",
                }),
            )?;
            set(
                "month",
                b.month.map(|w| match w {
                    field::Month::TwoDigit => "2-digit",
                    field::Month::Numeric => "numeric",
                    field::Month::Narrow => "narrow",
                    field::Month::Short => "short",
                    _ => "long",
                }),
            )?;
            set(
                "day",
                b.day.map(|w| match w {
                    field::Day::TwoDigit => "2-digit",
                    _ => "numeric",
                }),
            )?;
            set(
                "hour",
                b.hour.map(|w| match w {
                    field::Hour::TwoDigit => "2-digit",
                    _ => "numeric",
                }),
            )?;
            set(
                "minute",
                b.minute.map(|w| match w {
                    field::Minute::TwoDigit => "2-digit",
                    _ => "2-digit",
                }),
            )?;
            set(
                "second",
                b.second.map(|w| match w {
                    field::Second::TwoDigit => "2-digit",
                    _ => "2-digit",
                }),
            )?;
            if let Some(f) = b.fractional_second_digits {
                o.set(
                    "fractionalSecondDigits",
                    match f {
                        field::FractionalSecondDigits::F1 => 1,
                        field::FractionalSecondDigits::F2 => 2,
                        _ => 3,
                    },
                )?;
            }
            set(
                "timeZoneName",
                b.time_zone_name.map(|w| match w {
                    field::TimeZoneName::ShortSpecific => "short",
                    field::TimeZoneName::LongSpecific => "long",
                    field::TimeZoneName::ShortOffset => "shortOffset",
                    field::TimeZoneName::LongOffset => "longOffset",
                    field::TimeZoneName::ShortGeneric => "shortGeneric",
                    _ => "longGeneric",
                }),
            )?;
        }
        if let Some(s) = &self.date_style {
            o.set("dateStyle", s.as_str())?;
        }
        if let Some(s) = &self.time_style {
            o.set("timeStyle", s.as_str())?;
        }
        Ok(o)
    }
}

/// CLDR 42+ puts a narrow no-break space before "AM"/"PM"; V8 (and so
/// workerd and Node) print a plain space there for compatibility with code
/// that parses its output, so hearth does too.
fn spaced(s: String) -> String {
    if s.contains('\u{202f}') {
        s.replace('\u{202f}', " ")
    } else {
        s
    }
}

/// The hour cycle CLDR prefers for the locale's region.
fn default_hour_cycle(locale: &Locale) -> &'static str {
    let region = locale.id.region.map(|r| r.to_string());
    match (locale.id.language.as_str(), region.as_deref()) {
        ("en", None | Some("US" | "CA" | "AU" | "NZ" | "IN" | "PH")) => "h12",
        ("es", Some("US" | "MX")) | ("ar" | "hi" | "bn" | "ur" | "ko" | "zh", _) => "h12",
        ("ja", _) => "h23",
        _ => "h23",
    }
}

/// `dateStyle` / `timeStyle` as an ICU4X field set.
fn style_fieldset(date: Option<&str>, time: Option<&str>) -> CompositeFieldSet {
    let mut b = FieldSetBuilder::new();
    let length = |s: &str| match s {
        "full" | "long" => Length::Long,
        "medium" => Length::Medium,
        _ => Length::Short,
    };
    if let Some(d) = date {
        b.length = Some(length(d));
        b.date_fields = Some(if d == "full" {
            DateFields::YMDE
        } else {
            DateFields::YMD
        });
    }
    if let Some(t) = time {
        if b.length.is_none() {
            b.length = Some(length(t));
        }
        b.time_precision = Some(if t == "short" {
            TimePrecision::Minute
        } else {
            TimePrecision::Second
        });
        b.zone_style = match t {
            "full" => Some(ZoneStyle::SpecificLong),
            "long" => Some(ZoneStyle::SpecificShort),
            _ => None,
        };
    }
    b.build_composite().expect("style field sets are valid")
}

fn date_part(part: &Part) -> Option<&'static str> {
    use icu_datetime::parts as p;
    Some(match *part {
        p::ERA => "era",
        p::YEAR | p::EXTENDED_YEAR => "year",
        p::RELATED_YEAR => "relatedYear",
        p::YEAR_NAME => "yearName",
        p::MONTH => "month",
        p::DAY => "day",
        p::WEEKDAY => "weekday",
        p::DAY_PERIOD => "dayPeriod",
        p::HOUR => "hour",
        p::MINUTE => "minute",
        p::SECOND => "second",
        p::TIME_ZONE_NAME => "timeZoneName",
        _ => return None,
    })
}

/// ECMA-402's time value of a `format()` argument: `undefined` is now,
/// anything else goes through ToNumber; NaN or out of range is a RangeError.
fn time_value<'js>(ctx: &Ctx<'js>, value: Option<Value<'js>>) -> Result<i64> {
    let n = match value {
        None => now_ms(),
        Some(v) if v.is_undefined() => now_ms(),
        Some(v) => Coerced::<f64>::from_js(ctx, v)?.0,
    };
    if !n.is_finite() || n.abs() > 8.64e15 {
        return range_error(ctx, "Invalid time value");
    }
    Ok(n.trunc() as i64)
}

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64)
        .unwrap_or(0.0)
}

/// `Intl.DateTimeFormat`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "DateTimeFormat")]
pub(crate) struct DateTimeFormat {
    #[qjs(skip_trace)]
    inner: Rc<Inner>,
}

#[rquickjs::methods]
impl DateTimeFormat {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        Ok(Self {
            inner: Rc::new(Inner::new(
                &ctx,
                locales.0,
                options.0,
                Fields::Any,
                Fields::Date,
            )?),
        })
    }

    /// The bound format function.
    #[qjs(get)]
    pub fn format<'js>(&self, ctx: Ctx<'js>) -> Result<Function<'js>> {
        let inner = self.inner.clone();
        let f = Function::new(ctx, move |ctx: Ctx<'js>, date: Opt<Value<'js>>| {
            let ms = time_value(&ctx, date.0)?;
            Ok::<_, rquickjs::Error>(inner.format(ms))
        })?;
        f.set_name("")?;
        Ok(f)
    }

    #[qjs(rename = "formatToParts")]
    pub fn format_to_parts<'js>(&self, ctx: Ctx<'js>, date: Opt<Value<'js>>) -> Result<Array<'js>> {
        let ms = time_value(&ctx, date.0)?;
        parts::to_js(&ctx, self.inner.pieces(ms))
    }

    #[qjs(rename = "formatRange")]
    pub fn format_range<'js>(
        &self,
        ctx: Ctx<'js>,
        start: Opt<Value<'js>>,
        end: Opt<Value<'js>>,
    ) -> Result<String> {
        let (a, b) = range_args(&ctx, start, end)?;
        Ok(self
            .inner
            .range_pieces(a, b)
            .into_iter()
            .map(|p| p.1)
            .collect())
    }

    #[qjs(rename = "formatRangeToParts")]
    pub fn format_range_to_parts<'js>(
        &self,
        ctx: Ctx<'js>,
        start: Opt<Value<'js>>,
        end: Opt<Value<'js>>,
    ) -> Result<Array<'js>> {
        let (a, b) = range_args(&ctx, start, end)?;
        let pieces = self.inner.range_pieces(a, b);
        let array = Array::new(ctx.clone())?;
        for (i, (ty, value, source)) in pieces.into_iter().enumerate() {
            let o = Object::new(ctx.clone())?;
            o.set("type", ty)?;
            o.set("value", value)?;
            o.set("source", source)?;
            array.set(i, o)?;
        }
        Ok(array)
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        self.inner.resolved(&ctx)
    }
}

fn range_args<'js>(
    ctx: &Ctx<'js>,
    start: Opt<Value<'js>>,
    end: Opt<Value<'js>>,
) -> Result<(i64, i64)> {
    let (Some(start), Some(end)) = (
        start.0.filter(|v| !v.is_undefined()),
        end.0.filter(|v| !v.is_undefined()),
    ) else {
        return type_error(ctx, "startDate or endDate is undefined");
    };
    Ok((time_value(ctx, Some(start))?, time_value(ctx, Some(end))?))
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<DateTimeFormat>(ctx, intl)
}

/// Points `Date.prototype.toLocaleString`, `toLocaleDateString` and
/// `toLocaleTimeString` at `Intl.DateTimeFormat`.
pub(crate) fn patch_date<'js>(ctx: &Ctx<'js>) -> Result<()> {
    let proto: Object = ctx.globals().get::<_, Object>("Date")?.get("prototype")?;
    for (name, required, defaults) in [
        ("toLocaleString", Fields::Any, Fields::Any),
        ("toLocaleDateString", Fields::Date, Fields::Date),
        ("toLocaleTimeString", Fields::Time, Fields::Time),
    ] {
        let f = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  this: This<Value<'js>>,
                  locales: Opt<Value<'js>>,
                  options: Opt<Value<'js>>| {
                // SAFETY: only reads the class of a live value.
                if !unsafe { rquickjs::qjs::JS_IsDate(this.0.as_raw()) } {
                    return type_error(&ctx, "this is not a Date object.");
                }
                let t = Coerced::<f64>::from_js(&ctx, this.0)?.0;
                if t.is_nan() {
                    return Ok("Invalid Date".to_string());
                }
                let inner = Inner::new(&ctx, locales.0, options.0, required, defaults)?;
                Ok::<_, rquickjs::Error>(inner.format(t as i64))
            },
        )?;
        crate::method(&proto, name, f)?;
    }
    Ok(())
}
