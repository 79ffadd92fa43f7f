//! `Intl` (ECMA-402) for hearth's QuickJS runtime, backed by ICU4X with its
//! locale data compiled into the binary: no data files and no network at run
//! time.
//!
//! [`install`] only defines the constructors and functions; every ICU4X
//! formatter is created when a script constructs an `Intl` object (or calls a
//! `toLocale*` method), so isolates that never use `Intl` pay almost nothing.

mod collator;
mod datetime;
mod list;
mod locale;
mod number;
mod options;
mod parts;
mod plural;
mod relative;
mod segmenter;

use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Object, Result};

pub(crate) use locale::{requested_locales, resolve_locale};

/// Defines `globalThis.Intl` and points the `toLocale*` / `localeCompare`
/// methods of `Date`, `Number`, `BigInt` and `String` at it.
pub fn install(ctx: &Ctx<'_>) -> Result<()> {
    let intl = Object::new(ctx.clone())?;
    collator::define(ctx, &intl)?;
    datetime::define(ctx, &intl)?;
    list::define(ctx, &intl)?;
    number::define(ctx, &intl)?;
    plural::define(ctx, &intl)?;
    relative::define(ctx, &intl)?;
    segmenter::define(ctx, &intl)?;
    method(
        &intl,
        "getCanonicalLocales",
        Function::new(ctx.clone(), locale::get_canonical_locales)?,
    )?;
    method(
        &intl,
        "supportedValuesOf",
        Function::new(ctx.clone(), locale::supported_values_of)?,
    )?;
    let tag: rquickjs::Symbol = ctx
        .globals()
        .get::<_, Object>("Symbol")?
        .get("toStringTag")?;
    intl.prop(tag, Property::from("Intl").configurable())?;
    ctx.globals()
        .prop("Intl", Property::from(intl).writable().configurable())?;

    datetime::patch_date(ctx)?;
    number::patch_number(ctx)?;
    collator::patch_string(ctx)?;
    Ok(())
}

/// Defines `name` on `target` the way built-in methods are: writable,
/// configurable, not enumerable.
pub(crate) fn method<'js>(target: &Object<'js>, name: &str, f: Function<'js>) -> Result<()> {
    f.set_name(name)?;
    target.prop(name, Property::from(f).writable().configurable())
}

/// Defines a class constructor on the `Intl` object (non-enumerable, like the
/// other standard constructors) with its static `supportedLocalesOf`.
pub(crate) fn define_class<'js, C>(ctx: &Ctx<'js>, intl: &Object<'js>) -> Result<()>
where
    C: rquickjs::class::JsClass<'js>,
{
    let ctor =
        rquickjs::Class::<C>::create_constructor(ctx)?.expect("Intl classes have constructors");
    method(
        &ctor,
        "supportedLocalesOf",
        Function::new(ctx.clone(), locale::supported_locales_of)?,
    )?;
    if let Some(proto) = rquickjs::Class::<C>::prototype(ctx)? {
        let tag: rquickjs::Symbol = ctx
            .globals()
            .get::<_, Object>("Symbol")?
            .get("toStringTag")?;
        let name = format!("Intl.{}", C::NAME);
        proto.prop(tag, Property::from(name).configurable())?;
    }
    intl.prop(C::NAME, Property::from(ctor).writable().configurable())
}

/// Throws a `RangeError` with `message`.
pub(crate) fn range_error<T>(ctx: &Ctx<'_>, message: impl AsRef<str>) -> Result<T> {
    Err(rquickjs::Exception::throw_range(ctx, message.as_ref()))
}

/// Throws a `TypeError` with `message`.
pub(crate) fn type_error<T>(ctx: &Ctx<'_>, message: impl AsRef<str>) -> Result<T> {
    Err(rquickjs::Exception::throw_type(ctx, message.as_ref()))
}

#[cfg(test)]
mod tests;
