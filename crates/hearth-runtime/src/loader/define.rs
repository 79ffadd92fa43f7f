//! What wrangler's bundler (esbuild's `define`) gives every module:
//! `process.env.NODE_ENV` replaced by a string literal, so packages that
//! branch on it work without `nodejs_compat`, where `process` does not exist.
//! The expression is found in the syntax tree, so strings and comments that
//! mention it, and assignments to it, are left alone.

use oxc_allocator::Allocator;
use oxc_ast::ast::{AssignmentExpression, Expression, StaticMemberExpression};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};

const EXPR: &str = "process.env.NODE_ENV";

/// `code` with every read of `process.env.NODE_ENV` replaced by the value of
/// the `NODE_ENV` environment variable, or `"development"` (as `wrangler
/// dev` does). `commonjs` picks the parse goal. Code that does not parse is
/// returned as it is (its own error surfaces when it is evaluated).
pub(crate) fn node_env(code: String, commonjs: bool) -> String {
    if !code.contains(EXPR) {
        return code;
    }
    let allocator = Allocator::default();
    let source_type = if commonjs {
        SourceType::cjs()
    } else {
        SourceType::mjs()
    };
    let parsed = Parser::new(&allocator, &code, source_type).parse();
    if parsed.panicked || !parsed.diagnostics.is_empty() {
        return code;
    }
    let mut finder = Finder::default();
    finder.visit_program(&parsed.program);
    if finder.found.is_empty() {
        return code;
    }
    let value = std::env::var("NODE_ENV").unwrap_or_else(|_| "development".to_string());
    let literal = serde_json::to_string(&value).expect("strings serialize");
    let mut spans = finder.found;
    spans.retain(|s| !finder.assigned.contains(s));
    spans.sort_by_key(|s| s.start);
    let mut out = String::with_capacity(code.len());
    let mut at = 0;
    for span in spans {
        let (start, end) = (span.start as usize, span.end as usize);
        if start < at {
            continue;
        }
        out.push_str(&code[at..start]);
        out.push_str(&literal);
        at = end;
    }
    out.push_str(&code[at..]);
    out
}

#[derive(Default)]
struct Finder {
    found: Vec<Span>,
    assigned: Vec<Span>,
}

impl<'a> Visit<'a> for Finder {
    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        self.assigned.push(it.left.span());
        walk::walk_assignment_expression(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if it.property.name == "NODE_ENV" {
            if let Expression::StaticMemberExpression(env) = &it.object {
                if env.property.name == "env"
                    && matches!(&env.object, Expression::Identifier(id) if id.name == "process")
                {
                    self.found.push(it.span);
                    return;
                }
            }
        }
        walk::walk_static_member_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::node_env;

    #[test]
    fn replaces_reads_only() {
        let code = "const a = process.env.NODE_ENV === 'production';\n\
                    const s = \"process.env.NODE_ENV\"; // process.env.NODE_ENV\n\
                    process.env.NODE_ENV = 'x';\n\
                    if (x.process.env.NODE_ENV) {}\n";
        let out = node_env(code.to_string(), true);
        assert!(
            out.starts_with("const a = \"development\" === 'production';"),
            "{out}"
        );
        assert!(out.contains("const s = \"process.env.NODE_ENV\"; // process.env.NODE_ENV"));
        assert!(out.contains("process.env.NODE_ENV = 'x';"));
        assert!(out.contains("x.process.env.NODE_ENV"));
    }
}
