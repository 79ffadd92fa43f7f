//! The natives behind `HTMLRewriter`, on `lol_html` (Cloudflare's own engine).
//!
//! lol_html's handlers run synchronously inside `write()`, but Workers lets a
//! handler return a promise that the rewriter waits for. So each transform runs
//! its rewriter in a coroutine (a stack of its own, switched to and from on the
//! isolate's thread, as workerd runs it in a fiber): when a handler fires, the
//! coroutine suspends with a snapshot of the element (or text chunk, comment,
//! doctype …) and the native call that resumed it returns that snapshot to
//! JavaScript. JavaScript runs the user's handler — awaiting it only if it
//! returned a promise — and resumes the coroutine with the list of changes the
//! handler made, which are then applied to the real token. Without async
//! handlers a whole chunk is rewritten within one JavaScript turn; no
//! transform ever needs an OS thread.
//!
//! JavaScript drives the protocol (see `html_rewriter.js`): `htmlRewriterNew`
//! makes a transform object; `htmlRewriterWrite`, `htmlRewriterEnd` and
//! `htmlRewriterReply` (the answer to a `call`) each resume it and return the
//! next event: `["call", kind, ...snapshot]`, `["written"]` (send the next
//! chunk), `["done"]` or `["error", message]`. `htmlRewriterOutput` takes
//! the rewritten bytes produced so far.

use crate::host::bytes::new_u8;
use corosensei::{Coroutine, CoroutineResult, Yielder};
use lol_html::html_content::{
    Comment, ContentType, Doctype, DocumentEnd, Element, EndTag, TextChunk,
};
use lol_html::{
    DocumentContentHandlers, ElementContentHandlers, HandlerResult, HtmlRewriter, Selector,
    Settings,
};
use rquickjs::class::{Class, Trace};
use rquickjs::{Array, Ctx, Exception, Function, JsLifetime, Object, Value};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::rc::Rc;

/// What JavaScript resumes a transform with.
enum Input {
    Chunk(Vec<u8>),
    End,
    /// A handler's changes (JSON list of operations), or the error it threw.
    Reply(Result<String, String>),
}

/// Why a transform suspended.
enum Step {
    /// A handler must run.
    Call(Call),
    /// The last chunk was consumed; send the next one.
    Written,
}

type Transform = Coroutine<Input, Step, Result<(), String>>;

/// One `HTMLRewriter.transform()` body in progress, owned by its JavaScript
/// stream: a transform abandoned without being cancelled is dropped (and its
/// coroutine unwound) when the garbage collector frees it.
#[derive(Trace, JsLifetime)]
#[rquickjs::class(rename = "HTMLRewriterTransform")]
pub(crate) struct NativeTransform {
    /// `None` once the rewriter has finished.
    #[qjs(skip_trace)]
    coroutine: Option<Transform>,
    /// Rewritten output not yet taken by JavaScript.
    #[qjs(skip_trace)]
    output: Rc<RefCell<Vec<u8>>>,
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "htmlRewriterCheckSelector",
        Function::new(ctx.clone(), check_selector)?,
    )?;
    native.set("htmlRewriterNew", Function::new(ctx.clone(), rewriter_new)?)?;
    native.set(
        "htmlRewriterWrite",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, t: Class<'js, NativeTransform>, chunk: Value<'js>| {
                let bytes =
                    crate::host::bytes::require_bytes(&ctx, &chunk, "HTMLRewriter input chunk")?;
                resume(&ctx, &t, Input::Chunk(bytes))
            },
        )?,
    )?;
    native.set(
        "htmlRewriterEnd",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, t: Class<'js, NativeTransform>| resume(&ctx, &t, Input::End),
        )?,
    )?;
    native.set(
        "htmlRewriterReply",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, t: Class<'js, NativeTransform>, ops: String, error: Option<String>| {
                let reply = match error {
                    Some(e) => Err(e),
                    None => Ok(ops),
                };
                resume(&ctx, &t, Input::Reply(reply))
            },
        )?,
    )?;
    native.set(
        "htmlRewriterOutput",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, t: Class<'js, NativeTransform>| -> rquickjs::Result<Value<'js>> {
                let bytes = std::mem::take(&mut *t.borrow().output.borrow_mut());
                if bytes.is_empty() {
                    Ok(Value::new_undefined(ctx))
                } else {
                    new_u8(&ctx, bytes)
                }
            },
        )?,
    )?;
    native.set(
        "htmlRewriterClose",
        Function::new(ctx.clone(), |t: Class<'js, NativeTransform>| {
            // Unwinds a rewriter suspended mid-document (a cancelled body).
            t.borrow_mut().coroutine = None;
        })?,
    )?;
    Ok(())
}

fn check_selector(ctx: Ctx<'_>, selector: String) -> rquickjs::Result<()> {
    selector
        .parse::<Selector>()
        .map(|_| ())
        .map_err(|e| Exception::throw_type(&ctx, &format!("Invalid selector \"{selector}\": {e}")))
}

/// Makes a transform. `selectors[i]` goes with the i-th `.on()`;
/// `element_kinds[i]` and `document_kinds[j]` list the handler methods
/// present (`element`, `comments`, `text`; `doctype`, `comments`, `text`, `end`).
fn rewriter_new<'js>(
    ctx: Ctx<'js>,
    selectors: Vec<String>,
    element_kinds: Vec<Vec<String>>,
    document_kinds: Vec<Vec<String>>,
) -> rquickjs::Result<Class<'js, NativeTransform>> {
    let mut parsed = Vec::with_capacity(selectors.len());
    for s in &selectors {
        parsed.push(
            s.parse::<Selector>().map_err(|e| {
                Exception::throw_type(&ctx, &format!("Invalid selector \"{s}\": {e}"))
            })?,
        );
    }
    let output = Rc::new(RefCell::new(Vec::new()));
    let sink = output.clone();
    let coroutine = Coroutine::new(move |yielder: &Yielder<Input, Step>, first: Input| {
        run(yielder, parsed, element_kinds, document_kinds, sink, first)
    });
    Class::instance(
        ctx,
        NativeTransform {
            coroutine: Some(coroutine),
            output,
        },
    )
}

/// Resumes a transform and returns the event it stopped at.
fn resume<'js>(
    ctx: &Ctx<'js>,
    t: &Class<'js, NativeTransform>,
    input: Input,
) -> rquickjs::Result<Value<'js>> {
    let mut transform = t.borrow_mut();
    let Some(coroutine) = transform.coroutine.as_mut() else {
        return Err(Exception::throw_type(
            ctx,
            "This HTMLRewriter transform has already finished",
        ));
    };
    // Only lol_html runs on the coroutine's stack: JavaScript runs here, after
    // it suspends, so QuickJS's stack checks never see the coroutine's stack.
    let result = coroutine.resume(input);
    let out = Array::new(ctx.clone())?;
    match result {
        CoroutineResult::Yield(Step::Call(call)) => call_event(&out, call)?,
        CoroutineResult::Yield(Step::Written) => out.set(0, "written")?,
        CoroutineResult::Return(result) => {
            transform.coroutine = None;
            match result {
                Ok(()) => out.set(0, "done")?,
                Err(message) => {
                    out.set(0, "error")?;
                    out.set(1, message)?;
                }
            }
        }
    }
    Ok(out.into_value())
}

/// `["call", kind, scope, index, ...snapshot]`.
fn call_event<'js>(out: &Array<'js>, call: Call) -> rquickjs::Result<()> {
    out.set(0, "call")?;
    let scope = |out: &Array<'js>, scope: Scope| -> rquickjs::Result<()> {
        match scope {
            Scope::Element(i) => {
                out.set(2, "element")?;
                out.set(3, i)
            }
            Scope::Document(i) => {
                out.set(2, "document")?;
                out.set(3, i)
            }
        }
    };
    match call {
        Call::Element {
            scope: i,
            tag,
            namespace,
            attrs,
            can_have_content,
        } => {
            out.set(1, "element")?;
            scope(out, Scope::Element(i))?;
            out.set(4, tag)?;
            out.set(5, namespace)?;
            out.set(6, attrs)?;
            out.set(7, can_have_content)?;
        }
        Call::Text {
            scope: s,
            text,
            last,
        } => {
            out.set(1, "text")?;
            scope(out, s)?;
            out.set(4, text)?;
            out.set(5, last)?;
        }
        Call::Comment { scope: s, text } => {
            out.set(1, "comments")?;
            scope(out, s)?;
            out.set(4, text)?;
        }
        Call::Doctype {
            scope: i,
            name,
            public_id,
            system_id,
        } => {
            out.set(1, "doctype")?;
            scope(out, Scope::Document(i))?;
            out.set(4, name)?;
            out.set(5, public_id)?;
            out.set(6, system_id)?;
        }
        Call::End { scope: i } => {
            out.set(1, "end")?;
            scope(out, Scope::Document(i))?;
        }
        Call::EndTag { callback, name } => {
            out.set(1, "endTag")?;
            out.set(2, "endTag")?;
            out.set(3, callback as f64)?;
            out.set(4, name)?;
        }
    }
    Ok(())
}

/// A handler to run, with a snapshot of the token it sees.
enum Call {
    Element {
        scope: usize,
        tag: String,
        namespace: &'static str,
        attrs: Vec<String>,
        can_have_content: bool,
    },
    Text {
        scope: Scope,
        text: String,
        last: bool,
    },
    Comment {
        scope: Scope,
        text: String,
    },
    Doctype {
        scope: usize,
        name: Option<String>,
        public_id: Option<String>,
        system_id: Option<String>,
    },
    End {
        scope: usize,
    },
    EndTag {
        callback: u64,
        name: String,
    },
}

/// Which `.on()` (element) or `.onDocument()` (document) registration fired.
#[derive(Clone, Copy)]
enum Scope {
    Element(usize),
    Document(usize),
}

// ---- inside the coroutine -----------------------------------------------------

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The handlers' way out of the coroutine.
struct Link {
    /// The running coroutine's yielder. A raw pointer because lol_html wants
    /// `'static` end-tag handlers.
    yielder: *const Yielder<Input, Step>,
}

impl Link {
    /// Runs a JavaScript handler and returns the operations it recorded.
    fn call(&self, call: Call) -> Result<Vec<Json>, Failure> {
        // SAFETY: the yielder lives on the coroutine's stack for as long as its
        // body (`run`) runs, and handlers only run inside `run`, called by
        // lol_html from `write`/`end`.
        let yielder = unsafe { &*self.yielder };
        match yielder.suspend(Step::Call(call)) {
            Input::Reply(Ok(ops)) => match serde_json::from_str::<Json>(&ops)? {
                Json::Array(ops) => Ok(ops),
                _ => Err("malformed HTMLRewriter reply".into()),
            },
            Input::Reply(Err(message)) => Err(message.into()),
            _ => Err("HTMLRewriter protocol error: expected a handler reply".into()),
        }
    }
}

/// The coroutine's body: builds the rewriter, then rewrites each chunk it is
/// resumed with until the end of the document.
fn run(
    yielder: &Yielder<Input, Step>,
    selectors: Vec<Selector>,
    element_kinds: Vec<Vec<String>>,
    document_kinds: Vec<Vec<String>>,
    output: Rc<RefCell<Vec<u8>>>,
    first: Input,
) -> Result<(), String> {
    let link = Rc::new(Link {
        yielder: yielder as *const _,
    });
    let mut settings = Settings::new();
    for (i, (selector, kinds)) in selectors.into_iter().zip(&element_kinds).enumerate() {
        let mut handlers = ElementContentHandlers::default();
        if kinds.iter().any(|k| k == "element") {
            let link = link.clone();
            handlers = handlers.element(move |el: &mut Element<'_, '_>| {
                let call = Call::Element {
                    scope: i,
                    tag: el.tag_name(),
                    namespace: el.namespace_uri(),
                    attrs: el
                        .attributes()
                        .iter()
                        .flat_map(|a| [a.name(), a.value()])
                        .collect(),
                    can_have_content: el.can_have_content(),
                };
                let ops = link.call(call)?;
                apply_element(el, &ops, &link)
            });
        }
        if kinds.iter().any(|k| k == "comments") {
            let link = link.clone();
            handlers = handlers
                .comments(move |c: &mut Comment<'_>| comment_handler(&link, Scope::Element(i), c));
        }
        if kinds.iter().any(|k| k == "text") {
            let link = link.clone();
            handlers = handlers
                .text(move |t: &mut TextChunk<'_>| text_handler(&link, Scope::Element(i), t));
        }
        settings =
            settings.append_element_content_handler((std::borrow::Cow::Owned(selector), handlers));
    }
    for (i, kinds) in document_kinds.iter().enumerate() {
        let mut handlers = DocumentContentHandlers::default();
        if kinds.iter().any(|k| k == "doctype") {
            let link = link.clone();
            handlers = handlers.doctype(move |d: &mut Doctype<'_>| {
                let ops = link.call(Call::Doctype {
                    scope: i,
                    name: d.name(),
                    public_id: d.public_id(),
                    system_id: d.system_id(),
                })?;
                for op in &ops {
                    if op_name(op) == "remove" {
                        d.remove();
                    }
                }
                Ok(())
            });
        }
        if kinds.iter().any(|k| k == "comments") {
            let link = link.clone();
            handlers = handlers
                .comments(move |c: &mut Comment<'_>| comment_handler(&link, Scope::Document(i), c));
        }
        if kinds.iter().any(|k| k == "text") {
            let link = link.clone();
            handlers = handlers
                .text(move |t: &mut TextChunk<'_>| text_handler(&link, Scope::Document(i), t));
        }
        if kinds.iter().any(|k| k == "end") {
            let link = link.clone();
            handlers = handlers.end(move |end: &mut DocumentEnd<'_>| {
                let ops = link.call(Call::End { scope: i })?;
                for op in &ops {
                    if op_name(op) == "append" {
                        let (content, kind) = content_of(op);
                        end.append(&content, kind);
                    }
                }
                Ok(())
            });
        }
        settings = settings.append_document_content_handler(handlers);
    }
    let mut rewriter = HtmlRewriter::new(settings, move |chunk: &[u8]| {
        output.borrow_mut().extend_from_slice(chunk);
    });
    let mut input = first;
    loop {
        match input {
            Input::Chunk(bytes) => rewriter.write(&bytes).map_err(|e| e.to_string())?,
            Input::End => return rewriter.end().map_err(|e| e.to_string()),
            Input::Reply(_) => {
                return Err("HTMLRewriter protocol error: unexpected handler reply".into())
            }
        }
        input = yielder.suspend(Step::Written);
    }
}

fn op_name(op: &Json) -> &str {
    op.get(0).and_then(Json::as_str).unwrap_or("")
}

fn op_str(op: &Json, index: usize) -> String {
    op.get(index)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

/// `[op, content, html]` → the content and how to insert it.
fn content_of(op: &Json) -> (String, ContentType) {
    let html = op.get(2).and_then(Json::as_bool).unwrap_or(false);
    (
        op_str(op, 1),
        if html {
            ContentType::Html
        } else {
            ContentType::Text
        },
    )
}

fn apply_element(el: &mut Element<'_, '_>, ops: &[Json], link: &Rc<Link>) -> HandlerResult {
    for op in ops {
        let (content, kind) = content_of(op);
        match op_name(op) {
            "tagName" => el.set_tag_name(&op_str(op, 1))?,
            "setAttribute" => el.set_attribute(&op_str(op, 1), &op_str(op, 2))?,
            "removeAttribute" => el.remove_attribute(&op_str(op, 1)),
            "before" => el.before(&content, kind),
            "after" => el.after(&content, kind),
            "prepend" => el.prepend(&content, kind),
            "append" => el.append(&content, kind),
            "replace" => el.replace(&content, kind),
            "setInnerContent" => el.set_inner_content(&content, kind),
            "remove" => el.remove(),
            "removeAndKeepContent" => el.remove_and_keep_content(),
            "onEndTag" => {
                let callback = op.get(1).and_then(Json::as_u64).unwrap_or(0);
                let link = link.clone();
                el.on_end_tag(Box::new(move |end: &mut EndTag<'_>| {
                    let ops = link.call(Call::EndTag {
                        callback,
                        name: end.name(),
                    })?;
                    for op in &ops {
                        let (content, kind) = content_of(op);
                        match op_name(op) {
                            "name" => end.set_name_str(op_str(op, 1)),
                            "before" => end.before(&content, kind),
                            "after" => end.after(&content, kind),
                            "replace" => end.replace(&content, kind),
                            "remove" => end.remove(),
                            _ => {}
                        }
                    }
                    Ok(())
                }))?;
            }
            other => return Err(format!("unknown HTMLRewriter element operation {other}").into()),
        }
    }
    Ok(())
}

fn text_handler(link: &Link, scope: Scope, t: &mut TextChunk<'_>) -> HandlerResult {
    let ops = link.call(Call::Text {
        scope,
        text: t.as_str().to_string(),
        last: t.last_in_text_node(),
    })?;
    for op in &ops {
        let (content, kind) = content_of(op);
        match op_name(op) {
            "before" => t.before(&content, kind),
            "after" => t.after(&content, kind),
            "replace" => t.replace(&content, kind),
            "remove" => t.remove(),
            _ => {}
        }
    }
    Ok(())
}

fn comment_handler(link: &Link, scope: Scope, c: &mut Comment<'_>) -> HandlerResult {
    let ops = link.call(Call::Comment {
        scope,
        text: c.text(),
    })?;
    for op in &ops {
        let (content, kind) = content_of(op);
        match op_name(op) {
            "text" => c.set_text(&op_str(op, 1))?,
            "before" => c.before(&content, kind),
            "after" => c.after(&content, kind),
            "replace" => c.replace(&content, kind),
            "remove" => c.remove(),
            _ => {}
        }
    }
    Ok(())
}
