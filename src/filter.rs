//! Conditional triggers: a webhook delivers an event only when conditions
//! on its envelope hold — all of them, or any one.
//!
//! A condition is `path operator value`:
//! - `path`: a field of the envelope, e.g. `event`, `data.messagesSentToday`;
//! - `operator`: `==`, `!=`, `>`, `>=`, `<`, `<=`, `contains`, `in`;
//! - `value`: a number, `"a string"`, a bare word, `true`, `false`, `null`,
//!   or for `in` a list `[error, daily_limit_reached]`.
//!
//! Examples: `data.messagesSentToday >= 100`, `data.error contains "button"`,
//! `event in [error, daily_limit_reached]`.
//!
//! Limits, so a filter costs little on every event and any text, however
//! long or strange, parses to a filter or to an error with a column:
//! at most [`MAX_CONDITIONS`] conditions of [`MAX_CONDITION_CHARS`]
//! characters each, and lists do not nest (`[a, [b]]` is refused).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

/// Most conditions in one webhook's filter: each is parsed and checked
/// against every event the webhook gets.
pub const MAX_CONDITIONS: usize = 20;
/// Longest condition, in characters: room for a path, an operator and a
/// list of a few dozen values.
pub const MAX_CONDITION_CHARS: usize = 500;

/// Whether every condition must hold, or one is enough.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// All conditions.
    #[default]
    All,
    /// At least one condition.
    Any,
}

/// A webhook's filter: the conditions as the user wrote them, and as parsed
/// from that text once. Valid by construction ([`Filters::parse`] is the
/// only way to make one); serialized as the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Filters {
    /// All or any.
    #[serde(rename = "match")]
    pub mode: Match,
    /// The conditions' text.
    pub conditions: Vec<String>,
    /// `conditions`, parsed, in the same order.
    #[serde(skip)]
    parsed: Vec<Condition>,
}

/// Why a condition does not parse: which one, where, and what is wrong.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("condition {number}, column {column}: {problem}")]
pub struct FilterError {
    /// 1-based index of the condition.
    pub number: usize,
    /// 1-based column in it, counted in characters.
    pub column: usize,
    /// What is wrong.
    pub problem: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Contains,
    In,
}

const OPERATORS: [(&str, Op); 8] = [
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("==", Op::Eq),
    ("!=", Op::Ne),
    (">", Op::Gt),
    ("<", Op::Lt),
    ("contains", Op::Contains),
    ("in", Op::In),
];

#[derive(Clone, Debug, PartialEq)]
struct Condition {
    path: Vec<String>,
    op: Op,
    value: Value,
}

impl Filters {
    /// Validates the conditions; `None` when there are none. Blank
    /// conditions are dropped before they are counted.
    pub fn parse(mode: Match, conditions: Vec<String>) -> Result<Option<Filters>, FilterError> {
        let conditions: Vec<String> = conditions.into_iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
        if conditions.len() > MAX_CONDITIONS {
            return Err(FilterError {
                number: MAX_CONDITIONS + 1,
                column: 1,
                problem: format!("a filter may have at most {MAX_CONDITIONS} conditions (this one has {})", conditions.len()),
            });
        }
        let parsed = conditions
            .iter()
            .enumerate()
            .map(|(index, text)| parse_condition(text).map_err(|(column, problem)| FilterError { number: index + 1, column, problem }))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((!conditions.is_empty()).then_some(Filters { mode, conditions, parsed }))
    }

    /// `None` when `envelope` passes; else why it was skipped.
    pub fn rejects(&self, envelope: &Value) -> Option<String> {
        let mut conditions = self.conditions.iter().zip(&self.parsed);
        match self.mode {
            Match::All => conditions.find(|(_, condition)| !condition.holds(envelope)).map(|(text, _)| format!("{text} does not hold")),
            Match::Any => (!conditions.any(|(_, condition)| condition.holds(envelope))).then(|| "none of the conditions holds".to_string()),
        }
    }
}

impl Condition {
    fn holds(&self, envelope: &Value) -> bool {
        let actual = self.path.iter().try_fold(envelope, |value, key| value.get(key)).unwrap_or(&Value::Null);
        let number = |v: &Value| v.as_f64();
        match self.op {
            Op::Eq => same(actual, &self.value),
            Op::Ne => !same(actual, &self.value),
            Op::Gt | Op::Ge | Op::Lt | Op::Le => match (number(actual), number(&self.value)) {
                (Some(a), Some(b)) => match self.op {
                    Op::Gt => a > b,
                    Op::Ge => a >= b,
                    Op::Lt => a < b,
                    _ => a <= b,
                },
                _ => false,
            },
            Op::Contains => match (actual, &self.value) {
                (Value::String(text), Value::String(part)) => text.contains(part.as_str()),
                (Value::Array(items), wanted) => items.iter().any(|item| same(item, wanted)),
                _ => false,
            },
            Op::In => self.value.as_array().is_some_and(|items| items.iter().any(|item| same(actual, item))),
        }
    }
}

/// Equality where numbers compare by value (`100` equals `100.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// A cursor over one condition's text; errors carry a 1-based column.
///
/// The cursor is the unread suffix itself, only ever advanced by `str`
/// methods (`strip_prefix`, `trim_start`, `split_at` at a found index), so
/// it always starts on a character boundary and no input can make a slice
/// panic.
struct Scanner<'a> {
    text: &'a str,
    rest: &'a str,
}

type Parsed<T> = Result<T, (usize, String)>;

/// Characters people type for an operator, and the operator to write instead.
const LOOKALIKES: [(char, &str); 4] = [('≥', ">="), ('≤', "<="), ('≠', "!="), ('=', "==")];

impl<'a> Scanner<'a> {
    /// 1-based column, in characters, of the cursor.
    fn column(&self) -> usize {
        let read = self.text.len() - self.rest.len();
        self.text.get(..read).map_or(0, |before| before.chars().count()) + 1
    }

    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn error<T>(&self, problem: impl Into<String>) -> Parsed<T> {
        Err((self.column(), problem.into()))
    }

    fn word(&mut self) -> &'a str {
        let len = self.rest.find(|c: char| !(c.is_alphanumeric() || "_.-".contains(c))).unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(len);
        self.rest = rest;
        word
    }

    fn path(&mut self) -> Parsed<Vec<String>> {
        let start = self.rest;
        let word = self.word();
        if word.is_empty() || word.split('.').any(str::is_empty) {
            self.rest = start;
            return self.error("expected a field such as event or data.message");
        }
        Ok(word.split('.').map(String::from).collect())
    }

    fn operator(&mut self) -> Parsed<Op> {
        for (text, op) in OPERATORS {
            let Some(after) = self.rest.strip_prefix(text) else { continue };
            // `in` must not be the start of a word such as `index`.
            let alphabetic = text.starts_with(char::is_alphabetic);
            if !(alphabetic && after.starts_with(char::is_alphanumeric)) {
                self.rest = after;
                return Ok(op);
            }
        }
        let expected = "expected an operator: ==, !=, >, >=, <, <=, contains or in";
        match self.rest.chars().next().and_then(|c| LOOKALIKES.iter().find(|(lookalike, _)| *lookalike == c)) {
            Some((lookalike, instead)) => self.error(format!("{expected} (write {instead} for {lookalike})")),
            None => self.error(expected),
        }
    }

    fn value(&mut self) -> Parsed<Value> {
        self.skip_space();
        match self.rest.strip_prefix('[') {
            Some(rest) => {
                self.rest = rest;
                self.list()
            }
            None => self.scalar(),
        }
    }

    /// A value that is not a list.
    fn scalar(&mut self) -> Parsed<Value> {
        match self.rest.chars().next() {
            None => self.error("expected a value"),
            Some('"') => self.string(),
            Some('[') => self.error("lists cannot be nested: a list holds numbers, words or \"strings\""),
            Some(_) => {
                let word = self.word();
                if word.is_empty() {
                    return self.error("expected a value");
                }
                Ok(match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => word
                        .parse::<f64>()
                        .ok()
                        .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                        .unwrap_or_else(|| Value::String(word.to_string())),
                })
            }
        }
    }

    fn string(&mut self) -> Parsed<Value> {
        // A JSON string: the same escapes everyone already knows.
        let mut stream = serde_json::Deserializer::from_str(self.rest).into_iter::<String>();
        // The stream stops right after the closing quote, a boundary.
        match (stream.next(), self.rest.get(stream.byte_offset()..)) {
            (Some(Ok(text)), Some(rest)) => {
                self.rest = rest;
                Ok(Value::String(text))
            }
            _ => self.error("unterminated or invalid string"),
        }
    }

    /// The items of a list, after its `[`. Items are never lists, so
    /// parsing does not recurse and no depth of `[` can exhaust the stack.
    fn list(&mut self) -> Parsed<Value> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if items.is_empty() {
                if let Some(rest) = self.rest.strip_prefix(']') {
                    self.rest = rest;
                    return Ok(Value::Array(items));
                }
            }
            items.push(self.scalar()?);
            self.skip_space();
            if let Some(rest) = self.rest.strip_prefix(',') {
                self.rest = rest;
            } else if let Some(rest) = self.rest.strip_prefix(']') {
                self.rest = rest;
                return Ok(Value::Array(items));
            } else {
                return self.error("expected , or ] in the list");
            }
        }
    }
}

fn parse_condition(text: &str) -> Parsed<Condition> {
    let chars = text.chars().count();
    if chars > MAX_CONDITION_CHARS {
        return Err((
            MAX_CONDITION_CHARS + 1,
            format!("a condition may have at most {MAX_CONDITION_CHARS} characters (this one has {chars})"),
        ));
    }
    let mut scanner = Scanner { text, rest: text };
    let path = scanner.path()?;
    scanner.skip_space();
    let op = scanner.operator()?;
    scanner.skip_space();
    let value_column = scanner.column();
    let value = scanner.value()?;
    scanner.skip_space();
    if !scanner.rest.is_empty() {
        return scanner.error("unexpected text after the value");
    }
    if op == Op::In && !value.is_array() {
        return Err((value_column, "in needs a list, e.g. [error, milestone]".into()));
    }
    Ok(Condition { path, op, value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope() -> Value {
        json!({"id": "msg_1", "event": "error", "data": {"error": "Failed to find send button", "messagesSentToday": 100, "tags": ["a", "b"]}})
    }

    fn check(mode: Match, conditions: &[&str]) -> Option<String> {
        let filters = Filters::parse(mode, conditions.iter().map(|c| c.to_string()).collect()).unwrap().unwrap();
        filters.rejects(&envelope())
    }

    #[test]
    fn the_documented_examples_hold() {
        assert_eq!(
            check(
                Match::All,
                &["data.messagesSentToday >= 100", "data.error contains \"button\"", "event in [error, daily_limit_reached]"]
            ),
            None
        );
    }

    #[test]
    fn all_names_the_first_condition_that_fails_and_any_needs_one() {
        let failing = ["data.messagesSentToday > 100", "event == error"];
        assert_eq!(check(Match::All, &failing).as_deref(), Some("data.messagesSentToday > 100 does not hold"));
        assert_eq!(check(Match::Any, &failing), None);
        assert_eq!(check(Match::Any, &["event == milestone", "data.missing == 1"]).as_deref(), Some("none of the conditions holds"));
    }

    #[test]
    fn operators_compare_as_documented() {
        for holds in [
            "data.messagesSentToday == 100.0", "data.messagesSentToday != 99", "data.messagesSentToday < 101",
            "data.messagesSentToday <= 100", "data.tags contains a", "id == \"msg_1\"", "data.missing == null",
        ] {
            assert_eq!(check(Match::All, &[holds]), None, "{holds}");
        }
        assert!(check(Match::All, &["event in []"]).is_some(), "an empty list holds nothing");
        assert!(check(Match::All, &["data.error > 3"]).is_some(), "ordering needs numbers");
        assert!(check(Match::All, &["event contains rr"]).is_none());
    }

    #[test]
    fn bad_conditions_say_which_where_and_what() {
        let error = |text: &str| Filters::parse(Match::All, vec!["event == error".into(), text.into()]).unwrap_err();
        assert_eq!(error("data.x >> 3"), FilterError { number: 2, column: 9, problem: "expected a value".into() });
        assert_eq!(error("data..x == 1").column, 1);
        assert_eq!(error("event is error").problem, "expected an operator: ==, !=, >, >=, <, <=, contains or in");
        assert_eq!(error("event == \"open").problem, "unterminated or invalid string");
        assert_eq!(error("event in error").problem, "in needs a list, e.g. [error, milestone]");
        assert_eq!(error("event in [a b]").problem, "expected , or ] in the list");
        assert_eq!(error("event == a b").problem, "unexpected text after the value");
        assert_eq!(error("event ==").problem, "expected a value");
        assert_eq!(error("event contains").to_string(), "condition 2, column 15: expected a value");
    }

    #[test]
    fn any_unicode_gets_an_error_at_its_character_column() {
        let error = |text: &str| Filters::parse(Match::All, vec![text.into()]).unwrap_err();
        let wide = error("data.messagesSentToday ≥ 100");
        assert_eq!(
            (wide.column, wide.problem.as_str()),
            (24, "expected an operator: ==, !=, >, >=, <, <=, contains or in (write >= for ≥)")
        );
        assert_eq!(error("data.x≠1").column, 7);
        assert_eq!(error("é.x == \"🎉").column, 8, "columns count characters, not bytes");
        assert_eq!(error("🎉").column, 1);
        assert_eq!(error("event == é ü").column, 12);
        assert_eq!(error("event in 🎉").problem, "expected a value");
        let not_a_list = error("event in café");
        assert_eq!((not_a_list.column, not_a_list.problem.as_str()), (10, "in needs a list, e.g. [error, milestone]"));
    }

    #[test]
    fn lists_do_not_nest_however_deep_the_brackets_go() {
        let error = |text: &str| Filters::parse(Match::All, vec![text.into()]).unwrap_err();
        let nested = error("event in [a, [b]]");
        assert_eq!((nested.column, nested.problem.as_str()), (14, "lists cannot be nested: a list holds numbers, words or \"strings\""));
        let deep = format!("event == {}", "[".repeat(MAX_CONDITION_CHARS - 9));
        assert_eq!(error(&deep).column, 11);
        assert!(check(Match::All, &["data.tags == [a, b]"]).is_none(), "one level of list still compares");
    }

    #[test]
    fn too_many_or_too_long_conditions_are_refused_with_the_limit() {
        let many = Filters::parse(Match::All, vec!["event == error".into(); MAX_CONDITIONS + 1]).unwrap_err();
        assert_eq!(many.to_string(), "condition 21, column 1: a filter may have at most 20 conditions (this one has 21)");
        assert!(Filters::parse(Match::All, vec!["event == error".into(); MAX_CONDITIONS]).is_ok());
        let long = format!("event == \"{}\"", "é".repeat(MAX_CONDITION_CHARS));
        let error = Filters::parse(Match::All, vec![long]).unwrap_err();
        assert_eq!((error.number, error.column), (1, MAX_CONDITION_CHARS + 1));
        assert_eq!(error.problem, "a condition may have at most 500 characters (this one has 511)");
    }

    #[test]
    fn blank_conditions_mean_no_filter() {
        assert_eq!(Filters::parse(Match::Any, vec![" ".into(), String::new()]), Ok(None));
    }
}
