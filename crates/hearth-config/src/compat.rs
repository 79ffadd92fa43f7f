//! Compatibility dates and flags: the one registry hearth consults.
//!
//! Every Cloudflare Workers compatibility flag hearth knows is listed in
//! [`FLAGS`] with the flag that turns the change on, the one that keeps the
//! old behaviour, the compatibility date from which the change is the default
//! (or the flag and date that imply it), and what hearth does about it.
//! [`Compatibility::resolve`] decides, for one worker's `compatibility_date`
//! and `compatibility_flags`, which changes are on, the way workerd does: an
//! enable flag turns a change on, its disable flag off, and otherwise the date
//! decides.
//!
//! ```
//! use hearth_config::compat::Compatibility;
//! let c = Compatibility::resolve(Some("2024-09-23"), &["nodejs_compat".into()]).unwrap();
//! assert!(c.is_on("nodejs_compat_v2")); // implied by nodejs_compat from 2024-09-23
//! let c = Compatibility::resolve(Some("2024-09-22"), &["nodejs_compat".into()]).unwrap();
//! assert!(!c.is_on("nodejs_compat_v2"));
//! ```

use std::collections::BTreeSet;

/// What hearth does about a compatibility flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// hearth implements both behaviours and picks by the flag (and date).
    Implemented,
    /// hearth only has the new behaviour: the change is always on, and its
    /// disable flag cannot bring the old one back.
    AlwaysOn,
    /// The flag changes Cloudflare's network (its proxy, zones, caches), not
    /// the runtime: there is nothing for hearth to do.
    NotApplicable,
    /// hearth does not implement the change (yet): the worker runs without it.
    Missing,
}

/// One compatibility flag of Cloudflare Workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// The flag that turns the change on, and the change's name.
    pub enable: &'static str,
    /// The flag that keeps the old behaviour, if there is one.
    pub disable: Option<&'static str>,
    /// The compatibility date (`YYYY-MM-DD`) from which the change is on by default.
    pub default_on: Option<&'static str>,
    /// The change is also on when one of these changes is on and the
    /// compatibility date is on or after the date.
    pub implied_by: Option<(&'static [&'static str], &'static str)>,
    /// What hearth does about it.
    pub support: Support,
}

const fn flag(
    enable: &'static str,
    disable: Option<&'static str>,
    default_on: Option<&'static str>,
    support: Support,
) -> Flag {
    Flag {
        enable,
        disable,
        default_on,
        implied_by: None,
        support,
    }
}

const fn implied(
    enable: &'static str,
    disable: &'static str,
    by: &'static [&'static str],
    date: &'static str,
    support: Support,
) -> Flag {
    Flag {
        enable,
        disable: Some(disable),
        default_on: None,
        implied_by: Some((by, date)),
        support,
    }
}

use Support::{AlwaysOn, Implemented, Missing, NotApplicable};

/// The day Cloudflare made Node.js compatibility the default.
const NODEJS_DEFAULT: &str = "2026-08-04";

/// Cloudflare's compatibility flags (from the compatibility-flags
/// documentation), each with what hearth does. A change implied by another
/// is listed after it.
pub static FLAGS: &[Flag] = &[
    // Node.js
    flag(
        "nodejs_compat",
        Some("no_nodejs_compat"),
        Some(NODEJS_DEFAULT),
        Implemented,
    ),
    Flag {
        enable: "nodejs_compat_v2",
        disable: Some("no_nodejs_compat_v2"),
        default_on: Some(NODEJS_DEFAULT),
        implied_by: Some((&["nodejs_compat"], "2024-09-23")),
        support: Implemented,
    },
    flag("nodejs_als", Some("no_nodejs_als"), None, Implemented),
    implied(
        "nodejs_compat_populate_process_env",
        "nodejs_compat_do_not_populate_process_env",
        &["nodejs_compat"],
        "2025-04-01",
        Implemented,
    ),
    implied(
        "nodejs_zlib",
        "no_nodejs_zlib",
        &["nodejs_compat", "nodejs_compat_v2"],
        "2024-09-23",
        Missing,
    ),
    implied(
        "enable_nodejs_http_modules",
        "disable_nodejs_http_modules",
        &["nodejs_compat"],
        "2025-08-15",
        Implemented,
    ),
    implied(
        "enable_nodejs_http_server_modules",
        "disable_nodejs_http_server_modules",
        &["enable_nodejs_http_modules"],
        "2025-09-01",
        Implemented,
    ),
    implied(
        "enable_nodejs_fs_module",
        "disable_nodejs_fs_module",
        &["nodejs_compat"],
        "2025-09-15",
        Implemented,
    ),
    implied(
        "enable_nodejs_os_module",
        "disable_nodejs_os_module",
        &["nodejs_compat"],
        "2025-09-15",
        Missing,
    ),
    implied(
        "enable_nodejs_process_v2",
        "disable_nodejs_process_v2",
        &["nodejs_compat"],
        "2025-09-15",
        Missing,
    ),
    implied(
        "enable_nodejs_http2_module",
        "disable_nodejs_http2_module",
        &["nodejs_compat"],
        "2025-09-01",
        Missing,
    ),
    implied(
        "enable_nodejs_console_module",
        "disable_nodejs_console_module",
        &["nodejs_compat"],
        "2025-09-21",
        Missing,
    ),
    implied(
        "enable_nodejs_vm_module",
        "disable_nodejs_vm_module",
        &["nodejs_compat"],
        "2025-10-01",
        Missing,
    ),
    implied(
        "remove_nodejs_compat_eol",
        "add_nodejs_compat_eol",
        &["nodejs_compat"],
        "2025-09-01",
        Missing,
    ),
    // Web APIs
    flag(
        "formdata_parser_supports_files",
        Some("formdata_parser_converts_files_to_strings"),
        Some("2021-11-03"),
        Implemented,
    ),
    flag(
        "global_navigator",
        Some("no_global_navigator"),
        Some("2022-03-21"),
        Implemented,
    ),
    flag(
        "enable_navigator_language",
        Some("disable_navigator_language"),
        Some("2025-05-19"),
        Implemented,
    ),
    flag(
        "url_standard",
        Some("url_original"),
        Some("2022-10-31"),
        AlwaysOn,
    ),
    flag(
        "streams_enable_constructors",
        Some("streams_disable_constructors"),
        Some("2022-11-30"),
        AlwaysOn,
    ),
    flag(
        "transformstream_enable_standard_constructor",
        Some("transformstream_disable_standard_constructor"),
        Some("2022-11-30"),
        AlwaysOn,
    ),
    flag(
        "http_headers_getsetcookie",
        Some("no_http_headers_getsetcookie"),
        Some("2023-03-01"),
        AlwaysOn,
    ),
    flag(
        "no_global_importscripts",
        Some("global_importscripts"),
        Some("2024-03-04"),
        AlwaysOn,
    ),
    flag(
        "allow_custom_ports",
        Some("ignore_custom_ports"),
        Some("2024-09-02"),
        AlwaysOn,
    ),
    flag(
        "fetch_refuses_unknown_protocols",
        Some("fetch_treats_unknown_protocols_as_http"),
        Some("2021-11-10"),
        Missing,
    ),
    flag(
        "durable_object_fetch_requires_full_url",
        Some("durable_object_fetch_allows_relative_url"),
        Some("2021-11-10"),
        Missing,
    ),
    flag(
        "streams_byob_reader_detaches_buffer",
        Some("streams_byob_reader_does_not_detach_buffer"),
        Some("2021-11-10"),
        Missing,
    ),
    flag(
        "workers_api_getters_setters_on_prototype",
        Some("workers_api_getters_setters_on_instance"),
        Some("2022-01-31"),
        Missing,
    ),
    flag(
        "capture_async_api_throws",
        Some("do_not_capture_async_api_throws"),
        Some("2022-10-31"),
        Missing,
    ),
    flag(
        "dont_substitute_null_on_type_error",
        Some("substitute_null_on_type_error"),
        Some("2022-06-01"),
        Missing,
    ),
    flag(
        "export_commonjs_default",
        Some("export_commonjs_namespace"),
        Some("2022-10-31"),
        Missing,
    ),
    flag(
        "response_redirect_url_standard",
        Some("response_redirect_url_original"),
        Some("2023-03-14"),
        Missing,
    ),
    flag(
        "dynamic_dispatch_tunnel_exceptions",
        Some("dynamic_dispatch_treat_exceptions_as_500"),
        Some("2023-03-01"),
        Missing,
    ),
    flag(
        "urlsearchparams_delete_has_value_arg",
        Some("no_urlsearchparams_delete_has_value_arg"),
        Some("2023-07-01"),
        Missing,
    ),
    flag(
        "strict_compression_checks",
        Some("no_strict_compression_checks"),
        Some("2023-08-01"),
        Missing,
    ),
    flag(
        "strict_crypto_checks",
        Some("no_strict_crypto_checks"),
        Some("2023-08-01"),
        Missing,
    ),
    flag(
        "web_socket_compression",
        Some("no_web_socket_compression"),
        Some("2023-08-15"),
        Missing,
    ),
    flag(
        "crypto_preserve_public_exponent",
        Some("no_crypto_preserve_public_exponent"),
        Some("2023-12-01"),
        Missing,
    ),
    flag(
        "fetcher_no_get_put_delete",
        Some("fetcher_has_get_put_delete"),
        Some("2024-03-26"),
        Missing,
    ),
    flag(
        "unwrap_custom_thenables",
        Some("no_unwrap_custom_thenables"),
        Some("2024-04-01"),
        Missing,
    ),
    flag("rpc", Some("no_rpc"), Some("2024-04-03"), Missing),
    flag(
        "brotli_content_encoding",
        Some("no_brotli_content_encoding"),
        Some("2024-04-29"),
        Missing,
    ),
    flag(
        "internal_stream_byob_return_view",
        Some("internal_stream_byob_return_undefined"),
        Some("2024-05-13"),
        Missing,
    ),
    flag(
        "blob_standard_mime_type",
        Some("blob_legacy_mime_type"),
        Some("2024-06-03"),
        Missing,
    ),
    flag(
        "fetch_standard_url",
        Some("fetch_legacy_url"),
        Some("2024-06-03"),
        Missing,
    ),
    flag(
        "internal_writable_stream_abort_clears_queue",
        Some("internal_writable_stream_abort_does_not_clear_queue"),
        Some("2024-09-02"),
        Missing,
    ),
    flag(
        "set_tostring_tag",
        Some("do_not_set_tostring_tag"),
        Some("2024-09-26"),
        Missing,
    ),
    flag(
        "handle_cross_request_promise_resolution",
        Some("no_handle_cross_request_promise_resolution"),
        Some("2024-10-14"),
        Missing,
    ),
    flag(
        "upper_case_all_http_methods",
        Some("no_upper_case_all_http_methods"),
        Some("2024-10-14"),
        Missing,
    ),
    flag(
        "cache_option_enabled",
        Some("cache_option_disabled"),
        Some("2024-11-11"),
        Missing,
    ),
    implied(
        "cache_no_cache_enabled",
        "cache_no_cache_disabled",
        &["cache_option_enabled"],
        "2025-08-07",
        Missing,
    ),
    flag(
        "disable_top_level_await_in_require",
        Some("enable_top_level_await_in_require"),
        Some("2024-12-02"),
        Missing,
    ),
    flag(
        "fixup-transform-stream-backpressure",
        Some("original-transform-stream-backpressure"),
        Some("2024-12-16"),
        Missing,
    ),
    flag(
        "urlpattern_standard",
        Some("urlpattern_original"),
        Some("2025-05-01"),
        Missing,
    ),
    flag(
        "enable_weak_ref",
        Some("disable_weak_ref"),
        Some("2025-05-05"),
        Missing,
    ),
    flag(
        "allow_eval_during_startup",
        Some("disallow_eval_during_startup"),
        Some("2025-06-01"),
        Missing,
    ),
    flag(
        "bind_asynclocalstorage_snapshot_to_request",
        Some("do_not_bind_asynclocalstorage_snapshot_to-request"),
        Some("2025-06-16"),
        Missing,
    ),
    flag(
        "throw_on_unrecognized_import_assertion",
        Some("ignore_unrecognized_import_assertion"),
        Some("2025-06-16"),
        Missing,
    ),
    flag(
        "set_event_target_this",
        Some("no_set_event_target_this"),
        Some("2025-08-01"),
        Missing,
    ),
    flag(
        "expose_global_message_channel",
        Some("no_expose_global_message_channel"),
        Some("2025-08-15"),
        Missing,
    ),
    flag(
        "strip_authorization_on_cross_origin_redirect",
        Some("retain_authorization_on_cross_origin_redirect"),
        Some("2025-09-01"),
        Missing,
    ),
    flag(
        "enable_global_performance_classes",
        Some("disable_global_performance_classes"),
        Some("2025-09-21"),
        Missing,
    ),
    flag(
        "html_rewriter_treats_esi_include_as_void_tag",
        None,
        None,
        Missing,
    ),
    flag(
        "enable_request_signal",
        Some("disable_request_signal"),
        None,
        Missing,
    ),
    flag(
        "request_signal_passthrough",
        Some("no_request_signal_passthrough"),
        None,
        Missing,
    ),
    flag(
        "disallow_importable_env",
        Some("allow_importable_env"),
        None,
        Missing,
    ),
    flag("pedantic_wpt", Some("non_pedantic_wpt"), None, Missing),
    flag(
        "queue_consumer_no_wait_for_wait_until",
        Some("queue_consumer_wait_for_wait_until"),
        None,
        Missing,
    ),
    // Queues' default content type (bindings/queues).
    flag(
        "queues_json_messages",
        Some("no_queues_json_messages"),
        Some("2024-03-18"),
        Implemented,
    ),
    // Products hearth does not provide.
    flag("r2_list_honor_include", None, Some("2022-08-04"), Missing),
    flag(
        "vectorize_query_metadata_optional",
        Some("vectorize_query_original"),
        Some("2023-11-08"),
        Missing,
    ),
    flag("python_workers", None, None, Missing),
    // Cloudflare's network, not the runtime.
    flag(
        "global_fetch_strictly_public",
        Some("global_fetch_private_origin"),
        None,
        NotApplicable,
    ),
    flag(
        "minimal_subrequests",
        Some("no_minimal_subrequests"),
        Some("2022-04-05"),
        NotApplicable,
    ),
    flag(
        "no_cots_on_external_fetch",
        Some("cots_on_external_fetch"),
        Some("2022-03-08"),
        NotApplicable,
    ),
    flag(
        "no_cf_botmanagement_default",
        Some("cf_botmanagement_default"),
        Some("2023-08-01"),
        NotApplicable,
    ),
    flag(
        "request_cf_overrides_cache_rules",
        Some("no_request_cf_overrides_cache_rules"),
        Some("2025-04-02"),
        NotApplicable,
    ),
    flag(
        "cache_api_request_cf_overrides_cache_rules",
        Some("no_cache_api_request_cf_overrides_cache_rules"),
        Some("2025-05-19"),
        NotApplicable,
    ),
    flag(
        "cache_api_compat_flags",
        Some("no_cache_api_compat_flags"),
        Some("2025-04-19"),
        NotApplicable,
    ),
    flag(
        "assets_navigation_prefers_asset_serving",
        Some("assets_navigation_has_no_effect"),
        Some("2025-04-01"),
        Implemented,
    ),
    flag(
        "set_forwardable_email_full_headers",
        Some("set_forwardable_email_single_headers"),
        Some("2025-08-01"),
        NotApplicable,
    ),
    flag(
        "enable_validate_workflow_entrypoint",
        Some("disable_validate_workflow_entrypoint"),
        Some("2025-09-20"),
        NotApplicable,
    ),
];

/// The compatibility date hearth uses when the configuration sets none, as
/// `wrangler dev` uses its runtime's newest date: the newest date in [`FLAGS`].
pub fn latest_date() -> &'static str {
    FLAGS
        .iter()
        .flat_map(|f| f.default_on.into_iter().chain(f.implied_by.map(|(_, d)| d)))
        .max()
        .expect("the registry has dates")
}

/// The registry entry whose enable or disable flag is `name`.
pub fn lookup(name: &str) -> Option<&'static Flag> {
    FLAGS
        .iter()
        .find(|f| f.enable == name || f.disable == Some(name))
}

/// Which changes are on for one worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compatibility {
    date: String,
    date_given: bool,
    /// Enable names of the changes that are on.
    on: BTreeSet<&'static str>,
    /// Listed flags hearth does not know.
    unknown: Vec<String>,
    /// Listed flags whose change hearth does not implement (enable flags of
    /// missing changes, disable flags of always-on ones).
    unhonoured: Vec<String>,
}

impl Compatibility {
    /// Decides which changes are on for `date` (`None`: [`latest_date`]) and
    /// the listed `flags`. Listing both a change's enable and disable flag is
    /// an error, as it is on Cloudflare.
    pub fn resolve(date: Option<&str>, flags: &[String]) -> Result<Compatibility, String> {
        let effective = date.unwrap_or(latest_date()).to_string();
        let mut unknown = Vec::new();
        let mut unhonoured = Vec::new();
        for name in flags {
            match lookup(name) {
                None => unknown.push(name.clone()),
                Some(f) if f.enable == name && f.support == Missing => {
                    unhonoured.push(name.clone())
                }
                Some(f) if f.disable == Some(name) && f.support == AlwaysOn => {
                    unhonoured.push(name.clone())
                }
                Some(f) => {
                    let other = if f.enable == name {
                        f.disable
                    } else {
                        Some(f.enable)
                    };
                    if other.is_some_and(|o| flags.iter().any(|g| g == o)) {
                        return Err(format!(
                            "`{}` and `{}` contradict each other; keep one of them",
                            f.enable,
                            f.disable.unwrap_or_default()
                        ));
                    }
                }
            }
        }
        let listed = |n: &str| flags.iter().any(|f| f == n);
        let mut on = BTreeSet::new();
        for f in FLAGS {
            let enabled = if listed(f.enable) {
                true
            } else if f.disable.is_some_and(listed) {
                false
            } else if f.default_on.is_some_and(|d| effective.as_str() >= d) {
                true
            } else {
                f.implied_by.is_some_and(|(by, d)| {
                    effective.as_str() >= d && by.iter().any(|b| on.contains(b))
                })
            };
            if enabled {
                on.insert(f.enable);
            }
        }
        Ok(Compatibility {
            date: effective,
            date_given: date.is_some(),
            on,
            unknown,
            unhonoured,
        })
    }

    /// Whether the change named by its enable flag is on. Changes hearth
    /// does not know are off.
    pub fn is_on(&self, flag: &str) -> bool {
        debug_assert!(
            FLAGS.iter().any(|f| f.enable == flag),
            "`{flag}` is not in the compatibility registry"
        );
        self.on.contains(flag)
    }

    /// The compatibility date in effect (the configured one, or [`latest_date`]).
    pub fn date(&self) -> &str {
        &self.date
    }

    /// Listed flags hearth does not know.
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// What to tell the user at start-up: a missing date, unknown flags and
    /// flags hearth does not honour.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.date_given {
            out.push(format!(
                "no compatibility_date is set; hearth uses its latest supported date, {}. \
                 Set `compatibility_date = \"YYYY-MM-DD\"` in the configuration (Cloudflare requires one to deploy)",
                self.date
            ));
        }
        for name in &self.unknown {
            out.push(format!(
                "compatibility flag `{name}` is unknown to hearth; the worker runs without it"
            ));
        }
        for name in &self.unhonoured {
            out.push(format!(
                "compatibility flag `{name}` is not honoured by hearth yet; the worker runs without it"
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(date: Option<&str>, flags: &[&str]) -> Compatibility {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        Compatibility::resolve(date, &flags).unwrap()
    }

    #[test]
    fn the_date_turns_changes_on_from_their_day() {
        assert!(!on(Some("2021-11-02"), &[]).is_on("formdata_parser_supports_files"));
        assert!(on(Some("2021-11-03"), &[]).is_on("formdata_parser_supports_files"));
        assert!(!on(Some("2022-03-20"), &[]).is_on("global_navigator"));
        assert!(on(Some("2022-03-21"), &[]).is_on("global_navigator"));
        assert!(!on(Some("2026-08-03"), &[]).is_on("nodejs_compat"));
        let c = on(Some("2026-08-04"), &[]);
        assert!(c.is_on("nodejs_compat") && c.is_on("nodejs_compat_v2"));
        // Implied by the default-on nodejs_compat, after their own dates.
        assert!(c.is_on("nodejs_compat_populate_process_env"));
    }

    #[test]
    fn flags_override_the_date() {
        let c = on(Some("2020-01-01"), &["formdata_parser_supports_files"]);
        assert!(c.is_on("formdata_parser_supports_files"));
        let c = on(
            Some("2025-01-01"),
            &["formdata_parser_converts_files_to_strings"],
        );
        assert!(!c.is_on("formdata_parser_supports_files"));
        let c = on(Some("2026-09-01"), &["no_nodejs_compat"]);
        assert!(!c.is_on("nodejs_compat"));
        // Each default has its own disable flag.
        assert!(c.is_on("nodejs_compat_v2"));
    }

    #[test]
    fn implications_need_both_the_flag_and_the_date() {
        let v1 = on(Some("2024-09-22"), &["nodejs_compat"]);
        assert!(v1.is_on("nodejs_compat") && !v1.is_on("nodejs_compat_v2"));
        let v2 = on(Some("2024-09-23"), &["nodejs_compat"]);
        assert!(v2.is_on("nodejs_compat_v2"));
        assert!(!v2.is_on("nodejs_compat_populate_process_env"));
        assert!(
            on(Some("2025-04-01"), &["nodejs_compat"]).is_on("nodejs_compat_populate_process_env")
        );
        assert!(!on(Some("2025-04-01"), &[]).is_on("nodejs_compat_populate_process_env"));
        let off = on(
            Some("2025-04-01"),
            &["nodejs_compat", "nodejs_compat_do_not_populate_process_env"],
        );
        assert!(!off.is_on("nodejs_compat_populate_process_env"));
        // A chain: http modules imply the http server modules after their date.
        let c = on(Some("2025-09-01"), &["nodejs_compat"]);
        assert!(
            c.is_on("enable_nodejs_http_modules") && c.is_on("enable_nodejs_http_server_modules")
        );
    }

    #[test]
    fn missing_date_means_the_latest_and_is_warned_about() {
        let c = on(None, &[]);
        assert_eq!(c.date(), latest_date());
        assert_eq!(latest_date(), NODEJS_DEFAULT);
        assert!(c.is_on("nodejs_compat"));
        assert!(c.warnings()[0].contains("no compatibility_date"));
        assert!(on(Some("2025-01-01"), &[]).warnings().is_empty());
    }

    #[test]
    fn unknown_missing_and_contradictory_flags() {
        let c = on(
            Some("2025-01-01"),
            &[
                "frobnicate",
                "nodejs_compat",
                "enable_nodejs_http2_module",
                "url_original",
                "global_fetch_strictly_public",
            ],
        );
        assert_eq!(c.unknown(), ["frobnicate"]);
        let w = c.warnings().join("\n");
        assert!(w.contains("`frobnicate` is unknown"), "{w}");
        assert!(
            w.contains("`enable_nodejs_http2_module` is not honoured"),
            "{w}"
        );
        assert!(w.contains("`url_original` is not honoured"), "{w}");
        assert!(!w.contains("nodejs_compat`"), "{w}");
        assert!(!w.contains("global_fetch_strictly_public"), "{w}");
        let flags = vec!["nodejs_compat".to_string(), "no_nodejs_compat".to_string()];
        let e = Compatibility::resolve(Some("2025-01-01"), &flags).unwrap_err();
        assert!(
            e.contains("nodejs_compat") && e.contains("no_nodejs_compat"),
            "{e}"
        );
    }

    #[test]
    fn registry_is_consistent() {
        let mut names = BTreeSet::new();
        for (i, f) in FLAGS.iter().enumerate() {
            assert!(names.insert(f.enable), "{} listed twice", f.enable);
            if let Some(d) = f.disable {
                assert!(names.insert(d), "{d} listed twice");
            }
            for date in f.default_on.into_iter().chain(f.implied_by.map(|(_, d)| d)) {
                let b = date.as_bytes();
                assert!(b.len() == 10 && b[4] == b'-' && b[7] == b'-', "{date}");
            }
            // Implying changes come first, so one pass resolves everything.
            if let Some((by, _)) = f.implied_by {
                for b in by {
                    assert!(
                        FLAGS[..i].iter().any(|g| g.enable == *b),
                        "{b} after {}",
                        f.enable
                    );
                }
            }
        }
    }
}
