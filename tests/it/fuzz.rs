//! Fuzz targets for every parser of outside input, run with a short budget
//! in the normal test run. In Wasm a panic is a trap that stops the
//! background, so each target asserts first that no input panics, then
//! that an error says where (a field, a column), then a real property of
//! the parser where there is one.
//!
//! Inputs are both arbitrary text (any Unicode, any length) and
//! structure-aware: generated from the grammar, so cases get past the first
//! character and reach the deeper paths. `FUZZ_CASES=100000 cargo test
//! --release --test it fuzz::` runs a longer campaign; a failure prints the
//! shrunk input and writes nothing into the repository.
//!
//! Targets, by input: filters, templates, cron, webhook config (headers,
//! URLs, whole inputs), receiver replies (statuses and `actOnReplies`
//! bodies), incoming messages, stored records, settings files.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use autohook::limits::{MAX_CONDITIONS, MAX_CONDITION_CHARS, MAX_CRON_CHARS, MAX_TEMPLATE_CHARS};
use autohook::{
    answer_json, handle, Answer, Cron, Engine, Event, EventKind, Filters, Match, Millis, Outcome, Output, Preset, RequestPart, Sender,
    Snapshot, Template, TemplateError, Verdict, WebhookConfig, WebhookInput,
};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngAlgorithm};
use serde_json::{Map, Value};

use crate::common;

// ---------------------------------------------------------------------------
// Budget and shared strategies
// ---------------------------------------------------------------------------

/// Cases per target when `FUZZ_CASES` is not set: 12 targets, 30,000
/// inputs, 19 s for a debug run of them (then `cargo test --test fuzz`)
/// on two cores with other builds running (load 2.8).
const DEFAULT_CASES: u32 = 2_500;

/// The budget every target runs with: `FUZZ_CASES` cases (or
/// [`DEFAULT_CASES`]), and no failure-persistence files, so a run never
/// writes into the repository. XorShift rather than the default ChaCha:
/// in a debug build ChaCha took most of the time (perf), and test inputs
/// need no cryptographic randomness.
fn budget() -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CASES);
    ProptestConfig { cases, failure_persistence: None, rng_algorithm: RngAlgorithm::XorShift, ..ProptestConfig::default() }
}

/// Any text, weighted towards what breaks parsers: short, with the
/// characters that matter to our grammars, non-ASCII and multi-byte.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        4 => "[ -~]{0,40}",
        3 => "[{}\\[\\]\"\\\\:,|.*/ 0-9a-z≥≤≠é🎉\u{a0}\t\n-]{0,60}",
        1 => ("[\\[{\"\\\\é]", 1usize..5000).prop_map(|(c, n)| c.repeat(n)),
    ]
}

/// Any JSON value, a few levels deep, with keys from a small alphabet so
/// generated paths find something.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
        "[a-c]{1,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]{1,2}|message|error|n", inner, 0..5).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn event_kind() -> impl Strategy<Value = EventKind> {
    prop::sample::select(EventKind::ALL.to_vec())
}

/// An event as the content script could send it: any id, time and data.
fn event() -> impl Strategy<Value = Event> {
    (text(), event_kind(), any::<u64>(), json()).prop_map(|(id, kind, at, data)| Event::new(id, kind, Millis(at), data))
}

/// The 1-based column `column` lies in `text` or just after its end.
fn within(text: &str, column: usize) -> bool {
    (1..=text.chars().count() + 1).contains(&column)
}

// ---------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------

fn condition_value() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| n.to_string()),
        4 => "[a-c]{1,3}|true|false|null|-|\\.|[a-z_é-]{1,8}",
        2 => any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
        1 => "\"([^\"\\\\]|\\\\[\"\\\\/bfnrtuq]|\\\\u[0-9a-fA-F]{0,4})*\"?",
    ];
    prop_oneof![
        5 => scalar.clone(),
        3 => (prop::collection::vec(scalar, 0..6), "[,\\] ]{0,1}").prop_map(|(items, end)| format!("[{}]{end}", items.join(", "))),
        1 => (prop_oneof![1usize..50, 1usize..5000], any::<bool>()).prop_map(|(depth, closed)| {
            format!("{}1{}", "[".repeat(depth), if closed { "]".repeat(depth) } else { String::new() })
        }),
    ]
}

/// A condition from the grammar, with the mistakes people make: unknown
/// and lookalike operators, odd spacing, trailing text.
fn condition() -> impl Strategy<Value = String> {
    let path = prop_oneof![4 => "(event|id|data)(\\.[a-c]{1,2}){0,3}", 1 => "[a-zé_.-]{0,12}"];
    let op = prop_oneof![
        6 => prop::sample::select(vec!["==", "!=", ">", ">=", "<", "<=", "contains", "in"]),
        1 => prop::sample::select(vec!["≥", "≤", "≠", "=", "=>", "is", ""]),
    ];
    let space = prop_oneof![4 => Just(" "), 1 => prop::sample::select(vec!["", "  ", "\t", "\u{a0}", "\u{3000}"])];
    let tail = prop_oneof![8 => Just(String::new()), 1 => text()];
    (path, space.clone(), op, space, condition_value(), tail).prop_map(|(p, s1, o, s2, v, t)| format!("{p}{s1}{o}{s2}{v}{t}"))
}

/// Parses `conditions` and checks what the parser promises: an error names
/// a condition that exists and a column inside it; a filter never panics
/// on any envelope, and when all its conditions hold, any one does.
fn check_filters(conditions: Vec<String>, envelopes: &[Value]) -> Result<(), TestCaseError> {
    let kept: Vec<String> = conditions.iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    match Filters::parse(Match::All, conditions.clone()) {
        Err(error) => {
            let condition = kept.get(error.number.wrapping_sub(1));
            prop_assert!(condition.is_some_and(|c| within(c, error.column)), "{error} for {kept:?}");
            prop_assert!(!error.problem.is_empty());
        }
        Ok(None) => prop_assert!(kept.is_empty()),
        Ok(Some(all)) => {
            prop_assert!(kept.len() <= MAX_CONDITIONS && kept.iter().all(|c| c.chars().count() <= MAX_CONDITION_CHARS));
            let any = Filters::parse(Match::Any, conditions).ok().flatten().expect("the same conditions parse either way");
            for envelope in envelopes {
                if all.rejects(envelope).is_none() {
                    prop_assert_eq!(any.rejects(envelope), None, "all hold but none does: {:?} on {}", kept, envelope);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn filters_parse_any_text_to_a_filter_or_a_positioned_error(conditions in prop::collection::vec(text(), 0..4)) {
        check_filters(conditions, &[])?;
    }

    #[test]
    fn generated_filters_parse_totally_and_all_implies_any(
        conditions in prop::collection::vec(condition(), 1..4),
        envelopes in prop::collection::vec(json(), 1..4),
    ) {
        check_filters(conditions, &envelopes)?;
    }
}

// ---------------------------------------------------------------------------
// Templates
// ---------------------------------------------------------------------------

const TARGETS: [RequestPart; 3] = [RequestPart::Json, RequestPart::Header, RequestPart::Query];

/// A tag from the grammar: paths, literals, filters and their arguments,
/// and broken variants of each.
fn tag() -> impl Strategy<Value = String> {
    let expr = prop_oneof![
        prop::sample::select(vec![
            "event", "timestamp", "id", "data", "data.message", "data.messagesSentToday", "data.timestamp", "sentence", "data.items.0",
            "data.nope", "data..x", "\"{{\"", "\"lit\\\"é\"", "\"open", "", "é",
        ])
        .prop_map(String::from),
        "(data\\.)?[a-c]{1,2}(\\.[0-9])?",
    ];
    let filter = prop::sample::select(vec![
        "truncate:5", "truncate:1", "truncate:0", "truncate:99999999999999999999", "truncate", "default:\"-\"", "default:3",
        "default:none", "default:99999999999999999999", "upper", "lower", "json", "date:\"%Y-%m-%d\"", "date:\"%s %z %+\"", "date:\"%Q\"",
        "date:\"%\"", "upper:1", "shout", "",
    ]);
    let space = prop::sample::select(vec!["", " ", "  "]);
    (space.clone(), expr, prop::collection::vec(filter, 0..4), space).prop_map(|(s1, expr, filters, s2)| {
        format!("{{{{{s1}{expr}{}{s2}}}}}", filters.iter().map(|f| format!(" | {f}")).collect::<String>())
    })
}

/// Text that goes inside a JSON string around tags: plain, escaped, and
/// the escapes a value could complete (`\`, `\u`, `\u00`).
fn string_text() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "a", "é🎉", " ", "\\n", "\\\"", "\\\\", "\\u00e9", "\\", "\\u", "\\u00", "{", "}}"])
        .prop_map(String::from)
}

/// A JSON body template: JSON whose slots hold tags, bare or inside
/// strings, sometimes with a stray character where a value touches a tag
/// (`-{{x}}`, `1{{x}}`).
fn json_template() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => tag(),
        3 => (string_text(), tag(), string_text()).prop_map(|(a, t, b)| format!("\"{a}{t}{b}\"")),
        1 => (prop::sample::select(vec!["-", "1", "1.", "1e", "\"", "t", "[", "{"]), tag()).prop_map(|(p, t)| format!("{p}{t}")),
        1 => (tag(), prop::sample::select(vec!["1", ".5", "e3", "\"", ",", "]"])).prop_map(|(t, s)| format!("{t}{s}")),
        2 => json().prop_map(|v| v.to_string()),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..4).prop_map(|pairs| {
                let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                format!("{{\n  {}\n}}", members.join(",\n  "))
            }),
        ]
    })
}

/// An error's line and column lie inside `source`.
fn in_source(source: &str, error: &TemplateError) -> bool {
    source.split('\n').nth(error.line.wrapping_sub(1)).is_some_and(|line| within(line, error.column))
}

/// Parses `source` for `target`; if it parses, renders `events` and checks
/// that errors are placed in the source and JSON output parses.
fn check_template(source: &str, target: RequestPart, events: &[Event]) -> Result<(), TestCaseError> {
    let template = match Template::parse(source, target) {
        Err(error) => {
            prop_assert!(in_source(source, &error), "{error} outside {source:?}");
            return Ok(());
        }
        Ok(template) => template,
    };
    prop_assert!(source.chars().count() <= MAX_TEMPLATE_CHARS);
    for event in events {
        match template.render(event) {
            Err(error) => prop_assert!(in_source(source, &error), "{error} outside {source:?}"),
            Ok(out) if target == RequestPart::Json => {
                prop_assert!(serde_json::from_str::<Value>(&out).is_ok(), "{source:?} rendered {out:?}");
            }
            Ok(_) => {}
        }
    }
    Ok(())
}

/// A sample event of `kind`, as [`Template::check`] renders on save.
fn sample(kind: EventKind) -> Event {
    let at = Millis(1_700_000_000_000);
    Event::own("msg_sample".into(), at, kind.sample(at))
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn templates_parse_any_text_for_every_target(source in text(), event in event()) {
        for target in TARGETS {
            check_template(&source, target, std::slice::from_ref(&event))?;
        }
    }

    #[test]
    fn generated_tags_in_any_text_parse_and_render_for_every_target(
        pieces in prop::collection::vec(prop_oneof![tag(), text(), string_text()], 0..8),
        event in event(),
    ) {
        let source = pieces.concat();
        for target in TARGETS {
            check_template(&source, target, std::slice::from_ref(&event))?;
        }
    }

    /// "Templates render JSON or are refused": a template `check` accepts
    /// renders JSON for every sample event; and a template that parses
    /// never renders text that is not JSON, whatever the event (the
    /// stand-ins of the parse-time check are sound).
    #[test]
    fn json_templates_that_are_accepted_render_json(source in json_template(), event in event()) {
        if Template::check(&source, RequestPart::Json, &EventKind::ALL, false).is_ok() {
            let template = Template::parse(&source, RequestPart::Json).expect("check parsed it");
            for kind in EventKind::ALL {
                let out = template.render(&sample(kind)).expect("check rendered it");
                prop_assert!(serde_json::from_str::<Value>(&out).is_ok(), "{source:?} rendered {out:?}");
            }
        }
        check_template(&source, RequestPart::Json, std::slice::from_ref(&event))?;
        if let Ok(template) = Template::parse(&source, RequestPart::Json) {
            if let Err(error) = template.render(&event) {
                prop_assert!(!error.problem.contains("rendered body is not JSON"), "{source:?}: {error}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Cron
// ---------------------------------------------------------------------------

fn cron_field() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        Just("*".to_string()),
        (0u32..70).prop_map(|n| n.to_string()),
        (0u32..70, 0u32..70).prop_map(|(a, b)| format!("{a}-{b}")),
        (0u32..70).prop_map(|n| format!("*/{n}")),
        (0u32..40, 0u32..70, 0u32..20).prop_map(|(a, b, n)| format!("{a}-{b}/{n}")),
        prop::sample::select(vec!["jan", "DEC", "mon-fri", "sun", "sat-sun", "foo", "", "-", "/", "*/", "1-", "é", "4294967296"])
            .prop_map(String::from),
    ];
    prop::collection::vec(item, 1..4).prop_map(|items| items.join(","))
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn cron_parses_any_text_to_an_expression_or_a_positioned_error(expr in text()) {
        if let Err(error) = Cron::parse(&expr) {
            prop_assert!(within(&expr, error.column), "{error} for {expr:?}");
        }
    }

    /// A start is always a whole minute strictly after the time asked about.
    #[test]
    fn generated_cron_expressions_parse_and_the_next_start_is_later(
        fields in prop::collection::vec(cron_field(), 4..7),
        separator in prop::sample::select(vec![" ", "  ", "\t"]),
        after in prop_oneof![any::<u64>(), 0u64..4_102_444_800_000],
        offset in prop_oneof![any::<i32>(), -840i32..=840],
    ) {
        let expr = fields.join(separator);
        match Cron::parse(&expr) {
            Err(error) => prop_assert!(within(&expr, error.column), "{error} for {expr:?}"),
            Ok(cron) => {
                prop_assert!(expr.chars().count() <= MAX_CRON_CHARS);
                if let Some(next) = cron.next_after(Millis(after), offset) {
                    prop_assert!(next > Millis(after) && next.0 % 60_000 == 0, "{expr:?} after {after}: {next:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Webhook config: headers, URLs, whole inputs
// ---------------------------------------------------------------------------

/// The catalog (`catalog.get`), asked once.
fn catalog() -> &'static Value {
    static CATALOG: OnceLock<Value> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let message = serde_json::json!({"type": "catalog.get"});
        common::ask(&mut Engine::new([0; 16]), message, Sender::ExtensionPage, Millis(0), &[0; 32])["value"].take()
    })
}

/// The catalog's description of a webhook's settings (`fields.webhook`),
/// from the table they are declared in: the generator builds inputs from
/// it, and every field an error may name is one of it.
fn webhook_fields() -> &'static [Value] {
    catalog()["fields"]["webhook"].as_array().expect("the catalog lists the webhook's fields")
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "X-[A-Za-z0-9-]{1,12}",
        1 => prop::sample::select(vec!["Cookie", "sec-x", "Proxy-A", "webhook-id", "X-AutoHook-Event", "Content-Type", ""]).prop_map(String::from),
        1 => text(),
    ]
}

fn header_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => "[ -~é]{0,30}".prop_map(Value::String),
        2 => (string_text(), tag()).prop_map(|(a, t)| Value::String(format!("{a}{t}"))),
        1 => text().prop_map(Value::String),
        1 => json(),
    ]
}

fn headers() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec((header_name(), header_value()), 0..25).prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        1 => json(),
    ]
}

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ("https?://[a-z0-9.-]{1,150}(:[0-9]{1,6})?/[a-z/é%]{0,20}", prop::option::of(prop::collection::vec(prop_oneof![tag(), "[a-z=&]{0,6}".boxed()], 0..4)))
            .prop_map(|(base, query)| match query {
                Some(parts) => format!("{base}?{}", parts.concat()),
                None => base,
            }),
        1 => "(ftp|file|data|javascript|https?)://[ -~]{0,30}",
        1 => text(),
    ]
}

/// A field that is usually left out, so the others get a chance to be valid.
fn maybe<S: Strategy>(strategy: S) -> impl Strategy<Value = Option<S::Value>> {
    prop::option::weighted(0.3, strategy)
}

/// A number around `limits` (`min`, `max`): in range, just outside, or
/// anywhere a `u32` reaches.
fn number_around(limits: &Value) -> BoxedStrategy<Value> {
    let min = limits["min"].as_u64().unwrap_or(0);
    let max = limits["max"].as_u64().unwrap_or(u64::from(u32::MAX) - 1);
    prop_oneof![any::<u32>().prop_map(Value::from), (min.saturating_sub(1)..=max + 1).prop_map(Value::from)].boxed()
}

/// A value for the webhook setting `field` (a row of the catalog's
/// `fields.webhook`): from its control and limits, or, for a control of
/// the page's own, from the field's grammar.
fn setting(field: &Value) -> BoxedStrategy<Value> {
    let name = field["name"].as_str().expect("a field has a name");
    let limits = &catalog()["limits"]["webhook"][name];
    let many = limits["maxItems"].as_u64().map_or(4, |max| max as usize + 2);
    let strings = |s: BoxedStrategy<String>| s.prop_map(Value::String).boxed();
    match (name, field["control"].as_str().expect("a field has a control")) {
        (_, "number") => number_around(limits),
        (_, "numbers") => prop::collection::vec(prop_oneof![1 => any::<u64>(), 4 => 0u64..3_600_000].prop_map(Value::from), 0..many)
            .prop_map(Value::Array)
            .boxed(),
        (_, "bool") => any::<bool>().prop_map(Value::Bool).boxed(),
        (_, "choice") => prop::sample::select(field["choices"].as_array().cloned().unwrap_or_default()).boxed(),
        (_, "text") => strings(text().boxed()),
        ("url", _) => strings(prop_oneof![3 => "https://[a-z]{1,10}\\.test/[a-z]{0,5}", 1 => url()].boxed()),
        ("method", _) => strings(prop_oneof![4 => "(?i)post|get|put|patch", 1 => text()].boxed()),
        ("events", _) => prop::collection::vec(prop_oneof![event_kind().prop_map(|k| k.as_str().to_string()), text()], 0..4)
            .prop_map(Value::from)
            .boxed(),
        ("headers", _) => headers().boxed(),
        ("secret", _) => strings(prop_oneof!["whsec_[A-Za-z0-9+/=]{0,60}", text()].boxed()),
        ("enabled", _) => any::<bool>().prop_map(Value::Bool).boxed(),
        // Off, in range, or anywhere a u32 reaches.
        ("batch", _) => prop::option::of((number_around(&limits["maxEvents"]), number_around(&limits["maxWaitSeconds"])))
            .prop_map(|batch| batch.map_or(Value::Null, |(events, wait)| serde_json::json!({"maxEvents": events, "maxWaitSeconds": wait})))
            .boxed(),
        ("filters", _) => (any::<bool>(), prop::collection::vec(prop_oneof![condition(), text()], 0..4))
            .prop_map(|(any, conditions)| serde_json::json!({"match": if any { "any" } else { "all" }, "conditions": conditions}))
            .boxed(),
        ("preset", _) => prop::sample::select(Preset::ALL.map(Preset::as_str).into_iter().chain(["Raw", ""]).collect::<Vec<_>>())
            .prop_map(Value::from)
            .boxed(),
        ("chatId", _) => strings(text().boxed()),
        ("template", _) => strings(prop_oneof![json_template(), text()].boxed()),
        (other, control) => panic!("no generator for the webhook setting {other} ({control}): add one here"),
    }
}

/// Webhook input built from the catalog's fields: each usually left out (the
/// URL usually given), so the others get a chance to be valid, and the
/// headers also as `headersJson` text.
fn webhook_input() -> impl Strategy<Value = WebhookInput> {
    let fields: Vec<_> = webhook_fields()
        .iter()
        .map(|field| {
            let chance = if field["name"] == "url" { 0.95 } else { 0.3 };
            (Just(field["name"].as_str().expect("a field has a name").to_string()), prop::option::weighted(chance, setting(field)))
        })
        .collect();
    let headers_json = maybe(prop_oneof![3 => headers().prop_map(|h| h.to_string()), 1 => text()]);
    (fields, headers_json).prop_map(|(fields, headers_json)| {
        let mut input: Map<String, Value> = fields.into_iter().filter_map(|(name, value)| Some((name, value?))).collect();
        if let Some(text) = headers_json {
            input.insert("headersJson".into(), Value::String(text));
        }
        serde_json::from_value(Value::Object(input)).expect("the generator builds webhook input")
    })
}

/// Creates a webhook from `input` and checks the promises of
/// [`WebhookConfig::create`]: an error names a field; a config it accepts
/// is accepted again unchanged (what storage re-reads) and survives a JSON
/// round trip.
/// Headers `input` gives a webhook at a valid URL, or an error on `headers`.
fn check_headers(input: WebhookInput) -> Result<(), TestCaseError> {
    let input = WebhookInput { url: Some("https://h.test/".into()), ..input };
    if let Err(error) = WebhookConfig::create(input.clone()) {
        prop_assert_eq!(error.field(), "headers", "{}", error);
    }
    check_config(input)
}

fn check_config(input: WebhookInput) -> Result<(), TestCaseError> {
    match WebhookConfig::create(input) {
        Err(error) => {
            prop_assert!(webhook_fields().iter().any(|field| field["name"] == error.field()), "{error:?}");
            prop_assert!(!error.to_string().is_empty());
        }
        Ok(config) => {
            let again = config.apply(WebhookInput::default());
            prop_assert_eq!(again.as_ref(), Ok(&config));
            let stored = serde_json::to_string(&config).expect("a config serializes");
            prop_assert_eq!(&serde_json::from_str::<WebhookConfig>(&stored).expect("and reads back"), &config);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn headers_json_text_gives_headers_or_a_headers_error(text in prop_oneof![text(), headers().prop_map(|h| h.to_string())]) {
        check_headers(WebhookInput { headers_json: Some(text), ..Default::default() })?;
    }

    #[test]
    fn header_maps_give_headers_or_a_headers_error(headers in headers()) {
        check_headers(WebhookInput { headers: Some(headers), ..Default::default() })?;
    }

    #[test]
    fn any_url_gives_a_webhook_or_a_url_error(url in url()) {
        let input = WebhookInput { url: Some(url), ..Default::default() };
        if let Err(error) = WebhookConfig::create(input.clone()) {
            prop_assert_eq!(error.field(), "url", "{}", error);
        }
        check_config(input)?;
    }

    #[test]
    fn any_webhook_input_gives_a_webhook_or_an_error_naming_a_field(input in webhook_input()) {
        check_config(input)?;
    }
}

// ---------------------------------------------------------------------------
// Receiver replies
// ---------------------------------------------------------------------------

/// `Retry-After` as receivers send it, well or badly.
fn retry_after() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        "[ ]?[0-9]{1,25}[ ]?",
        "(Mon|Wed|Xyz), [0-9]{1,2} (Jan|Oct|Foo) [0-9]{1,6} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|UTC|\\+9999|-0000)",
        text(),
    ])
}

proptest! {
    #![proptest_config(budget())]

    /// 2xx succeeds, 410 disables, a delay is only ever honoured for 429
    /// and 503 and never beyond an hour; a failure always has a reason.
    #[test]
    fn any_status_and_retry_after_give_a_verdict(
        status in prop_oneof![any::<u16>(), 0u16..600],
        retry_after in retry_after(),
        body in text(),
        now in any::<u64>(),
        timeout_ms in any::<u64>(),
    ) {
        let outcome = Outcome::Response { status, retry_after, body };
        let verdict = outcome.verdict(Millis(now));
        prop_assert_eq!(verdict == Verdict::Success, (200..=299).contains(&status));
        prop_assert_eq!(verdict == Verdict::Gone, status == 410);
        if let Verdict::Retry(Some(delay)) = verdict {
            prop_assert!(matches!(status, 429 | 503) && delay <= 3_600_000, "{status}: {delay}");
        }
        prop_assert_eq!(outcome.status(), Some(status));
        prop_assert_eq!(outcome.error(timeout_ms).is_none(), (200..=299).contains(&status));
    }
}

/// A receiver's reply body for a webhook with `actOnReplies`: arbitrary
/// text and JSON, and `autohook` objects with the keys and words that
/// matter, in any types.
fn reply_body() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        2 => "pause|resume|stop|start|Pause".prop_map(Value::from),
        2 => text().prop_map(Value::String),
        1 => ("[a-z ]{1,3}", 1900usize..2100).prop_map(|(c, n)| Value::String(c.repeat(n).chars().take(n).collect())),
        1 => json(),
    ];
    let autohook =
        prop::collection::btree_map("reply|campaign|[a-z]{1,6}", word, 0..9).prop_map(|map| Value::Object(map.into_iter().collect()));
    let wrapped =
        (prop_oneof![4 => autohook, 1 => json()], json()).prop_map(|(autohook, pad)| serde_json::json!({"pad": pad, "autohook": autohook}));
    prop_oneof![2 => text(), 1 => json().prop_map(|v| v.to_string()), 4 => wrapped.prop_map(|v| v.to_string())]
}

proptest! {
    #![proptest_config(budget())]

    /// Any body is read without a panic; a text taken is one the rules
    /// allow and exactly the one sent; a control taken is one of three
    /// words; the log's list of ignored keys stays short. Through an
    /// engine whose running campaign receives it, any body leaves a log
    /// entry saying what it did exactly when it asked something.
    #[test]
    fn any_reply_body_is_read_within_its_limits(body in reply_body()) {
        let parsed = autohook::parse_reply(&body);
        if let Some(Ok(asked)) = &parsed {
            let sent: Value = serde_json::from_str(&body).expect("taken only from JSON");
            if let Some(reply) = &asked.reply {
                prop_assert_eq!(Some(reply.as_str()), sent["autohook"]["reply"].as_str());
                prop_assert!(!reply.trim().is_empty() && reply.chars().count() <= autohook::limits::MAX_REPLY_CHARS);
            }
            if asked.campaign.is_some() {
                prop_assert!(matches!(sent["autohook"]["campaign"].as_str(), Some("pause" | "resume" | "stop")));
            }
            prop_assert!(asked.ignored.len() <= 8, "{:?}", asked.ignored);
        }
        let mut engine = Engine::new([2; 16]);
        let input = serde_json::json!({"url": "https://h.test/", "actOnReplies": true});
        engine.create_webhook(serde_json::from_value(input).expect("a valid input"), Millis(1)).expect("a valid webhook");
        for message in [
            serde_json::json!({"type": "campaign.configure", "settings": {"phrases": ["one"], "intervalMinSeconds": 1, "intervalMaxSeconds": 1}}),
            serde_json::json!({"type": "campaign.setTarget", "tabId": 3, "url": "https://chat.test/", "input": "#m"}),
            serde_json::json!({"type": "campaign.start"}),
        ] {
            handle(&mut engine, message, Sender::ExtensionPage, Millis(1), &[0; 32]).expect("a valid campaign request");
        }
        common::persist(&mut engine, &mut BTreeMap::new());
        let Output::Transmit(transmit) = engine.poll(Millis(2)) else { panic!("the start is delivered") };
        engine.handle_response(transmit.attempt, Outcome::Response { status: 200, retry_after: None, body }, Millis(3));
        common::persist(&mut engine, &mut BTreeMap::new());
        common::answer_everything(&mut engine, Millis(4));
        let logged = engine.delivery(&transmit.delivery_id).expect("logged");
        prop_assert_eq!(logged.reply_action.is_some(), parsed.is_some());
    }
}

// ---------------------------------------------------------------------------
// Incoming messages
// ---------------------------------------------------------------------------

/// Every request type there is, and a few that are not.
const REQUEST_TYPES: [&str; 41] = [
    "webhooks.list", "webhooks.create", "webhooks.update", "webhooks.delete", "webhooks.setEnabled", "webhooks.test", "webhooks.preview",
    "webhooks.revealSecret", "webhooks.rotateSecret", "settings.get", "settings.set", "events.emit", "deliveries.list", "deliveries.get",
    "deliveries.redeliver", "stats.clear", "stats.summary", "secrets.generate", "campaign.get", "campaign.configure", "campaign.setTarget",
    "campaign.beginPick", "campaign.start", "campaign.pause", "campaign.resume", "campaign.stop", "storage.unreadable",
    "storage.deleteUnreadable", "catalog.get", "deliveries.redeliverFailed", "deliveries.cancelPending", "notifications.get",
    "notifications.set", "badge.get", "badge.markSeen", "settings.export", "settings.import", "", "webhooks", "test.trap", "constructor",
];

/// A message shaped like a request: a known type and fields under the
/// names requests use, each any JSON (or a valid webhook input), plus
/// arbitrary JSON for messages that are nothing like one.
fn message() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        4 => json(),
        1 => webhook_input_json(),
        1 => "(wh|dlv|msg)_[A-Za-z0-9_-]{0,22}".prop_map(Value::String),
    ];
    let names =
        "type|id|webhook|changes|enabled|event|data|webhookId|state|limit|url|settings|tabId|input|button|token|name|requestId|held|since|dryRun|failing|dailyLimit|overlapHours|mode|[a-z]{1,8}";
    let request =
        (prop::sample::select(REQUEST_TYPES.to_vec()), prop::collection::btree_map(names, field, 0..6)).prop_map(|(kind, fields)| {
            let mut message: Map<String, Value> = fields.into_iter().collect();
            message.insert("type".into(), Value::from(kind));
            Value::Object(message)
        });
    prop_oneof![4 => request, 1 => json()]
}

fn webhook_input_json() -> impl Strategy<Value = Value> {
    (url(), maybe(headers()), maybe(text()), maybe(prop::collection::vec(text(), 0..3))).prop_map(|(url, headers, secret, conditions)| {
        serde_json::json!({ "url": url, "headers": headers, "secret": secret, "filters": conditions.map(|c| serde_json::json!({"conditions": c})) })
    })
}

fn sender() -> impl Strategy<Value = Sender> {
    prop_oneof![
        3 => Just(Sender::ExtensionPage),
        1 => (any::<u32>(), url()).prop_map(|(tab_id, url)| Sender::ContentScript { tab_id, url }),
    ]
}

/// An engine with a webhook (its secret rotated, so it has a previous
/// one), a delivery in the log and one in the outbox, and everything
/// written: the state requests act on.
fn populated() -> (Engine, BTreeMap<String, String>) {
    let mut engine = Engine::new([1; 16]);
    let input = serde_json::json!({"url": "https://h.test/in", "secret": "whsec_c2VjcmV0", "filters": {"conditions": ["event != error"]}});
    let id = engine.create_webhook(serde_json::from_value(input).expect("a valid input"), Millis(1)).expect("a valid webhook").id.clone();
    engine.rotate_secret(&id, Some(1.0), &[3; 32], Millis(1)).expect("a valid rotation");
    // A batching webhook, so a closed batch and an open one are stored too.
    let batching = serde_json::json!({"url": "https://h.test/b", "batch": {"maxEvents": 2, "maxWaitSeconds": 60}});
    engine.create_webhook(serde_json::from_value(batching).expect("a valid input"), Millis(1)).expect("a valid webhook");
    engine.emit("message_sent", serde_json::json!({"message": "hi"}), Millis(2)).expect("subscribed");
    let mut storage = BTreeMap::new();
    common::persist(&mut engine, &mut storage);
    if let Output::Transmit(transmit) = engine.poll(Millis(3)) {
        engine.handle_response(transmit.attempt, Outcome::Response { status: 200, retry_after: None, body: "ok".into() }, Millis(4));
    }
    engine.emit("milestone", serde_json::json!({"milestone": "10_messages"}), Millis(5)).expect("subscribed");
    engine.emit("error", serde_json::json!({"error": "no button"}), Millis(5)).expect("subscribed");
    // A running campaign with a target, so its stored record can be corrupted too.
    for message in [
        serde_json::json!({"type": "campaign.configure", "settings": {"phrases": ["one", "two"], "intervalMinSeconds": 1, "intervalMaxSeconds": 1}}),
        serde_json::json!({"type": "campaign.setTarget", "tabId": 3, "url": "https://chat.test/", "input": "#m"}),
        serde_json::json!({"type": "campaign.start"}),
    ] {
        handle(&mut engine, message, Sender::ExtensionPage, Millis(6), &[0; 32]).expect("a valid campaign request");
    }
    common::persist(&mut engine, &mut storage);
    (engine, storage)
}

proptest! {
    #![proptest_config(budget())]

    /// Any message from any sender is answered with a value or an error
    /// with a code; a refused one changes nothing that would be stored.
    #[test]
    fn any_message_is_answered_and_a_refused_one_changes_nothing(messages in prop::collection::vec((message(), sender()), 1..4)) {
        let (mut engine, _) = populated();
        for (message, sender) in messages {
            let result = handle(&mut engine, message, sender, Millis(10), &[7; 32]);
            let refused = result.is_err();
            let answer = answer_json(result.map(|answer| match answer {
                Answer::Now(value) => value,
                Answer::AfterDelivery(id) => Value::String(id),
            }));
            prop_assert!(answer["ok"].is_boolean());
            let changes = engine.take_changes();
            if refused {
                prop_assert!(answer["error"]["code"].as_str().is_some_and(|code| !code.is_empty()), "{answer}");
                prop_assert!(changes.is_empty(), "a refused request wrote {:?}", changes.set.keys().collect::<Vec<_>>());
            }
            engine.changes_saved(changes.batch);
        }
    }
}

// ---------------------------------------------------------------------------
// Stored records
// ---------------------------------------------------------------------------

/// A stored value turned into what a truncated write, another build or a
/// sync tool might leave: cut short, a byte range replaced, a field set to
/// any JSON, or something else altogether.
fn corrupt(stored: String) -> impl Strategy<Value = String> {
    let len = stored.len();
    let field = stored.clone();
    prop_oneof![
        (0..=len).prop_map({ let stored = stored.clone(); move |at| stored.get(..at).unwrap_or(&stored).to_string() }),
        (0..=len, 0..8usize, text()).prop_map(move |(at, n, with)| {
            let at = (0..=at).rev().find(|&i| stored.is_char_boundary(i)).unwrap_or(0);
            let end = (at + n..=stored.len()).find(|&i| stored.is_char_boundary(i)).unwrap_or(stored.len());
            format!("{}{with}{}", &stored[..at], &stored[end..])
        }),
        ("[a-zA-Z]{1,16}|id|url|secret|previousSecrets|events|state|attempts|filters|template|status|target|ratePerMinute|settings|nextSendAt|sending|lastPhrase|pick", json()).prop_map(move |(name, value)| {
            let mut record: Value = serde_json::from_str(&field).unwrap_or(Value::Null);
            let target = match &mut record { Value::Array(items) => items.first_mut(), other => Some(other) };
            if let Some(Value::Object(fields)) = target {
                fields.insert(name, value);
            }
            record.to_string()
        }),
        text(),
        json().prop_map(|value| value.to_string()),
    ]
}

/// A valid profile with some of its records corrupted, and keys of every
/// kind AutoHook reads (and some it does not) added with any value.
fn stored_profile() -> impl Strategy<Value = BTreeMap<String, String>> {
    let (_, storage) = populated();
    let records: Vec<(String, String)> = storage.into_iter().collect();
    let kept = records
        .iter()
        .map(|(key, text)| {
            let key = key.clone();
            prop_oneof![3 => Just(text.clone()), 2 => corrupt(text.clone())].prop_map(move |text| (key.clone(), text))
        })
        .collect::<Vec<_>>();
    let extra_key = "settings|webhooks|campaign|inflight|replies|badge|(delivery|unreadable|outbox|log)/[a-z_0-9]{0,6}|other";
    (kept, prop::collection::vec((extra_key, prop_oneof![text(), json().prop_map(|v| v.to_string())]), 0..4))
        .prop_map(|(kept, extra)| kept.into_iter().chain(extra).collect())
}

proptest! {
    #![proptest_config(budget())]

    /// Any stored profile loads: what does not decode is set aside once
    /// (a second start finds nothing new to set aside), and the engine
    /// answers any message, raises events, sends and types afterwards.
    #[test]
    fn any_stored_profile_loads_and_sets_aside_what_it_cannot_read_once(
        stored in stored_profile(),
        messages in prop::collection::vec(message(), 0..3),
    ) {
        let mut storage = stored;
        for start in 0..2 {
            let snapshot = Snapshot::from_stored(storage.clone());
            if start == 1 {
                prop_assert!(snapshot.unreadable.is_empty(), "set aside again: {:?}", snapshot.unreadable);
            }
            let mut engine = Engine::restore(snapshot, [2; 16], Millis(100));
            common::persist(&mut engine, &mut storage);
            let listed = handle(&mut engine, serde_json::json!({"type": "webhooks.list"}), Sender::ExtensionPage, Millis(100), &[0; 32]);
            prop_assert!(listed.is_ok());
            let emitted = engine.emit("message_sent", Value::Object(Map::new()), Millis(101));
            prop_assert!(emitted.is_ok(), "{:?}", emitted);
            for message in &messages {
                let _ = handle(&mut engine, message.clone(), Sender::ExtensionPage, Millis(101), &[1; 32]);
            }
            for at in [Millis(102), Millis(100_000_000)] {
                common::answer_everything(&mut engine, at);
            }
            common::persist(&mut engine, &mut storage);
        }
    }
}

// ---------------------------------------------------------------------------
// Settings files
// ---------------------------------------------------------------------------

/// A settings file as `settings.import` may get it: a real export (without
/// secrets: decrypting one costs 600,000 PBKDF2 rounds a case; the tamper
/// tests in tests/it/transfer.rs cover it) corrupted, one of its webhooks or
/// sections replaced by any JSON, or anything at all.
fn settings_file() -> impl Strategy<Value = Value> {
    let (mut engine, _) = populated();
    let exported = handle(&mut engine, serde_json::json!({"type": "settings.export"}), Sender::ExtensionPage, Millis(7), &[0; 32]);
    let Ok(Answer::Now(file)) = exported else { unreachable!("an export without secrets succeeds") };
    let text = file.to_string();
    let section = "webhooks|campaign|settings|secrets|format|version|[a-z]{1,8}";
    prop_oneof![
        3 => corrupt(text).prop_map(Value::String),
        2 => (section, json()).prop_map(move |(name, value)| {
            let mut file = file.clone();
            file[name.as_str()] = value;
            file
        }),
        1 => json(),
    ]
}

proptest! {
    #![proptest_config(budget())]

    /// No file panics the import: it applies or is refused with a code
    /// and changes nothing, and the webhook limit holds either way.
    #[test]
    fn any_settings_file_is_imported_whole_or_refused_with_nothing_changed(
        file in settings_file(),
        mode in "merge|replace|other",
        passphrase in maybe(text()),
    ) {
        let (mut engine, _) = populated();
        let message = serde_json::json!({"type": "settings.import", "data": file, "mode": mode, "passphrase": passphrase});
        let result = handle(&mut engine, message, Sender::ExtensionPage, Millis(10), &[7; 32]);
        let changes = engine.take_changes();
        match result {
            Ok(_) => prop_assert!(engine.webhooks().len() <= autohook::limits::MAX_WEBHOOKS),
            Err(error) => {
                prop_assert!(!error.code().as_str().is_empty());
                prop_assert!(changes.is_empty(), "a refused import wrote {:?}", changes.set.keys().collect::<Vec<_>>());
            }
        }
    }
}
