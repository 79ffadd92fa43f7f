//! What a CommonJS file exports and requires, read from its oxc syntax tree.
//!
//! An ES module importing a CommonJS file gets `module.exports` as its default
//! export and, as in Node, the names that can be found statically as named
//! exports. The patterns are the ones Node's cjs-module-lexer recognizes, plus
//! the helpers bundlers and compilers emit:
//!
//! - `exports.x = …`, `exports['x'] = …`, `module.exports.x = …`;
//! - `Object.defineProperty(exports, 'x', …)` (also on `module.exports`);
//! - `module.exports = { a, b: …, 'c': … }` (including esbuild's
//!   `0 && (module.exports = { … })` annotation);
//! - esbuild's `__export(target, { a: () => a })`;
//! - re-exports: `module.exports = require('./y')`, `...require('./y')` in
//!   such an object, TypeScript's `__exportStar(require('./y'), exports)` and
//!   `__export(require('./y'))`, esbuild's `__reExport(t, require('./y'))`,
//!   and Babel's `Object.keys(_y).forEach(…)` over `var _y = require('./y')`.
//!
//! The same pass lists the specifiers passed to `require('…')`, which the
//! loader imports before the file's factory runs.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, AssignmentExpression, CallExpression, Expression, MemberExpression, ObjectExpression,
    ObjectPropertyKind, TSImportEqualsDeclaration, TSModuleReference, VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::SourceType;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// What the loader needs to know about a CommonJS file.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct CjsAnalysis {
    /// Names it exports, in source order, each once; never `default` or
    /// `__esModule`, and only names that are identifiers.
    pub(crate) exports: Vec<String>,
    /// Specifiers of files whose exports it re-exports, in source order.
    pub(crate) reexports: Vec<String>,
    /// String literals passed to `require(…)`, in source order, each once.
    pub(crate) requires: Vec<String>,
}

/// The analysis of module `name` with this source, cached per source buffer
/// (every isolate of a worker generation loads the same files).
pub(crate) fn analysis(name: &str, source: &Arc<[u8]>) -> Arc<CjsAnalysis> {
    type Cache = Mutex<HashMap<String, (Arc<[u8]>, Arc<CjsAnalysis>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some((from, found)) = cache.lock().expect("cjs cache poisoned").get(name) {
        if Arc::ptr_eq(from, source) {
            return found.clone();
        }
    }
    let text = String::from_utf8_lossy(source);
    let typescript = SourceType::from_path(name)
        .ok()
        .filter(|t| t.is_typescript());
    let source_type = typescript.map_or(SourceType::cjs(), |t| t.with_commonjs(true));
    let found = Arc::new(analyze(&text, source_type));
    cache
        .lock()
        .expect("cjs cache poisoned")
        .insert(name.to_string(), (source.clone(), found.clone()));
    found
}

/// Parses `source` and collects its exports, re-exports and requires. A file
/// that does not parse yields what oxc could read of it (QuickJS reports the
/// syntax error when the file runs).
pub(crate) fn analyze(source: &str, source_type: SourceType) -> CjsAnalysis {
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, source, source_type).parse();
    let mut collector = Collector::default();
    collector.visit_program(&parsed.program);
    collector.out
}

#[derive(Default)]
struct Collector {
    out: CjsAnalysis,
    exported: HashSet<String>,
    required: HashSet<String>,
    /// `var _y = require('./y')` bindings, for Babel's re-export loop.
    required_vars: HashMap<String, String>,
}

impl Collector {
    fn export(&mut self, name: &str) {
        if name != "default"
            && name != "__esModule"
            && is_identifier(name)
            && self.exported.insert(name.to_string())
        {
            self.out.exports.push(name.to_string());
        }
    }

    fn reexport(&mut self, spec: String) {
        if !self.out.reexports.contains(&spec) {
            self.out.reexports.push(spec);
        }
    }

    /// The static keys of an object literal are exports; spread `require`s
    /// are re-exports.
    fn object_exports(&mut self, object: &ObjectExpression<'_>) {
        for property in &object.properties {
            match property {
                ObjectPropertyKind::ObjectProperty(p) if !p.computed => {
                    if let Some(key) = p.key.static_name() {
                        self.export(&key);
                    }
                }
                ObjectPropertyKind::SpreadProperty(spread) => {
                    if let Some(spec) = required(&spread.argument) {
                        self.reexport(spec);
                    }
                }
                ObjectPropertyKind::ObjectProperty(_) => {}
            }
        }
    }
}

impl<'a> Visit<'a> for Collector {
    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        if let Some(member) = it.left.as_member_expression() {
            if is_module_exports(member) {
                // module.exports = …
                match it.right.without_parentheses() {
                    Expression::ObjectExpression(object) => self.object_exports(object),
                    value => {
                        if let Some(spec) = required(value) {
                            self.reexport(spec);
                        }
                    }
                }
            } else if is_exports_object(member.object()) {
                // exports.x = …, module.exports['x'] = …
                if let Some(name) = member.static_property_name() {
                    self.export(name);
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Some(spec) = required_call(it) {
            if self.required.insert(spec.clone()) {
                self.out.requires.push(spec);
            }
        }
        let args: Vec<&Expression<'a>> = it
            .arguments
            .iter()
            .filter_map(Argument::as_expression)
            .collect();
        let callee = it.callee.without_parentheses();
        if callee.is_specific_member_access("Object", "defineProperty") {
            // Object.defineProperty(exports, 'x', …)
            if let [target, Expression::StringLiteral(name), ..] = args[..] {
                if is_exports_object(target) {
                    self.export(&name.value);
                }
            }
        }
        match callee_name(callee) {
            // TypeScript: __exportStar(require('./y'), exports), tslib's too, and
            // the older __export(require('./y')); esbuild: __reExport(t, require('./y')).
            Some("__exportStar" | "__export" | "__reExport") => {
                for arg in &args {
                    if let Some(spec) = required(arg) {
                        self.reexport(spec);
                    }
                }
                // esbuild: __export(target, { a: () => a, … })
                if let (Some("__export"), [_, Expression::ObjectExpression(object)]) =
                    (callee_name(callee), &args[..])
                {
                    self.object_exports(object);
                }
            }
            // Babel: Object.keys(_y).forEach(function (key) { … exports[key] = _y[key] … })
            Some("forEach") => {
                if let Some(MemberExpression::StaticMemberExpression(each)) =
                    callee.as_member_expression()
                {
                    if let Expression::CallExpression(keys) = each.object.without_parentheses() {
                        if keys.callee.is_specific_member_access("Object", "keys") {
                            if let Some(Expression::Identifier(var)) =
                                keys.arguments.first().and_then(Argument::as_expression)
                            {
                                if let Some(spec) = self.required_vars.get(var.name.as_str()) {
                                    self.reexport(spec.clone());
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let (Some(binding), Some(init)) = (it.id.get_binding_identifier(), &it.init) {
            if let Some(spec) = required(init) {
                self.required_vars.insert(binding.name.to_string(), spec);
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_ts_import_equals_declaration(&mut self, it: &TSImportEqualsDeclaration<'a>) {
        // TypeScript's `import x = require('./y')` compiles to a require call.
        if let TSModuleReference::ExternalModuleReference(reference) = &it.module_reference {
            let spec = reference.expression.value.to_string();
            if self.required.insert(spec.clone()) {
                self.out.requires.push(spec);
            }
        }
        walk::walk_ts_import_equals_declaration(self, it);
    }
}

/// `exports` or `module.exports`.
fn is_exports_object(e: &Expression<'_>) -> bool {
    match e.without_parentheses() {
        Expression::Identifier(id) => id.name == "exports",
        e => e.as_member_expression().is_some_and(is_module_exports),
    }
}

fn is_module_exports(member: &MemberExpression<'_>) -> bool {
    member.is_specific_member_access("module", "exports")
}

/// The name a call's callee ends with: `f` in `f(…)` and `tslib_1.f(…)`.
fn callee_name<'a>(callee: &Expression<'a>) -> Option<&'a str> {
    match callee {
        Expression::Identifier(id) => Some(id.name.as_str()),
        e => e.as_member_expression()?.static_property_name(),
    }
}

/// The specifier of `require('…')` (parentheses allowed around it).
fn required(e: &Expression<'_>) -> Option<String> {
    match e.without_parentheses() {
        Expression::CallExpression(call) => required_call(call),
        _ => None,
    }
}

fn required_call(call: &CallExpression<'_>) -> Option<String> {
    if !matches!(&call.callee, Expression::Identifier(id) if id.name == "require")
        || call.arguments.len() != 1
    {
        return None;
    }
    let spec = match &call.arguments[0] {
        Argument::StringLiteral(s) => s.value.to_string(),
        Argument::TemplateLiteral(t) if t.expressions.is_empty() => {
            t.quasis.first()?.value.cooked?.to_string()
        }
        _ => return None,
    };
    (!spec.is_empty()).then_some(spec)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cjs(source: &str) -> CjsAnalysis {
        analyze(source, SourceType::cjs())
    }

    #[test]
    fn assignments_to_exports() {
        let a = cjs("exports.a = 1; exports['b'] = 2; module.exports.c = 3; \
             module.exports[\"d\"] = 4; exports.e = exports.f = void 0; \
             exports.a = 5; exports.default = 6; exports.__esModule = true; \
             exports['not-an-id'] = 7; other.exports.g = 8; exports[dynamic] = 9; \
             if (exports.h === 1) {}");
        assert_eq!(a.exports, ["a", "b", "c", "d", "e", "f"]);
        assert!(a.reexports.is_empty());
    }

    #[test]
    fn define_property() {
        let a = cjs("Object.defineProperty(exports, '__esModule', { value: true }); \
             Object.defineProperty(exports, 'x', { enumerable: true, get: function () { return y_1.x; } }); \
             Object.defineProperty(module.exports, \"z\", { value: 1 }); \
             Object.defineProperty(other, 'no', {});");
        assert_eq!(a.exports, ["x", "z"]);
    }

    #[test]
    fn module_exports_object_and_annotations() {
        let a = cjs("module.exports = { a, b: 1, 'c': 2, d() {}, [e]: 3, ...f, \
                     g: function () { return { inner: 1 } } };");
        assert_eq!(a.exports, ["a", "b", "c", "d", "g"]);
        // esbuild's CommonJS output
        let a = cjs("var src_exports = {};\n__export(src_exports, { hello: () => hello, World: () => World });\n\
                     module.exports = __toCommonJS(src_exports);\n0 && (module.exports = { hello, World, ...require('./more') });");
        assert_eq!(a.exports, ["hello", "World"]);
        assert_eq!(a.reexports, ["./more"]);
    }

    #[test]
    fn reexports() {
        let a = cjs("module.exports = require('./a');");
        assert_eq!(a.reexports, ["./a"]);
        let a = cjs("__exportStar(require(\"./b\"), exports); tslib_1.__exportStar(require('./c'), exports); \
                     __export(require('./d')); __reExport(src_exports, require(\"./e\"), module.exports);");
        assert_eq!(a.reexports, ["./b", "./c", "./d", "./e"]);
        let a = cjs("var _f = require(\"./f\");\nObject.keys(_f).forEach(function (key) {\n  \
                     if (key === \"default\" || key === \"__esModule\") return;\n  \
                     Object.defineProperty(exports, key, { enumerable: true, get: function () { return _f[key]; } });\n});");
        assert_eq!(a.reexports, ["./f"]);
        assert!(a.exports.is_empty());
    }

    #[test]
    fn requires_skip_comments_strings_and_dynamic_specifiers() {
        let a = cjs(
            "const a = require('./a'); const b = require(\"b\"); x.require('no'); \
                     require(`c`); require(dyn); require(`d${x}`); require('./a');\n\
                     // require('commented')\nconst s = \"require('quoted')\";",
        );
        assert_eq!(a.requires, ["./a", "b", "c"]);
    }

    #[test]
    fn typescript_sources() {
        let a = analyze(
            "import fs = require('fs'); exports.typed = (1 as number);",
            SourceType::ts().with_commonjs(true),
        );
        assert_eq!(a.requires, ["fs"]);
        assert_eq!(a.exports, ["typed"]);
    }
}
