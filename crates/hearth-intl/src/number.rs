//! `Intl.NumberFormat`, `Number.prototype.toLocaleString` and
//! `BigInt.prototype.toLocaleString`.

use std::rc::Rc;

use fixed_decimal::{Decimal, SignDisplay, SignedRoundingMode, UnsignedRoundingMode};
use icu_decimal::options::{
    CompactDecimalFormatterOptions, DecimalFormatterOptions, GroupingStrategy,
};
use icu_decimal::{CompactDecimalFormatter, DecimalFormatter};
use icu_experimental::dimension::currency::formatter::CurrencyFormatter;
use icu_experimental::dimension::currency::options::{CurrencyFormatterOptions, CurrencyUsage};
use icu_experimental::dimension::percent::formatter::PercentFormatter;
use icu_locale::preferences::extensions::unicode::keywords::CurrencyType;
use icu_locale::Locale;
use rquickjs::class::Trace;
use rquickjs::function::{Opt, This};
use rquickjs::FromJs;
use rquickjs::{Array, Ctx, Function, JsLifetime, Object, Result, Value};
use writeable::Part;

use crate::options::Options;
use crate::parts;
use crate::{range_error, type_error};

/// ISO 4217 codes listed by `Intl.supportedValuesOf('currency')`.
pub(crate) const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// The sanctioned simple units of ECMA-402 (`Intl.supportedValuesOf('unit')`).
pub(crate) const UNITS: &[&str] = &[
    "acre",
    "bit",
    "byte",
    "celsius",
    "centimeter",
    "day",
    "degree",
    "fahrenheit",
    "fluid-ounce",
    "foot",
    "gallon",
    "gigabit",
    "gigabyte",
    "gram",
    "hectare",
    "hour",
    "inch",
    "kilobit",
    "kilobyte",
    "kilogram",
    "kilometer",
    "liter",
    "megabit",
    "megabyte",
    "meter",
    "microsecond",
    "mile",
    "mile-scandinavian",
    "milliliter",
    "millimeter",
    "millisecond",
    "minute",
    "month",
    "nanosecond",
    "ounce",
    "percent",
    "petabyte",
    "pound",
    "second",
    "stone",
    "terabit",
    "terabyte",
    "week",
    "yard",
    "year",
];

/// ISO 4217 minor units that differ from 2 (ECMA-402 CurrencyDigits).
fn currency_digits(code: &str) -> u32 {
    match code {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        "CLF" | "UYW" => 4,
        _ => 2,
    }
}

/// How a number is rounded and padded before it is formatted
/// (ECMA-402 SetNumberFormatDigitOptions).
#[derive(Clone, Debug)]
pub(crate) struct Digits {
    pub(crate) min_integer: u32,
    pub(crate) min_fraction: u32,
    pub(crate) max_fraction: u32,
    pub(crate) significant: Option<(u32, u32)>,
    /// Compact notation without digit options: ICU4X's compact rounding.
    pub(crate) compact_rounding: bool,
    pub(crate) rounding_mode: &'static str,
    pub(crate) strip_if_integer: bool,
}

const ROUNDING_MODES: &[&str] = &[
    "ceil",
    "floor",
    "expand",
    "trunc",
    "halfCeil",
    "halfFloor",
    "halfExpand",
    "halfTrunc",
    "halfEven",
];

impl Digits {
    /// Reads the digit options with the style's default fraction digits.
    pub(crate) fn read(
        opts: &Options<'_>,
        min_fraction_default: u32,
        max_fraction_default: u32,
        compact: bool,
    ) -> Result<Self> {
        let min_integer = opts.number("minimumIntegerDigits", 1, 21)?.unwrap_or(1);
        let mnfd = opts.value("minimumFractionDigits")?;
        let mxfd = opts.value("maximumFractionDigits")?;
        let mnsd = opts.value("minimumSignificantDigits")?;
        let mxsd = opts.value("maximumSignificantDigits")?;
        let rounding_mode = match opts.string("roundingMode", ROUNDING_MODES)? {
            Some(m) => ROUNDING_MODES
                .iter()
                .find(|x| **x == m)
                .copied()
                .expect("validated"),
            None => "halfExpand",
        };
        let strip_if_integer = opts
            .string("trailingZeroDisplay", &["auto", "stripIfInteger"])?
            .as_deref()
            == Some("stripIfInteger");
        let has_sd = mnsd.is_some() || mxsd.is_some();
        let has_fd = mnfd.is_some() || mxfd.is_some();
        let need_sd = has_sd;
        let need_fd = !(need_sd || (!has_fd && compact));
        let mut digits = Digits {
            min_integer,
            min_fraction: min_fraction_default,
            max_fraction: max_fraction_default,
            significant: None,
            compact_rounding: false,
            rounding_mode,
            strip_if_integer,
        };
        if need_sd {
            let min = opts.number("minimumSignificantDigits", 1, 21)?.unwrap_or(1);
            let max = opts
                .number("maximumSignificantDigits", min, 21)?
                .unwrap_or(21);
            digits.significant = Some((min, max));
        }
        if need_fd {
            if has_fd {
                let min = opts.number("minimumFractionDigits", 0, 100)?;
                let max = opts.number("maximumFractionDigits", 0, 100)?;
                match (min, max) {
                    (None, Some(max)) => {
                        digits.min_fraction = min_fraction_default.min(max);
                        digits.max_fraction = max;
                    }
                    (Some(min), None) => {
                        digits.min_fraction = min;
                        digits.max_fraction = max_fraction_default.max(min);
                    }
                    (Some(min), Some(max)) => {
                        if min > max {
                            return range_error(
                                opts.ctx(),
                                "maximumFractionDigits value is out of range.",
                            );
                        }
                        digits.min_fraction = min;
                        digits.max_fraction = max;
                    }
                    (None, None) => unreachable!("has_fd"),
                }
            }
        } else if !need_sd {
            digits.min_fraction = 0;
            digits.max_fraction = 0;
            digits.compact_rounding = true;
        }
        Ok(digits)
    }

    fn mode(&self) -> SignedRoundingMode {
        use UnsignedRoundingMode as U;
        match self.rounding_mode {
            "ceil" => SignedRoundingMode::Ceil,
            "floor" => SignedRoundingMode::Floor,
            "expand" => SignedRoundingMode::Unsigned(U::Expand),
            "trunc" => SignedRoundingMode::Unsigned(U::Trunc),
            "halfCeil" => SignedRoundingMode::HalfCeil,
            "halfFloor" => SignedRoundingMode::HalfFloor,
            "halfTrunc" => SignedRoundingMode::Unsigned(U::HalfTrunc),
            "halfEven" => SignedRoundingMode::Unsigned(U::HalfEven),
            _ => SignedRoundingMode::Unsigned(U::HalfExpand),
        }
    }

    /// Rounds and pads `d` in place.
    pub(crate) fn apply(&self, d: &mut Decimal) {
        if self.compact_rounding {
            return;
        }
        let mode = self.mode();
        match self.significant {
            Some((min, max)) => {
                let top = d.absolute.nonzero_magnitude_start();
                d.round_with_mode(top - max as i16 + 1, mode);
                d.absolute.trim_end();
                let top = d.absolute.nonzero_magnitude_start();
                d.absolute.pad_end(top - min as i16 + 1);
            }
            None => {
                d.round_with_mode(-(self.max_fraction as i16), mode);
                d.absolute.trim_end();
                d.absolute.pad_end(-(self.min_fraction as i16));
            }
        }
        if self.strip_if_integer && d.absolute.nonzero_magnitude_end() >= 0 {
            d.absolute.trim_end();
        }
        d.absolute.pad_start(self.min_integer as i16);
    }

    /// Writes the digit options into a `resolvedOptions()` object.
    pub(crate) fn resolved(&self, o: &Object<'_>) -> Result<()> {
        o.set("minimumIntegerDigits", self.min_integer)?;
        match self.significant {
            Some((min, max)) => {
                o.set("minimumSignificantDigits", min)?;
                o.set("maximumSignificantDigits", max)?;
            }
            None => {
                o.set("minimumFractionDigits", self.min_fraction)?;
                o.set("maximumFractionDigits", self.max_fraction)?;
            }
        }
        Ok(())
    }
}

/// A numeric value as ECMA-402's ToIntlMathematicalValue sees it.
pub(crate) enum Numeric {
    Finite(Decimal),
    NaN,
    Infinite(bool),
}

/// Converts a JavaScript value (number, BigInt or numeric string) to a
/// decimal without going through binary floating point for BigInts and
/// strings.
pub(crate) fn to_numeric<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<Numeric> {
    if let Some(b) = value.as_big_int() {
        let s: String = b
            .clone()
            .into_value()
            .get::<rquickjs::convert::Coerced<String>>()?
            .0;
        return Ok(Numeric::Finite(
            Decimal::try_from_str(&s).unwrap_or_else(|_| Decimal::from(0)),
        ));
    }
    if let Some(s) = value.as_string() {
        let text = s.to_string()?;
        let trimmed = text.trim();
        if let Ok(d) = Decimal::try_from_str(trimmed) {
            return Ok(Numeric::Finite(d));
        }
    }
    let n = rquickjs::convert::Coerced::<f64>::from_js(ctx, value)?.0;
    Ok(from_f64(n))
}

/// The exact decimal of the shortest round-tripping representation of `n`.
pub(crate) fn from_f64(n: f64) -> Numeric {
    if n.is_nan() {
        Numeric::NaN
    } else if n.is_infinite() {
        Numeric::Infinite(n < 0.0)
    } else {
        // Rust's `Display` for f64 is the shortest round-trip string and
        // never uses an exponent, which is what Decimal parses.
        Numeric::Finite(Decimal::try_from_str(&format!("{n}")).expect("finite f64 is a decimal"))
    }
}

/// The formatter of a style; `Decimal` and `Unit` use the plain decimal
/// formatter of [`NumberFormatInner`].
enum Formatter {
    Decimal,
    Percent(PercentFormatter<DecimalFormatter>),
    Currency(CurrencyFormatter<DecimalFormatter>),
    CompactCurrency(CurrencyFormatter<CompactDecimalFormatter>),
    Compact(CompactDecimalFormatter),
    /// The unit, whose label is appended to the number.
    Unit(String),
}

/// The locale's decimal and grouping separators, to find a number in text.
pub(crate) struct Symbols {
    decimal: String,
    group: String,
}

impl Symbols {
    fn of(locale: &Locale) -> Self {
        let mut symbols = Symbols {
            decimal: ".".into(),
            group: ",".into(),
        };
        if let Ok(f) = DecimalFormatter::try_new(locale.into(), GroupingStrategy::Always.into()) {
            let sample = Decimal::try_from_str("1234.5").expect("valid decimal");
            for (ty, text) in parts::split(&parts::collect(&f.format(&sample)), number_part) {
                match ty {
                    "decimal" => symbols.decimal = text,
                    "group" => symbols.group = text,
                    _ => {}
                }
            }
        }
        symbols
    }
}

/// Everything a `NumberFormat` resolved at construction.
pub(crate) struct NumberFormatInner {
    locale: Locale,
    style: String,
    currency: Option<(String, String, String)>,
    unit: Option<(String, String)>,
    notation: String,
    compact_display: Option<String>,
    use_grouping: Value0,
    sign_display: String,
    digits: Digits,
    decimal: DecimalFormatter,
    symbols: Symbols,
    formatter: Formatter,
}

/// `useGrouping` as resolvedOptions reports it.
#[derive(Clone, Copy)]
enum Value0 {
    False,
    Always,
    Auto,
    Min2,
}

impl NumberFormatInner {
    /// Reads `locales` and `options` (ECMA-402 InitializeNumberFormat).
    pub(crate) fn new<'js>(
        ctx: &Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        let requested =
            crate::requested_locales(ctx, &crate::locale::object_or_undefined(ctx, locales.0))?;
        let opts = Options::new(ctx, options.0, "Intl.NumberFormat")?;
        opts.string("localeMatcher", &["lookup", "best fit"])?;
        let numbering = opts.string("numberingSystem", &[])?;
        let locale = crate::resolve_locale(&requested);
        let mut locale = locale;
        if let Some(nu) = numbering {
            set_keyword(ctx, &mut locale, "nu", &nu)?;
        }
        let style = opts
            .string("style", &["decimal", "percent", "currency", "unit"])?
            .unwrap_or_else(|| "decimal".into());
        let currency = opts.string("currency", &[])?;
        if let Some(c) = &currency {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return range_error(ctx, format!("Invalid currency code : {c}"));
            }
        }
        let currency_display = opts
            .string(
                "currencyDisplay",
                &["code", "symbol", "narrowSymbol", "name"],
            )?
            .unwrap_or_else(|| "symbol".into());
        let currency_sign = opts
            .string("currencySign", &["standard", "accounting"])?
            .unwrap_or_else(|| "standard".into());
        let unit = opts.string("unit", &[])?;
        let unit_display = opts
            .string("unitDisplay", &["short", "narrow", "long"])?
            .unwrap_or_else(|| "short".into());
        if style == "currency" && currency.is_none() {
            return type_error(ctx, "Currency code is required with currency style.");
        }
        if style == "unit" {
            match &unit {
                None => return type_error(ctx, "Unit is required with unit style."),
                Some(u) if !is_sanctioned_unit(u) => {
                    return range_error(
                        ctx,
                        format!("Invalid unit argument for Intl.NumberFormat() '{u}'"),
                    )
                }
                _ => {}
            }
        }
        let currency = currency.map(|c| c.to_ascii_uppercase());
        let notation = opts
            .string(
                "notation",
                &["standard", "scientific", "engineering", "compact"],
            )?
            .unwrap_or_else(|| "standard".into());
        if notation == "scientific" || notation == "engineering" {
            return range_error(
                ctx,
                format!("hearth's Intl.NumberFormat does not support notation '{notation}'"),
            );
        }
        let compact = notation == "compact";
        let (mnfd_default, mxfd_default) = match style.as_str() {
            "currency" if !compact => {
                let d = currency_digits(currency.as_deref().unwrap_or("USD"));
                (d, d)
            }
            "percent" => (0, 0),
            _ => (0, 3),
        };
        let digits = Digits::read(&opts, mnfd_default, mxfd_default, compact)?;
        let compact_display = opts.string("compactDisplay", &["short", "long"])?;
        let grouping = match opts.value("useGrouping")? {
            None => {
                if compact {
                    Value0::Min2
                } else {
                    Value0::Auto
                }
            }
            Some(v) => {
                if let Some(b) = v.as_bool() {
                    if b {
                        Value0::Always
                    } else {
                        Value0::False
                    }
                } else {
                    let s = rquickjs::convert::Coerced::<String>::from_js(ctx, v.clone())?.0;
                    match s.as_str() {
                        "always" | "true" => Value0::Always,
                        "auto" => Value0::Auto,
                        "min2" => Value0::Min2,
                        "false" | "" => Value0::False,
                        _ if !crate::options::truthy(&v) => Value0::False,
                        _ => {
                            return range_error(
                                ctx,
                                format!("Value {s} out of range for Intl.NumberFormat options property useGrouping"),
                            )
                        }
                    }
                }
            }
        };
        let sign_display = opts
            .string(
                "signDisplay",
                &["auto", "never", "always", "exceptZero", "negative"],
            )?
            .unwrap_or_else(|| "auto".into());

        let strategy = match grouping {
            Value0::False => GroupingStrategy::Never,
            Value0::Always => GroupingStrategy::Always,
            Value0::Auto => GroupingStrategy::Auto,
            Value0::Min2 => GroupingStrategy::Min2,
        };
        let failed = |e: icu_provider::DataError| {
            rquickjs::Exception::throw_range(ctx, &format!("Intl.NumberFormat: no data ({e})"))
        };
        let decimal =
            || DecimalFormatter::try_new((&locale).into(), DecimalFormatterOptions::from(strategy));
        let formatter = match style.as_str() {
            "currency" => {
                let code = currency.as_deref().expect("checked");
                let code_type =
                    CurrencyType::try_from_str(&code.to_ascii_lowercase()).map_err(|_| {
                        rquickjs::Exception::throw_range(
                            ctx,
                            &format!("Invalid currency code : {code}"),
                        )
                    })?;
                let mut options = CurrencyFormatterOptions::default();
                if currency_sign == "accounting" {
                    options.usage = CurrencyUsage::Accounting;
                }
                let prefs = (&locale).into();
                let long = compact_display.as_deref() == Some("long");
                if compact {
                    Formatter::CompactCurrency(
                        match (currency_display.as_str(), long) {
                            ("code", false) => {
                                CurrencyFormatter::try_new_compact_code(prefs, code_type, options)
                            }
                            ("code", true) => CurrencyFormatter::try_new_compact_long_code(
                                prefs, code_type, options,
                            ),
                            ("name", false) => {
                                CurrencyFormatter::try_new_compact_name(prefs, code_type)
                            }
                            ("name", true) => {
                                CurrencyFormatter::try_new_compact_long_name(prefs, code_type)
                            }
                            ("narrowSymbol", false) => {
                                CurrencyFormatter::try_new_compact_symbol_narrow(
                                    prefs, code_type, options,
                                )
                            }
                            ("narrowSymbol", true) => {
                                CurrencyFormatter::try_new_compact_long_symbol_narrow(
                                    prefs, code_type, options,
                                )
                            }
                            (_, false) => {
                                CurrencyFormatter::try_new_compact_symbol(prefs, code_type, options)
                            }
                            (_, true) => CurrencyFormatter::try_new_compact_long_symbol(
                                prefs, code_type, options,
                            ),
                        }
                        .map_err(failed)?,
                    )
                } else {
                    Formatter::Currency(
                        match currency_display.as_str() {
                            "code" => CurrencyFormatter::try_new_code(prefs, code_type, options),
                            "name" => CurrencyFormatter::try_new_name(prefs, code_type),
                            "narrowSymbol" => {
                                CurrencyFormatter::try_new_symbol_narrow(prefs, code_type, options)
                            }
                            _ => CurrencyFormatter::try_new_symbol(prefs, code_type, options),
                        }
                        .map_err(failed)?,
                    )
                }
            }
            _ if compact => {
                let options = CompactDecimalFormatterOptions::from(strategy);
                let f = if compact_display.as_deref() == Some("long") {
                    CompactDecimalFormatter::try_new_long((&locale).into(), options)
                } else {
                    CompactDecimalFormatter::try_new_short((&locale).into(), options)
                };
                Formatter::Compact(f.map_err(failed)?)
            }
            "percent" => Formatter::Percent(
                PercentFormatter::try_new_with_decimal_formatter(
                    (&locale).into(),
                    decimal().map_err(failed)?,
                    Default::default(),
                )
                .map_err(failed)?,
            ),
            "unit" => Formatter::Unit(unit.clone().expect("checked")),
            _ => Formatter::Decimal,
        };
        Ok(Self {
            locale: locale.clone(),
            currency: currency.map(|c| (c, currency_display, currency_sign)),
            unit: unit.filter(|_| style == "unit").map(|u| (u, unit_display)),
            style,
            notation,
            compact_display: compact_display
                .filter(|_| compact)
                .or(compact.then(|| "short".into())),
            use_grouping: grouping,
            sign_display,
            digits,
            decimal: decimal().map_err(failed)?,
            symbols: Symbols::of(&locale),
            formatter,
        })
    }

    /// The formatted pieces of `value`, typed as `formatToParts` reports them.
    pub(crate) fn pieces(&self, value: Numeric) -> Vec<(&'static str, String)> {
        let (mut decimal, special) = match value {
            Numeric::Finite(d) => (d, None),
            Numeric::NaN => (Decimal::from(0), Some(("nan", "NaN"))),
            Numeric::Infinite(negative) => {
                let mut d = Decimal::from(0);
                if negative {
                    d.sign = fixed_decimal::Sign::Negative;
                }
                (d, Some(("infinity", "∞")))
            }
        };
        if special.is_none() {
            if self.style == "percent" {
                decimal.absolute.multiply_pow10(2);
            }
            self.digits.apply(&mut decimal);
        }
        let sign = match self.sign_display.as_str() {
            "never" => SignDisplay::Never,
            "always" => SignDisplay::Always,
            "exceptZero" => SignDisplay::ExceptZero,
            "negative" => SignDisplay::Negative,
            _ => SignDisplay::Auto,
        };
        if special == Some(("nan", "NaN")) {
            decimal.apply_sign_display(
                if sign == SignDisplay::Always || sign == SignDisplay::ExceptZero {
                    SignDisplay::Never
                } else {
                    sign
                },
            );
        } else {
            decimal.apply_sign_display(sign);
        }
        let collected = match &self.formatter {
            Formatter::Decimal => parts::collect(&self.decimal.format(&decimal)),
            Formatter::Percent(f) => parts::collect(&f.format(&decimal)),
            Formatter::Currency(f) => parts::collect(&f.format_fixed_decimal(&decimal)),
            Formatter::CompactCurrency(f) => parts::collect(&f.format_fixed_decimal(&decimal)),
            Formatter::Compact(f) => parts::collect(&f.format(&decimal)),
            Formatter::Unit(unit) => {
                let mut c = parts::collect(&self.decimal.format(&decimal));
                let one = decimal.absolute == fixed_decimal::UnsignedDecimal::from(1u32);
                c.text.push_str(&unit_label(unit, !one));
                c
            }
        };
        let kind = match &self.formatter {
            Formatter::Percent(_) => "percentSign",
            Formatter::Currency(_) | Formatter::CompactCurrency(_) => "currency",
            Formatter::Compact(_) => "compact",
            Formatter::Unit(_) => "unit",
            Formatter::Decimal => "literal",
        };
        // Some ICU4X formatters annotate the number, others (percent,
        // compact) write plain text: find the number in the text then.
        let mut out = Vec::new();
        for (ty, text) in parts::split(&collected, number_part) {
            if ty == "literal" {
                tokenize(&text, &self.symbols, kind, &mut out);
            } else {
                push_piece(&mut out, ty, &text);
            }
        }
        if let Formatter::Currency(_) = self.formatter {
            // The currency formatter always rounds to the currency's digits;
            // show the number as the digit options say instead.
            let mut own = Vec::new();
            let mut abs = decimal.clone();
            abs.sign = fixed_decimal::Sign::None;
            for (ty, text) in parts::split(&parts::collect(&self.decimal.format(&abs)), number_part)
            {
                push_piece(&mut own, ty, &text);
            }
            let numeric = |t: &str| matches!(t, "integer" | "group" | "decimal" | "fraction");
            if let (Some(first), Some(last)) = (
                out.iter().position(|p| numeric(p.0)),
                out.iter().rposition(|p| numeric(p.0)),
            ) {
                out.splice(first..=last, own);
            }
        }
        if let Some((kind, shown)) = special {
            if let Some(p) = out.iter_mut().find(|p| p.0 == "integer") {
                *p = (kind, shown.to_string());
            }
        }
        out
    }

    /// The formatted string of `value`.
    pub(crate) fn format(&self, value: Numeric) -> String {
        self.pieces(value).into_iter().map(|(_, s)| s).collect()
    }

    /// `resolvedOptions()`.
    fn resolved<'js>(&self, ctx: &Ctx<'js>) -> Result<Object<'js>> {
        let o = Object::new(ctx.clone())?;
        o.set("locale", self.locale.to_string())?;
        o.set("numberingSystem", numbering_system(&self.locale))?;
        o.set("style", self.style.as_str())?;
        if let Some((code, display, sign)) = &self.currency {
            if self.style == "currency" {
                o.set("currency", code.as_str())?;
                o.set("currencyDisplay", display.as_str())?;
                o.set("currencySign", sign.as_str())?;
            }
        }
        if let Some((unit, display)) = &self.unit {
            o.set("unit", unit.as_str())?;
            o.set("unitDisplay", display.as_str())?;
        }
        self.digits.resolved(&o)?;
        match self.use_grouping {
            Value0::False => o.set("useGrouping", false)?,
            Value0::Always => o.set("useGrouping", "always")?,
            Value0::Auto => o.set("useGrouping", "auto")?,
            Value0::Min2 => o.set("useGrouping", "min2")?,
        }
        o.set("notation", self.notation.as_str())?;
        if let Some(d) = &self.compact_display {
            o.set("compactDisplay", d.as_str())?;
        }
        o.set("signDisplay", self.sign_display.as_str())?;
        o.set("roundingIncrement", 1)?;
        o.set("roundingMode", self.digits.rounding_mode)?;
        o.set("roundingPriority", "auto")?;
        o.set(
            "trailingZeroDisplay",
            if self.digits.strip_if_integer {
                "stripIfInteger"
            } else {
                "auto"
            },
        )?;
        Ok(o)
    }
}

/// The `-u-nu-` keyword of `locale`, or `latn`.
pub(crate) fn numbering_system(locale: &Locale) -> String {
    let key = icu_locale::extensions::unicode::key!("nu");
    locale
        .extensions
        .unicode
        .keywords
        .get(&key)
        .map(|v| v.to_string())
        .unwrap_or_else(|| "latn".into())
}

/// Sets a `-u-` keyword (from an option such as `numberingSystem`).
pub(crate) fn set_keyword(
    ctx: &Ctx<'_>,
    locale: &mut Locale,
    key: &str,
    value: &str,
) -> Result<()> {
    let key: icu_locale::extensions::unicode::Key = key.parse().expect("valid key");
    match value.parse::<icu_locale::extensions::unicode::Value>() {
        Ok(v) if !value.is_empty() => {
            locale.extensions.unicode.keywords.set(key, v);
            Ok(())
        }
        _ => range_error(ctx, format!("Invalid {key} value: {value}")),
    }
}

fn number_part(part: &Part) -> Option<&'static str> {
    use icu_decimal::parts as p;
    Some(match *part {
        p::INTEGER => "integer",
        p::FRACTION => "fraction",
        p::GROUP => "group",
        p::DECIMAL => "decimal",
        p::MINUS_SIGN => "minusSign",
        p::PLUS_SIGN => "plusSign",
        _ => return None,
    })
}

/// Appends `text` as a piece of type `ty`, joining it to the previous piece
/// when that has the same type (and is not a number part).
fn push_piece(out: &mut Vec<(&'static str, String)>, ty: &'static str, text: &str) {
    match out.last_mut() {
        Some((t, s)) if *t == ty && !matches!(ty, "integer" | "group" | "decimal" | "fraction") => {
            s.push_str(text)
        }
        _ => out.push((ty, text.to_string())),
    }
}

/// A decimal digit of the numbering systems CLDR formats with (not
/// superscripts such as the ² of m²).
fn is_digit(c: char) -> bool {
    let ranges = [
        ('0', '9'),
        ('\u{660}', '\u{669}'),
        ('\u{6f0}', '\u{6f9}'),
        ('\u{966}', '\u{96f}'),
        ('\u{9e6}', '\u{9ef}'),
        ('\u{e50}', '\u{e59}'),
        ('\u{ff10}', '\u{ff19}'),
    ];
    ranges.iter().any(|(a, b)| (*a..=*b).contains(&c))
}

/// Types the pieces of plain formatted text: digits become integer/fraction
/// (with the locale's group and decimal separators between them), signs
/// become minusSign/plusSign, spaces stay literal, anything else is `kind`
/// (the currency, percent sign, compact suffix or unit).
fn tokenize(
    text: &str,
    symbols: &Symbols,
    kind: &'static str,
    out: &mut Vec<(&'static str, String)>,
) {
    let mut rest = text;
    let mut in_number = false;
    let mut in_fraction = false;
    let followed_by_digit = |s: &str, sep: &str| {
        s.strip_prefix(sep)
            .and_then(|r| r.chars().next())
            .is_some_and(is_digit)
    };
    while let Some(c) = rest.chars().next() {
        if is_digit(c) {
            let ty = if in_fraction { "fraction" } else { "integer" };
            match out.last_mut() {
                Some((t, s)) if *t == ty && in_number => s.push(c),
                _ => out.push((ty, c.to_string())),
            }
            in_number = true;
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if in_number && !in_fraction && followed_by_digit(rest, &symbols.decimal) {
            out.push(("decimal", symbols.decimal.clone()));
            rest = &rest[symbols.decimal.len()..];
            in_fraction = true;
            continue;
        }
        if in_number && !in_fraction && followed_by_digit(rest, &symbols.group) {
            out.push(("group", symbols.group.clone()));
            rest = &rest[symbols.group.len()..];
            continue;
        }
        in_number = false;
        in_fraction = false;
        let ty = match c {
            '-' | '\u{2212}' if kind != "literal" => "minusSign",
            '+' if kind != "literal" => "plusSign",
            c if c.is_whitespace() || c == '\u{200e}' || c == '\u{200f}' || c == '\u{61c}' => {
                "literal"
            }
            _ => kind,
        };
        push_piece(out, ty, &c.to_string());
        rest = &rest[c.len_utf8()..];
    }
}

/// Whether `unit` is a sanctioned unit or a `-per-` pair of them.
fn is_sanctioned_unit(unit: &str) -> bool {
    if UNITS.contains(&unit) {
        return true;
    }
    match unit.split_once("-per-") {
        Some((a, b)) => UNITS.contains(&a) && UNITS.contains(&b),
        None => false,
    }
}

/// The unit's label after the number: CLDR's English short form, in every
/// locale (ICU4X 2.x has no general unit formatter yet). `plural` picks
/// "days" over "day" where English distinguishes them.
fn unit_label(unit: &str, plural: bool) -> String {
    let short = |u: &str, per: bool| -> &'static str {
        match (u, per) {
            ("hour", true) => "h",
            ("second", true) => "s",
            ("day", false) if plural => "days",
            ("month", false) if plural => "mths",
            ("week", false) if plural => "wks",
            ("year", false) if plural => "yrs",
            ("acre", _) => "ac",
            ("bit", _) => "bit",
            ("byte", _) => "byte",
            ("celsius", _) => "°C",
            ("centimeter", _) => "cm",
            ("day", _) => "day",
            ("degree", _) => "deg",
            ("fahrenheit", _) => "°F",
            ("fluid-ounce", _) => "fl oz",
            ("foot", _) => "ft",
            ("gallon", _) => "gal",
            ("gigabit", _) => "Gb",
            ("gigabyte", _) => "GB",
            ("gram", _) => "g",
            ("hectare", _) => "ha",
            ("hour", _) => "hr",
            ("inch", _) => "in",
            ("kilobit", _) => "kb",
            ("kilobyte", _) => "kB",
            ("kilogram", _) => "kg",
            ("kilometer", _) => "km",
            ("liter", _) => "L",
            ("megabit", _) => "Mb",
            ("megabyte", _) => "MB",
            ("meter", _) => "m",
            ("microsecond", _) => "μs",
            ("mile", _) => "mi",
            ("mile-scandinavian", _) => "smi",
            ("milliliter", _) => "mL",
            ("millimeter", _) => "mm",
            ("millisecond", _) => "ms",
            ("minute", _) => "min",
            ("month", _) => "mth",
            ("nanosecond", _) => "ns",
            ("ounce", _) => "oz",
            ("percent", _) => "%",
            ("petabyte", _) => "PB",
            ("pound", _) => "lb",
            ("second", _) => "sec",
            ("stone", _) => "st",
            ("terabit", _) => "Tb",
            ("terabyte", _) => "TB",
            ("week", _) => "wk",
            ("yard", _) => "yd",
            ("year", _) => "yr",
            _ => "",
        }
    };
    let label = match unit {
        "kilometer-per-hour" => "km/h".to_string(),
        "mile-per-hour" => "mph".to_string(),
        "mile-per-gallon" => "mpg".to_string(),
        _ => match unit.split_once("-per-") {
            Some((a, b)) => format!("{}/{}", short(a, false), short(b, true)),
            None => short(unit, false).to_string(),
        },
    };
    if matches!(unit, "percent" | "celsius" | "fahrenheit") {
        label
    } else {
        format!(" {label}")
    }
}

/// `Intl.NumberFormat`.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "NumberFormat")]
pub(crate) struct NumberFormat {
    #[qjs(skip_trace)]
    inner: Rc<NumberFormatInner>,
}

#[rquickjs::methods]
impl NumberFormat {
    #[qjs(constructor)]
    pub fn new<'js>(
        ctx: Ctx<'js>,
        locales: Opt<Value<'js>>,
        options: Opt<Value<'js>>,
    ) -> Result<Self> {
        Ok(Self {
            inner: Rc::new(NumberFormatInner::new(&ctx, locales, options)?),
        })
    }

    /// The bound format function.
    #[qjs(get)]
    pub fn format<'js>(&self, ctx: Ctx<'js>) -> Result<Function<'js>> {
        let inner = self.inner.clone();
        let f = Function::new(ctx.clone(), move |ctx: Ctx<'js>, value: Opt<Value<'js>>| {
            let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
            let n = to_numeric(&ctx, value)?;
            Ok::<_, rquickjs::Error>(inner.format(n))
        })?;
        f.set_name("")?;
        Ok(f)
    }

    #[qjs(rename = "formatToParts")]
    pub fn format_to_parts<'js>(
        &self,
        ctx: Ctx<'js>,
        value: Opt<Value<'js>>,
    ) -> Result<Array<'js>> {
        let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
        let n = to_numeric(&ctx, value)?;
        parts::to_js(&ctx, self.inner.pieces(n))
    }

    #[qjs(rename = "formatRange")]
    pub fn format_range<'js>(
        &self,
        ctx: Ctx<'js>,
        start: Opt<Value<'js>>,
        end: Opt<Value<'js>>,
    ) -> Result<String> {
        let (Some(start), Some(end)) = (
            start.0.filter(|v| !v.is_undefined()),
            end.0.filter(|v| !v.is_undefined()),
        ) else {
            return type_error(&ctx, "start or end is undefined");
        };
        let a = self.inner.format(to_numeric(&ctx, start)?);
        let b = self.inner.format(to_numeric(&ctx, end)?);
        if a == b {
            return Ok(format!("~{a}"));
        }
        Ok(format!("{a}–{b}"))
    }

    #[qjs(rename = "resolvedOptions")]
    pub fn resolved_options<'js>(&self, ctx: Ctx<'js>) -> Result<Object<'js>> {
        self.inner.resolved(&ctx)
    }
}

pub(crate) fn define<'js>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()> {
    crate::define_class::<NumberFormat>(ctx, intl)
}

/// `Number.prototype.toLocaleString` and `BigInt.prototype.toLocaleString`.
pub(crate) fn patch_number<'js>(ctx: &Ctx<'js>) -> Result<()> {
    for ctor in ["Number", "BigInt"] {
        let proto: Object = ctx.globals().get::<_, Object>(ctor)?.get("prototype")?;
        let f = Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>,
                  this: This<Value<'js>>,
                  locales: Opt<Value<'js>>,
                  options: Opt<Value<'js>>| {
                let value = this.0;
                if !(value.is_number() || value.is_big_int() || value.is_object()) {
                    return type_error(
                        &ctx,
                        format!("{ctor}.prototype.toLocaleString requires that 'this' be a {ctor}"),
                    );
                }
                let nf = NumberFormatInner::new(&ctx, locales, options)?;
                let n = to_numeric(&ctx, value)?;
                Ok::<_, rquickjs::Error>(nf.format(n))
            },
        )?;
        crate::method(&proto, "toLocaleString", f)?;
    }
    Ok(())
}
