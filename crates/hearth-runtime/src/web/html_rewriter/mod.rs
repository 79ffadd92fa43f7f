//! The natives behind `HTMLRewriter`, on `lol_html` (Cloudflare's own engine).
//!
//! lol_html's handlers run synchronously inside `write()`, but Workers lets a
//! handler return a promise that the rewriter waits for. So each transform runs
//! its rewriter on a thread of its own: when a handler fires, that thread sends
//! a snapshot of the element (or text chunk, comment, doctype …) to the isolate
//! and blocks until JavaScript has run the user's handler — awaiting it if it
//! returned a promise — and replied with the list of changes the handler made,
//! which the thread then applies to the real token. Output is flushed to
//! JavaScript after every input chunk, so the rewritten body streams as the
//! source body streams in.
//!
//! JavaScript drives the protocol (see `html_rewriter.js`):
//! `htmlRewriterNew` → (`htmlRewriterWrite` | `htmlRewriterEnd`) and
//! `htmlRewriterNext` until `written` / `done`, answering every `call` event
//! with `htmlRewriterReply`.

use crate::host::bytes::new_u8;
use crate::host::event_loop::{settle, spawn_op};
use lol_html::html_content::{
    Comment, ContentType, Doctype, DocumentEnd, Element, EndTag, TextChunk,
};
use lol_html::{
    DocumentContentHandlers, ElementContentHandlers, HandlerResult, HtmlRewriter, Selector,
    Settings,
};
use rquickjs::{Array, Ctx, Exception, Function, Object, Promise, Value};
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use tokio::sync::mpsc;

/// A rewriter thread waiting this long for input or a handler's answer gives
/// up (the response was abandoned without being cancelled).
const IDLE_LIMIT: Duration = Duration::from_secs(600);

/// What JavaScript sends to a rewriter thread.
enum Input {
    Chunk(Vec<u8>),
    End,
    /// A handler's changes (JSON list of operations), or the error it threw.
    Reply(Result<String, String>),
}

/// What a rewriter thread reports to JavaScript.
enum Event {
    Output(Vec<u8>),
    /// The last chunk was consumed; send the next one.
    Written,
    Done,
    Error(String),
    Call(Call),
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

struct Entry {
    input: std_mpsc::Sender<Input>,
    events: Option<mpsc::UnboundedReceiver<Event>>,
}

thread_local! {
    static REWRITERS: RefCell<HashMap<u32, Entry>> = RefCell::new(HashMap::new());
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

pub(crate) fn install<'js>(ctx: &Ctx<'js>, native: &Object<'js>) -> rquickjs::Result<()> {
    native.set(
        "htmlRewriterCheckSelector",
        Function::new(ctx.clone(), check_selector)?,
    )?;
    native.set("htmlRewriterNew", Function::new(ctx.clone(), rewriter_new)?)?;
    native.set(
        "htmlRewriterWrite",
        Function::new(ctx.clone(), |ctx: Ctx<'_>, id: u32, chunk: Value<'_>| {
            let bytes =
                crate::host::bytes::require_bytes(&ctx, &chunk, "HTMLRewriter input chunk")?;
            send(&ctx, id, Input::Chunk(bytes))
        })?,
    )?;
    native.set(
        "htmlRewriterEnd",
        Function::new(ctx.clone(), |ctx: Ctx<'_>, id: u32| {
            send(&ctx, id, Input::End)
        })?,
    )?;
    native.set(
        "htmlRewriterReply",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'_>, id: u32, ops: String, error: Option<String>| {
                let reply = match error {
                    Some(e) => Err(e),
                    None => Ok(ops),
                };
                send(&ctx, id, Input::Reply(reply))
            },
        )?,
    )?;
    native.set("htmlRewriterNext", Function::new(ctx.clone(), next_event)?)?;
    native.set(
        "htmlRewriterClose",
        Function::new(ctx.clone(), |id: u32| {
            // Dropping the sender ends the thread at its next wait.
            REWRITERS.with(|r| r.borrow_mut().remove(&id));
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

fn send(ctx: &Ctx<'_>, id: u32, input: Input) -> rquickjs::Result<()> {
    let sender = REWRITERS.with(|r| r.borrow().get(&id).map(|e| e.input.clone()));
    let ok = sender.is_some_and(|s| s.send(input).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Exception::throw_type(
            ctx,
            "This HTMLRewriter transform has already finished",
        ))
    }
}

/// Starts a rewriter thread. `selectors[i]` goes with the i-th `.on()`;
/// `element_kinds[i]` and `document_kinds[j]` list the handler methods
/// present (`element`, `comments`, `text`; `doctype`, `comments`, `text`, `end`).
fn rewriter_new(
    ctx: Ctx<'_>,
    selectors: Vec<String>,
    element_kinds: Vec<Vec<String>>,
    document_kinds: Vec<Vec<String>>,
) -> rquickjs::Result<u32> {
    for s in &selectors {
        check_selector(ctx.clone(), s.clone())?;
    }
    let (input_tx, input_rx) = std_mpsc::channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("hearth-html-rewriter".into())
        .spawn(move || run(selectors, element_kinds, document_kinds, input_rx, event_tx));
    if let Err(e) = spawned {
        return Err(Exception::throw_internal(
            &ctx,
            &format!("cannot start an HTMLRewriter thread: {e}"),
        ));
    }
    let id = NEXT_ID.with(|n| {
        let id = n.get().wrapping_add(1).max(1);
        n.set(id);
        id
    });
    REWRITERS.with(|r| {
        r.borrow_mut().insert(
            id,
            Entry {
                input: input_tx,
                events: Some(event_rx),
            },
        )
    });
    Ok(id)
}

/// Resolves with the next event: `["output", bytes]`, `["written"]`,
/// `["done"]`, `["error", message]` or `["call", kind, ...snapshot]`.
fn next_event<'js>(ctx: Ctx<'js>, id: u32) -> rquickjs::Result<Promise<'js>> {
    let events = REWRITERS.with(|r| r.borrow_mut().get_mut(&id).and_then(|e| e.events.take()));
    spawn_op(&ctx, async move {
        let Some(mut events) = events else {
            return Err("This HTMLRewriter transform has already finished".into());
        };
        let event = events.recv().await;
        REWRITERS.with(|r| {
            if let Some(entry) = r.borrow_mut().get_mut(&id) {
                entry.events = Some(events);
            }
        });
        let event =
            event.unwrap_or_else(|| Event::Error("the HTML rewriter stopped unexpectedly".into()));
        Ok(settle(move |ctx| event_value(ctx, event)))
    })
}

fn event_value<'js>(ctx: &Ctx<'js>, event: Event) -> rquickjs::Result<Value<'js>> {
    let out = Array::new(ctx.clone())?;
    match event {
        Event::Output(bytes) => {
            out.set(0, "output")?;
            out.set(1, new_u8(ctx, bytes)?)?;
        }
        Event::Written => out.set(0, "written")?,
        Event::Done => out.set(0, "done")?,
        Event::Error(message) => {
            out.set(0, "error")?;
            out.set(1, message)?;
        }
        Event::Call(call) => {
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
                    scope(&out, Scope::Element(i))?;
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
                    scope(&out, s)?;
                    out.set(4, text)?;
                    out.set(5, last)?;
                }
                Call::Comment { scope: s, text } => {
                    out.set(1, "comments")?;
                    scope(&out, s)?;
                    out.set(4, text)?;
                }
                Call::Doctype {
                    scope: i,
                    name,
                    public_id,
                    system_id,
                } => {
                    out.set(1, "doctype")?;
                    scope(&out, Scope::Document(i))?;
                    out.set(4, name)?;
                    out.set(5, public_id)?;
                    out.set(6, system_id)?;
                }
                Call::End { scope: i } => {
                    out.set(1, "end")?;
                    scope(&out, Scope::Document(i))?;
                }
                Call::EndTag { callback, name } => {
                    out.set(1, "endTag")?;
                    out.set(2, "endTag")?;
                    out.set(3, callback as f64)?;
                    out.set(4, name)?;
                }
            }
        }
    }
    Ok(out.into_value())
}

// ---- the rewriter thread ---------------------------------------------------

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The rewriter thread's side of the channels, shared by its handlers.
struct Link {
    input: std_mpsc::Receiver<Input>,
    events: mpsc::UnboundedSender<Event>,
    /// Output not yet sent (lol_html emits many tiny pieces).
    pending: RefCell<Vec<u8>>,
}

impl Link {
    fn flush(&self) {
        let bytes = std::mem::take(&mut *self.pending.borrow_mut());
        if !bytes.is_empty() {
            let _ = self.events.send(Event::Output(bytes));
        }
    }

    fn wait(&self) -> Result<Input, Failure> {
        match self.input.recv_timeout(IDLE_LIMIT) {
            Ok(input) => Ok(input),
            Err(std_mpsc::RecvTimeoutError::Timeout) => {
                Err("the HTMLRewriter transform was abandoned".into())
            }
            Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                Err("the HTMLRewriter transform was cancelled".into())
            }
        }
    }

    /// Runs a JavaScript handler and returns the operations it recorded.
    fn call(&self, call: Call) -> Result<Vec<Json>, Failure> {
        self.flush();
        self.events
            .send(Event::Call(call))
            .map_err(|_| "the HTMLRewriter transform was cancelled")?;
        match self.wait()? {
            Input::Reply(Ok(ops)) => match serde_json::from_str::<Json>(&ops)? {
                Json::Array(ops) => Ok(ops),
                _ => Err("malformed HTMLRewriter reply".into()),
            },
            Input::Reply(Err(message)) => Err(message.into()),
            _ => Err("HTMLRewriter protocol error: expected a handler reply".into()),
        }
    }
}

fn run(
    selectors: Vec<String>,
    element_kinds: Vec<Vec<String>>,
    document_kinds: Vec<Vec<String>>,
    input: std_mpsc::Receiver<Input>,
    events: mpsc::UnboundedSender<Event>,
) {
    let link = Rc::new(Link {
        input,
        events: events.clone(),
        pending: RefCell::new(Vec::new()),
    });
    let mut settings = Settings::new();
    for (i, (selector, kinds)) in selectors.iter().zip(&element_kinds).enumerate() {
        let Ok(selector) = selector.parse::<Selector>() else {
            let _ = events.send(Event::Error(format!("Invalid selector \"{selector}\"")));
            return;
        };
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
    let sink_link = link.clone();
    let mut rewriter = HtmlRewriter::new(settings, move |chunk: &[u8]| {
        sink_link.pending.borrow_mut().extend_from_slice(chunk);
    });
    loop {
        let next = match link.wait() {
            Ok(next) => next,
            Err(_) => return,
        };
        match next {
            Input::Chunk(bytes) => {
                if let Err(e) = rewriter.write(&bytes) {
                    link.flush();
                    let _ = events.send(Event::Error(e.to_string()));
                    return;
                }
                link.flush();
                let _ = events.send(Event::Written);
            }
            Input::End => {
                let result = rewriter.end();
                link.flush();
                let _ = events.send(match result {
                    Ok(()) => Event::Done,
                    Err(e) => Event::Error(e.to_string()),
                });
                return;
            }
            Input::Reply(_) => {
                let _ = events.send(Event::Error(
                    "HTMLRewriter protocol error: unexpected handler reply".into(),
                ));
                return;
            }
        }
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
