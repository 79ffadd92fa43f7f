//! Turning JavaScript exceptions into messages a user can act on.

use rquickjs::{Ctx, Object, Value};
use std::fmt;

/// Why a worker could not start: its sources failed to load or evaluate.
#[derive(Debug, Clone)]
pub struct StartupError {
    /// Human-readable description, naming file:line:col where QuickJS knows it.
    pub message: String,
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StartupError {}

impl StartupError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        StartupError {
            message: message.into(),
        }
    }
}

/// Describes a thrown value as `Name: message` followed by its stack trace:
/// the stack itself when it starts with that line, as V8-shaped stacks do.
///
/// Syntax errors from QuickJS carry their position only in the stack's first
/// frame (`at file:line:col`), so the stack is always included.
pub(crate) fn describe<'js>(_ctx: &Ctx<'js>, value: Value<'js>) -> String {
    if let Some(obj) = value.as_object() {
        let name: Option<String> = get_string(obj, "name");
        let message: Option<String> = get_string(obj, "message");
        let stack: Option<String> = get_string(obj, "stack");
        if name.is_some() || message.is_some() {
            let mut out = match (name, message) {
                (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
                (Some(n), _) => n,
                (None, Some(m)) => m,
                (None, None) => String::new(),
            };
            if let Some(stack) = stack.filter(|s| !s.trim().is_empty()) {
                if stack.starts_with(&out) {
                    out.clear();
                } else {
                    out.push('\n');
                }
                out.push_str(stack.trim_end());
            }
            // Positions in transpiled TypeScript point back at the .ts source.
            return crate::loader::transpile::map_stack(&out);
        }
    }
    if let Some(s) = value.as_string().and_then(|s| s.to_string().ok()) {
        return format!("Uncaught {s}");
    }
    format!("Uncaught {}", display_value(&value))
}

fn get_string(obj: &Object<'_>, key: &str) -> Option<String> {
    let v: Value = obj.get(key).ok()?;
    if v.is_undefined() || v.is_null() {
        return None;
    }
    v.as_string()?.to_string().ok()
}

fn display_value(value: &Value<'_>) -> String {
    if let Some(n) = value.as_number() {
        return n.to_string();
    }
    if let Some(b) = value.as_bool() {
        return b.to_string();
    }
    if value.is_null() {
        return "null".into();
    }
    if value.is_undefined() {
        return "undefined".into();
    }
    format!("{:?}", value.type_of())
}

/// A limit whose breach leaves the isolate unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FatalKind {
    /// The per-request CPU budget interrupted the script.
    Cpu,
    /// The isolate's heap cap was reached.
    Memory,
}

impl FatalKind {
    /// A message naming the limit and what to do.
    pub(crate) fn explain(self, cpu: std::time::Duration, memory: usize) -> String {
        match self {
            FatalKind::Cpu => format!(
                "Worker exceeded its CPU time limit of {} ms (raise [limits] cpu_ms in the configuration); the request was stopped and the isolate restarted.",
                cpu.as_millis()
            ),
            FatalKind::Memory => format!(
                "Worker exceeded its memory limit of {} MiB; the request was stopped and the isolate restarted.",
                memory / (1024 * 1024)
            ),
        }
    }

    /// The same for a Durable Object, in Cloudflare's words: a CPU overrun
    /// resets the object, a memory overrun resets the isolate hosting it.
    pub(crate) fn explain_durable(self, cpu: std::time::Duration, memory: usize) -> String {
        match self {
            FatalKind::Cpu => format!(
                "Durable Object exceeded its CPU time limit and was reset. (The limit is {} ms of CPU per continuous run; raise [limits] cpu_ms in the configuration.)",
                cpu.as_millis()
            ),
            FatalKind::Memory => format!(
                "Durable Object's isolate exceeded its memory limit and was reset. (The limit is {} MiB per isolate.)",
                memory / (1024 * 1024)
            ),
        }
    }
}
