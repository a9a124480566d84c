//! Custom templates: a body, header value or URL query with placeholders
//! such as `{{data.message | truncate:100}}` filled in from the envelope.
//!
//! A tag is `{{ expression | filter | filter:arg }}`. The expression is a
//! path into the envelope (`event`, `timestamp`, `id`, `data.message`,
//! `data.items.0`), `sentence` (the preset's human sentence) or a quoted
//! string (`{{"{{"}}` writes a literal `{{`). Filters: `truncate:N`,
//! `default:"…"` (or a number), `upper`, `lower`, `json`, `date:"%Y-%m-%d"` (strftime).
//!
//! Inserted values are escaped for where they land, so a body template that
//! parses always renders to valid JSON: inside a JSON string a value is
//! escaped text; in a bare position it is inserted as JSON (`"n": {{x}}`
//! keeps a number a number). Header values lose line breaks, and characters
//! beyond Latin-1 (which fetch refuses in headers) become `?`; query values
//! are percent-encoded. Templates are checked when saved, so a user sees a
//! position and a reason, not a failed delivery.
//!
//! A JSON template is checked twice over. On parse, its text with every
//! tag replaced by a stand-in must be JSON: `null` where a value goes, so
//! a tag cannot continue a number (`-{{x}}`), and text that is not a valid
//! escape inside a string, so a tag cannot finish one (`"\u{{x}}"`). On
//! every render the output itself is parsed, so whatever the data, a body
//! that is not JSON is an error, never sent. "JSON" is what serde_json
//! reads into a `Value`, its nesting limit of 128 included: a body nested
//! deeper than common parsers accept is refused too.
//!
//! Limits: at most [`MAX_TEMPLATE_CHARS`] characters and [`MAX_TAGS`] tags,
//! so any text parses quickly to a template or an error with a position.

use percent_encoding::percent_decode_str;
use serde_json::Value;
use thiserror::Error;
use url::Url;

use crate::event::{samples, EventKind, Payload};
use crate::preset::cut;
use crate::time::{parse, strftime, DateTime, Millis};

/// Longest template, in characters: a large chat message body with room
/// to spare, and far under the 256 KB payload limit.
pub const MAX_TEMPLATE_CHARS: usize = 16 * 1024;
/// Most tags in one template.
pub const MAX_TAGS: usize = 256;

/// Where a template's output goes, which decides how values are escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestPart {
    /// A JSON request body.
    Json,
    /// A header value.
    Header,
    /// A URL query.
    Query,
}

/// Why a template cannot be used: where, and what is wrong.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("line {line}, column {column}: {problem}")]
pub struct TemplateError {
    /// 1-based line in the template.
    pub line: usize,
    /// 1-based column (in characters) in that line.
    pub column: usize,
    /// What is wrong.
    pub problem: String,
}

/// A parsed template, ready to render many events. It keeps its source,
/// which is what is stored and shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    source: String,
    target: RequestPart,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Text(std::ops::Range<usize>),
    Tag(Tag),
}

#[derive(Clone, Debug, PartialEq)]
struct Tag {
    /// Byte offset of `{{`.
    at: usize,
    /// Byte length up to and including `}}`.
    len: usize,
    expr: Expr,
    filters: Vec<(Filter, usize)>,
    /// For [`RequestPart::Json`]: whether the tag sits inside a JSON string.
    in_string: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Path(String),
    Literal(String),
}

#[derive(Clone, Debug, PartialEq)]
enum Filter {
    Truncate(usize),
    Default(Value),
    Upper,
    Lower,
    Json,
    Date(String),
}

/// A value on its way through the filters. `raw_json` marks the output of
/// `json`, inserted unquoted in a bare JSON position.
struct Rendered {
    value: Option<Value>,
    raw_json: bool,
}

impl Template {
    /// Parses `source`; for [`RequestPart::Json`] also checks that the text
    /// around the tags is JSON whatever the tags hold.
    pub fn parse(source: &str, target: RequestPart) -> Result<Template, TemplateError> {
        if let Some((offset, _)) = source.char_indices().nth(MAX_TEMPLATE_CHARS) {
            let chars = source.chars().count();
            return Err(position(
                source,
                offset,
                format!("a template may have at most {MAX_TEMPLATE_CHARS} characters (this one has {chars})"),
            ));
        }
        let mut parts = Vec::new();
        let mut tags = 0;
        let mut pos = 0;
        while let Some(found) = source[pos..].find("{{") {
            let at = pos + found;
            if tags == MAX_TAGS {
                return Err(position(source, at, format!("a template may have at most {MAX_TAGS} tags")));
            }
            tags += 1;
            if at > pos {
                parts.push(Part::Text(pos..at));
            }
            let tag = Parser { source, pos: at + 2 }.tag(at)?;
            pos = at + tag.len;
            parts.push(Part::Tag(tag));
        }
        if pos < source.len() {
            parts.push(Part::Text(pos..source.len()));
        }
        let mut template = Template { source: source.to_string(), target, parts };
        if target == RequestPart::Json {
            template.mark_strings();
            template.check_skeleton()?;
        }
        Ok(template)
    }

    /// The text between its tags, as written, each with where it starts in
    /// the source.
    pub fn texts(&self) -> impl Iterator<Item = (usize, &str)> {
        self.parts.iter().filter_map(|part| match part {
            Part::Text(range) => Some((range.start, &self.source[range.clone()])),
            Part::Tag(_) => None,
        })
    }

    /// Parses `source` and renders it for a sample of each of `events`, so a
    /// path one of them lacks, or (for [`RequestPart::Json`]) an output that is
    /// not JSON, is reported now rather than at delivery. A webhook that
    /// sends `batched` renders one batch of those samples instead: every
    /// request it makes, Tests included, carries a batch.
    pub fn check(source: &str, target: RequestPart, events: &[EventKind], batched: bool) -> Result<Template, TemplateError> {
        let template = Template::parse(source, target)?;
        let samples = samples(events, Millis(1_700_000_000_000));
        if batched {
            template.render(Payload::Batch { id: "msg_sample", events: &samples })?;
        } else {
            samples.iter().try_for_each(|event| template.render(event).map(drop))?;
        }
        Ok(template)
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The template filled in from an event or a batch (whose envelope has
    /// `batch` and `count`); for [`RequestPart::Json`], an output that does
    /// not parse as JSON is an error at the tag or text where parsing stopped.
    pub fn render<'a>(&self, payload: impl Into<Payload<'a>>) -> Result<String, TemplateError> {
        let payload = payload.into();
        let envelope = payload.envelope();
        let mut out = String::with_capacity(self.source.len() + 64);
        // Where each part starts in `out`, to place a JSON error in the source.
        let mut starts = Vec::with_capacity(self.parts.len());
        for part in &self.parts {
            starts.push(out.len());
            match part {
                Part::Text(range) => out.push_str(&self.source[range.clone()]),
                Part::Tag(tag) => {
                    let (value, raw_json) = self.evaluate(tag, payload, &envelope)?;
                    self.write(tag, &value, raw_json, &mut out);
                }
            }
        }
        if self.target == RequestPart::Json {
            if let Err(error) = serde_json::from_str::<Value>(&out) {
                let (offset, reason) = json_error(&out, &error);
                let stopped_in = self.parts.iter().zip(starts).take_while(|(_, start)| *start <= offset).last();
                let at = match stopped_in {
                    Some((Part::Text(range), start)) => (range.start + (offset - start)).min(range.end),
                    Some((Part::Tag(tag), _)) => tag.at,
                    None => 0,
                };
                return Err(self.error(at, format!("the rendered body is not JSON: {reason}")));
            }
        }
        Ok(out)
    }

    /// A tag's value after its filters, and whether it is `json` output.
    fn evaluate(&self, tag: &Tag, payload: Payload<'_>, envelope: &Value) -> Result<(Value, bool), TemplateError> {
        let (value, path) = match &tag.expr {
            Expr::Literal(text) => (Some(Value::String(text.clone())), None),
            Expr::Path(path) if path == "sentence" => (Some(Value::String(payload.sentence())), None),
            Expr::Path(path) => (lookup(envelope, path).cloned(), Some(path)),
        };
        let mut rendered = Rendered { value, raw_json: false };
        for (filter, at) in &tag.filters {
            rendered = self.apply(filter, rendered).map_err(|problem| self.error(*at, problem))?;
        }
        match rendered.value {
            Some(value) => Ok((value, rendered.raw_json)),
            None => Err(self.error(
                tag.at,
                format!(
                    "{} is not in the {} event; add | default:\"…\" if it may be missing",
                    path.map_or("the value", String::as_str),
                    payload.name()
                ),
            )),
        }
    }

    fn apply(&self, filter: &Filter, input: Rendered) -> Result<Rendered, String> {
        let text = |value: &Option<Value>| value.as_ref().map(text_of);
        let string = |value: Option<String>| Rendered { value: value.map(Value::String), raw_json: false };
        Ok(match filter {
            Filter::Default(fallback) => match &input.value {
                None | Some(Value::Null) => Rendered { value: Some(fallback.clone()), raw_json: false },
                Some(Value::String(s)) if s.is_empty() => Rendered { value: Some(fallback.clone()), raw_json: false },
                _ => input,
            },
            Filter::Truncate(max) => string(text(&input.value).map(|t| cut(&t, *max))),
            Filter::Upper => string(text(&input.value).map(|t| t.to_uppercase())),
            Filter::Lower => string(text(&input.value).map(|t| t.to_lowercase())),
            Filter::Json => Rendered { value: input.value.map(|v| Value::String(v.to_string())), raw_json: true },
            Filter::Date(format) => match input.value {
                None => string(None),
                Some(value) => {
                    let date = as_date(&value).ok_or_else(|| format!("date: {value} is not an ISO 8601 time or milliseconds"))?;
                    string(Some(strftime::format(date, format)))
                }
            },
        })
    }

    /// Appends a tag's value, escaped for where it lands.
    /// `raw_json` (the output of `json`, whose text is JSON) goes in
    /// unquoted where a JSON value is expected.
    fn write(&self, tag: &Tag, value: &Value, raw_json: bool, out: &mut String) {
        match self.target {
            RequestPart::Json if tag.in_string => {
                let escaped = Value::String(text_of(value)).to_string();
                out.push_str(&escaped[1..escaped.len() - 1]);
            }
            RequestPart::Json if raw_json => out.push_str(&text_of(value)),
            RequestPart::Json => out.push_str(&value.to_string()),
            RequestPart::Header => out.extend(text_of(value).chars().map(|c| match c {
                '\r' | '\n' | '\0' => ' ',
                // fetch refuses a header value beyond Latin-1 outright.
                c if u32::from(c) > 0xFF => '?',
                c => c,
            })),
            RequestPart::Query => out.extend(url::form_urlencoded::byte_serialize(text_of(value).as_bytes())),
        }
    }

    /// Decides, for each tag, whether it sits inside a JSON string.
    fn mark_strings(&mut self) {
        let (mut in_string, mut escaped) = (false, false);
        for part in &mut self.parts {
            match part {
                Part::Text(range) => {
                    for c in self.source[range.clone()].chars() {
                        match c {
                            _ if escaped => escaped = false,
                            '\\' if in_string => escaped = true,
                            '"' => in_string = !in_string,
                            _ => {}
                        }
                    }
                }
                Part::Tag(tag) => tag.in_string = in_string,
            }
        }
    }

    /// Parses the template with each tag replaced by a stand-in of the
    /// same byte length, so a JSON error's position is the template's.
    /// The stand-ins are chosen so that text accepted around them is
    /// accepted around any value: in a string, `x`s (neither a valid escape
    /// nor a hex digit, so `"\{{a}}"` and `"\u{{a}}"` fail); elsewhere
    /// `null` and spaces (a whole value that no digit, sign or dot before
    /// it can join, so `-{{a}}` and `1{{a}}` fail). A tag is at least 5
    /// bytes (`{{a}}`), so `null` always fits.
    fn check_skeleton(&self) -> Result<(), TemplateError> {
        let mut skeleton = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(range) => skeleton.push_str(&self.source[range.clone()]),
                Part::Tag(tag) if tag.in_string => skeleton.extend(std::iter::repeat_n('x', tag.len)),
                Part::Tag(tag) => {
                    skeleton.push_str("null");
                    skeleton.extend(std::iter::repeat_n(' ', tag.len.saturating_sub(4)));
                }
            }
        }
        let Err(error) = serde_json::from_str::<Value>(&skeleton) else { return Ok(()) };
        let (offset, reason) = json_error(&skeleton, &error);
        // Within a stand-in, the tag is what does not fit.
        let at = self.parts.iter().find_map(|part| match part {
            Part::Tag(tag) if (tag.at..tag.at + tag.len).contains(&offset) => Some(tag.at),
            _ => None,
        });
        Err(self.error(at.unwrap_or(offset), format!("the template is not JSON: {reason}")))
    }

    fn error(&self, offset: usize, problem: String) -> TemplateError {
        position(&self.source, offset, problem)
    }
}

/// Where a JSON parse of `text` stopped, as a byte offset, and why, without
/// serde_json's " at line … column …" (the caller gives its own position).
fn json_error(text: &str, error: &serde_json::Error) -> (usize, String) {
    let line_start: usize = text.split_inclusive('\n').take(error.line().saturating_sub(1)).map(str::len).sum();
    let reason = error.to_string();
    let reason = reason.split(" at line ").next().unwrap_or(&reason).to_string();
    (line_start + error.column().saturating_sub(1), reason)
}

/// A [`TemplateError`] at byte `offset` of `source`, or at the start of the
/// character it falls in (or at the end, if past it).
fn position(source: &str, offset: usize, problem: String) -> TemplateError {
    let offset = (0..=offset.min(source.len())).rev().find(|&i| source.is_char_boundary(i)).unwrap_or(0);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    TemplateError { line, column, problem }
}

/// The value at a dotted path; array items by index (`data.items.0`).
fn lookup<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(root, |value, segment| match value {
        Value::Object(map) => map.get(segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A value as text: strings as they are, `null` as nothing, the rest as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An ISO 8601 time or Unix milliseconds.
fn as_date(value: &Value) -> Option<DateTime> {
    match value {
        Value::String(s) => parse::rfc3339(s),
        Value::Number(n) => DateTime::from_millis(n.as_i64()?),
        _ => None,
    }
}

/// Reads one tag, starting after its `{{`.
struct Parser<'a> {
    source: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn tag(mut self, at: usize) -> Result<Tag, TemplateError> {
        let unclosed = |_| position(self.source, at, "this {{ has no closing }}".into());
        if !self.rest().contains("}}") {
            return Err(unclosed(()));
        }
        self.skip_space();
        let expr = match self.peek() {
            Some('"') => Expr::Literal(self.string().map_err(|e| self.fail(e))?),
            Some(c) if is_path_char(c) => Expr::Path(self.path()?),
            Some('}') if self.rest().starts_with("}}") => return Err(self.fail("empty tag: write a path such as data.message".into())),
            None => return Err(unclosed(())),
            Some(c) => return Err(self.fail(format!("expected a path such as data.message, found {c:?}"))),
        };
        let mut filters = Vec::new();
        loop {
            self.skip_space();
            if self.rest().starts_with("}}") {
                self.pos += 2;
                return Ok(Tag { at, len: self.pos - at, expr, filters, in_string: false });
            }
            match self.peek() {
                None => return Err(unclosed(())),
                Some('|') => self.pos += 1,
                Some(c) => return Err(self.fail(format!("expected | or }}}}, found {c:?}"))),
            }
            self.skip_space();
            let start = self.pos;
            filters.push((self.filter()?, start));
        }
    }

    fn filter(&mut self) -> Result<Filter, TemplateError> {
        let start = self.pos;
        let name = self.take_while(|c| c.is_ascii_alphabetic());
        self.skip_space();
        let arg = if self.peek() == Some(':') {
            self.pos += 1;
            self.skip_space();
            Some(match self.peek() {
                Some('"') => Arg::Text(self.string().map_err(|e| self.fail(e))?),
                Some(c) if c.is_ascii_digit() => Arg::Number(self.take_while(|c| c.is_ascii_digit())),
                _ => return Err(self.fail(format!("{name}: expected a number or a \"quoted\" argument"))),
            })
        } else {
            None
        };
        let fail = |problem: String| position(self.source, start, problem);
        match (name.as_str(), arg) {
            ("truncate", Some(Arg::Number(n))) => match n.parse::<usize>() {
                Ok(n) if n > 0 => Ok(Filter::Truncate(n)),
                _ => Err(fail(format!("truncate: {n} is not a length from 1 up"))),
            },
            ("truncate", _) => Err(fail("truncate needs a length: truncate:100".into())),
            ("default", Some(Arg::Text(text))) => Ok(Filter::Default(Value::String(text))),
            ("default", Some(Arg::Number(n))) => match n.parse::<u64>() {
                Ok(n) => Ok(Filter::Default(Value::from(n))),
                Err(_) => Err(fail(format!("default: {n} is too large a number"))),
            },
            ("default", None) => Err(fail("default needs quoted text or a number: default:\"none\"".into())),
            ("date", Some(Arg::Text(format))) => {
                if !strftime::is_valid(&format) {
                    return Err(fail(format!("date: {format:?} is not a valid strftime format")));
                }
                Ok(Filter::Date(format))
            }
            ("date", _) => Err(fail("date needs a quoted format: date:\"%Y-%m-%d %H:%M\"".into())),
            ("upper", None) => Ok(Filter::Upper),
            ("lower", None) => Ok(Filter::Lower),
            ("json", None) => Ok(Filter::Json),
            ("upper" | "lower" | "json", Some(_)) => Err(fail(format!("{name} takes no argument"))),
            ("", _) => Err(fail("expected a filter name after |".into())),
            _ => Err(fail(format!("unknown filter {name:?}; use truncate, default, upper, lower, json or date"))),
        }
    }

    fn path(&mut self) -> Result<String, TemplateError> {
        let start = self.pos;
        let path = self.take_while(is_path_char);
        if path.split('.').any(str::is_empty) {
            return Err(position(self.source, start, format!("{path:?} is not a path: use names separated by dots")));
        }
        Ok(path)
    }

    /// A `"…"` string with `\"` and `\\` escapes, at its opening quote.
    fn string(&mut self) -> Result<String, String> {
        let mut text = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(text);
                }
                '\\' => match chars.next() {
                    Some((_, escaped)) => text.push(escaped),
                    None => break,
                },
                other => text.push(other),
            }
        }
        Err("this quoted text has no closing \"".into())
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let taken: String = self.rest().chars().take_while(|&c| keep(c)).collect();
        self.pos += taken.len();
        taken
    }

    fn skip_space(&mut self) {
        self.take_while(|c| c == ' ' || c == '\t');
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn rest(&self) -> &str {
        &self.source[self.pos..]
    }

    fn fail(&self, problem: String) -> TemplateError {
        position(self.source, self.pos, problem)
    }
}

enum Arg {
    Text(String),
    Number(String),
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// The URL's query as a template, if it has tags. The URL parser
/// percent-encodes spaces and quotes typed inside tags; they are decoded
/// there (and only there) so the template reads as it was written.
pub fn query_template(url: &Url) -> Option<String> {
    let query = url.query().filter(|q| q.contains("{{"))?;
    let mut source = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(start) = rest.find("{{") {
        source.push_str(&rest[..start]);
        let end = rest[start..].find("}}").map_or(rest.len(), |end| start + end + 2);
        source.push_str(&percent_decode_str(&rest[start..end]).decode_utf8_lossy());
        rest = &rest[end..];
    }
    source.push_str(rest);
    Some(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use serde_json::json;

    fn event(data: Value) -> Event {
        Event::new("msg_1".into(), EventKind::MessageSent, Millis(1_649_367_553_042), data)
    }

    fn render(source: &str, data: Value) -> Result<String, TemplateError> {
        Template::parse(source, RequestPart::Json)?.render(&event(data))
    }

    fn json_of(source: &str, data: Value) -> Value {
        let text = render(source, data).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text} is not JSON: {e}"))
    }

    fn problem(source: &str, target: RequestPart) -> TemplateError {
        Template::parse(source, target).unwrap_err()
    }

    #[test]
    fn fills_in_envelope_paths_and_the_sentence() {
        let body = json_of(
            r#"{"e": "{{event}}", "at": "{{ timestamp }}", "id": "{{id}}", "m": "{{data.message}}", "s": "{{sentence}}", "x": "{{data.items.1}}"}"#,
            json!({"message": "hi", "messagesSentToday": 2, "totalMessagesSent": 9, "items": ["a", "b"]}),
        );
        assert_eq!(
            body,
            json!({"e": "message_sent", "at": "2022-04-07T21:39:13.042Z", "id": "msg_1", "m": "hi",
                   "s": "Message sent: “hi” (2 today, 9 in total)", "x": "b"})
        );
    }

    #[test]
    fn inserted_text_is_escaped_so_the_body_stays_json() {
        let hostile = "say \"hi\"\n\tthen \\ </script> ünï 🎉 \u{1}";
        let body = json_of(r#"{"text": "Got: {{data.message}}!"}"#, json!({"message": hostile}));
        assert_eq!(body["text"], format!("Got: {hostile}!"));
    }

    #[test]
    fn bare_tags_keep_json_types_and_json_embeds_raw_json() {
        let data = json!({"n": 3, "ok": true, "nested": {"a": [1, "two"]}, "s": "x\"y"});
        let body = json_of(
            r#"{"n": {{data.n}}, "ok": {{data.ok}}, "nested": {{data.nested | json}}, "s": {{data.s}}, "d": {{data}}, "inside": "{{data.nested | json}}", "quoted": "{{data.s | json}}"}"#,
            data.clone(),
        );
        assert_eq!(body["n"], 3);
        assert_eq!(body["ok"], true);
        assert_eq!(body["nested"], data["nested"]);
        assert_eq!(body["s"], "x\"y");
        assert_eq!(body["d"], data);
        assert_eq!(body["inside"], r#"{"a":[1,"two"]}"#);
        assert_eq!(body["quoted"], r#""x\"y""#);
    }

    #[test]
    fn filters_transform_in_order() {
        let data = json!({"message": "Hello World", "empty": "", "nothing": null, "n": 1234, "ms": 0});
        let body = json_of(
            r#"{"t": "{{data.message | truncate:5}}", "u": "{{data.message | upper}}", "l": "{{ data.message|lower }}",
                "missing": "{{data.nope | default:"none"}}", "empty": "{{data.empty | default:"-"}}", "null": {{data.nothing | default:"n/a"}},
                "kept": "{{data.message | default:"x"}}", "num": "{{data.n | truncate:3}}",
                "day": "{{timestamp | date:"%Y-%m-%d %H:%M"}}", "epoch": "{{data.ms | date:"%d/%m/%Y"}}",
                "chain": "{{data.nope | default:"abcdef" | upper | truncate:4}}", "lit": "{{"{{"}}x{{"}}"}}"}"#,
            data,
        );
        assert_eq!(body["t"], "Hell…");
        assert_eq!(body["u"], "HELLO WORLD");
        assert_eq!(body["l"], "hello world");
        assert_eq!(body["missing"], "none");
        assert_eq!(body["empty"], "-");
        assert_eq!(body["null"], "n/a");
        assert_eq!(body["kept"], "Hello World");
        assert_eq!(body["num"], "12…");
        assert_eq!(body["day"], "2022-04-07 21:39");
        assert_eq!(body["epoch"], "01/01/1970");
        assert_eq!(body["chain"], "ABC…");
        assert_eq!(body["lit"], "{{x}}");
    }

    #[test]
    fn a_missing_path_without_default_names_the_path_the_event_and_the_position() {
        let error = render("{\n  \"m\": \"{{data.message}}\"\n}", json!({})).unwrap_err();
        assert_eq!((error.line, error.column), (2, 9));
        assert!(error.problem.contains("data.message is not in the message_sent event"), "{}", error.problem);
        assert!(error.problem.contains("default"), "{}", error.problem);
    }

    #[test]
    fn bad_tags_are_errors_at_their_position() {
        let cases: [(&str, usize, &str); 12] = [
            (r#"{"a": "{{data.message"}"#, 8, "has no closing }}"),
            (r#"{"a": "{{data.message | shout}}"}"#, 25, "unknown filter \"shout\""),
            (r#"{"a": "{{data.message | truncate}}"}"#, 25, "truncate needs a length"),
            (r#"{"a": "{{data.message | truncate:0}}"}"#, 25, "not a length"),
            (r#"{"a": "{{data.message | default:none}}"}"#, 33, "expected a number or a \"quoted\" argument"),
            (r#"{"a": "{{data.message | upper:1}}"}"#, 25, "upper takes no argument"),
            (r#"{"a": "{{timestamp | date:"%Q"}}"}"#, 22, "not a valid strftime format"),
            (r#"{"a": "{{ }}"}"#, 11, "empty tag"),
            (r#"{"a": "{{data..x}}"}"#, 10, "is not a path"),
            (r#"{"a": "{{data.message data}}"}"#, 23, "expected | or }}"),
            (r#"{"a": {{"abc}}"#, 9, "has no closing \""),
            (r#"{"a": "{{data.x | }}"}"#, 19, "expected a filter name"),
        ];
        for (source, column, problem) in cases {
            let error = self::problem(source, RequestPart::Json);
            assert_eq!((error.line, error.column), (1, column), "{source}: {error}");
            assert!(error.problem.contains(problem), "{source}: {error}");
        }
    }

    #[test]
    fn a_template_that_is_not_json_is_refused_where_it_breaks() {
        let error = problem("{\n  \"a\": {{data.n}}\n  \"b\": 1\n}", RequestPart::Json);
        assert_eq!((error.line, error.column), (3, 3), "{error}");
        assert!(error.problem.starts_with("the template is not JSON: expected"), "{error}");
        let error = problem(r#"{"a": {{data.n}}{{data.m}}}"#, RequestPart::Json);
        assert_eq!((error.line, error.column), (1, 17), "{error}");
        let error = problem(r#"{ {{event}}: 1 }"#, RequestPart::Json);
        assert_eq!(error.column, 3, "{error}");
        assert!(problem("", RequestPart::Json).problem.contains("not JSON"));
    }

    #[test]
    fn text_that_a_value_would_break_is_refused_at_the_tag() {
        let cases = [
            (r#"{"a": "\u{{event}}"}"#, 10, "invalid escape"),
            (r#"{"a": "\u00{{event}}"}"#, 12, "invalid escape"),
            (r#"{"a": "\{{event}}"}"#, 9, "invalid escape"),
            (r#"{"a": -{{event | json}}}"#, 8, "invalid number"),
            (r#"{"a": 1{{data.n}}}"#, 8, "expected `,` or `}`"),
            (r#"{"a": 1.{{data.n}}}"#, 9, "invalid number"),
        ];
        for (source, column, reason) in cases {
            let error = problem(source, RequestPart::Json);
            assert_eq!((error.line, error.column), (1, column), "{source}: {error}");
            assert_eq!(error.problem, format!("the template is not JSON: {reason}"), "{source}");
        }
    }

    #[test]
    fn a_rendered_body_that_is_not_json_is_an_error_not_a_request() {
        // Event data is at most as deep as a parser accepts, but a template
        // nests it deeper; such a body fails at the tag instead of going out.
        let deep = (0..127).fold(json!(1), |inner, _| json!([inner]));
        let error = render(r#"{"a": {"b": {{data | json}}}}"#, deep.clone()).unwrap_err();
        assert_eq!((error.line, error.column), (1, 13), "{error}");
        assert_eq!(error.problem, "the rendered body is not JSON: recursion limit exceeded");
        assert!(render(r#"{"a": "{{data | json}}"}"#, deep).is_ok(), "inside a string it is text");
    }

    #[test]
    fn templates_over_the_size_limits_are_refused_where_the_limit_is_passed() {
        let long = format!("\"{}\"", "é".repeat(MAX_TEMPLATE_CHARS));
        let error = problem(&long, RequestPart::Header);
        assert_eq!((error.line, error.column), (1, MAX_TEMPLATE_CHARS + 1));
        assert_eq!(error.problem, "a template may have at most 16384 characters (this one has 16386)");
        let many = format!("[{}]", vec!["{{event}}"; MAX_TAGS + 1].join(","));
        let error = problem(&many, RequestPart::Json);
        assert_eq!((error.column, error.problem.as_str()), (2 + MAX_TAGS * 10, "a template may have at most 256 tags"));
        assert!(Template::parse(&format!("[{}]", vec!["{{event}}"; MAX_TAGS].join(",")), RequestPart::Json).is_ok());
    }

    #[test]
    fn header_values_lose_line_breaks_and_queries_are_percent_encoded() {
        let data = json!({"message": "a\r\nInjected: 1 & b=c"});
        let header = Template::parse("Msg {{data.message}}", RequestPart::Header).unwrap().render(&event(data.clone())).unwrap();
        assert_eq!(header, "Msg a  Injected: 1 & b=c");
        let latin = Template::parse("{{data.message | truncate:6}}", RequestPart::Header)
            .unwrap()
            .render(&event(json!({"message": "ünï 🎉 !"})))
            .unwrap();
        assert_eq!(latin, "ünï ??");
        let query = Template::parse("text={{data.message}}&e={{event}}", RequestPart::Query).unwrap().render(&event(data)).unwrap();
        assert_eq!(query, "text=a%0D%0AInjected%3A+1+%26+b%3Dc&e=message_sent");
    }

    #[test]
    fn query_templates_are_read_back_as_typed() {
        let url = Url::parse(r#"https://h.test/in?to=ops&text={{ data.message | default:"a b" }}#top"#).unwrap();
        assert_eq!(query_template(&url).as_deref(), Some(r#"to=ops&text={{ data.message | default:"a b" }}"#));
        assert_eq!(query_template(&Url::parse("https://h.test/in?a=b%20c").unwrap()), None);
    }

    #[test]
    fn check_renders_a_sample_of_every_event() {
        let source = r#"{"m": "{{data.message}}"}"#;
        assert!(Template::check(source, RequestPart::Json, &[EventKind::MessageSent, EventKind::Test], false).is_ok());
        let error = Template::check(source, RequestPart::Json, &[EventKind::MessageSent, EventKind::CampaignStarted], false).unwrap_err();
        assert!(error.problem.contains("campaign_started"), "{error}");
    }

    #[test]
    fn the_manual_example_renders_for_every_event() {
        let manual = crate::manual::text();
        let section = &manual[manual.find("**Templates**").unwrap()..];
        let start = section.find("```json\n").unwrap() + 8;
        let example = &section[start..start + section[start..].find("```").unwrap()];
        Template::check(example, RequestPart::Json, &EventKind::ALL, false).unwrap();
    }

    #[test]
    fn a_batched_webhook_template_sees_batch_and_count_and_is_checked_against_a_sample_batch() {
        let source = r#"{"n": {{count}}, "first": "{{batch.0.event}}", "all": {{batch | json}}, "s": "{{sentence}}"}"#;
        let template = Template::check(source, RequestPart::Json, &[EventKind::MessageSent, EventKind::Test], true).unwrap();
        let events = samples(&[EventKind::Error, EventKind::Milestone], Millis(0));
        let body: Value = serde_json::from_str(&template.render(Payload::Batch { id: "msg_b", events: &events }).unwrap()).unwrap();
        assert_eq!((body["n"].as_u64(), body["first"].as_str()), (Some(2), Some("error")));
        assert_eq!(body["all"][1], events[1].envelope());
        assert!(body["s"].as_str().unwrap().starts_with("2 events\n• Error: "), "{body}");
        let error = Template::check(r#"{"m": "{{data.message}}"}"#, RequestPart::Json, &[EventKind::MessageSent], true).unwrap_err();
        assert!(error.problem.contains("data.message is not in the batch event"), "{error}");
        let error = Template::check(source, RequestPart::Json, &[EventKind::MessageSent], false).unwrap_err();
        assert!(error.problem.contains("count is not in the message_sent event"), "{error}");
    }
}
