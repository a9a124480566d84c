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

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

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

/// A webhook's filter as the user wrote it; valid by construction
/// ([`Filters::parse`] is the only way to make one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// All or any.
    #[serde(rename = "match")]
    pub mode: Match,
    /// The conditions' text.
    pub conditions: Vec<String>,
}

/// Why a condition does not parse: which one, where, and what is wrong.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("condition {number}, column {column}: {problem}")]
pub struct FilterError {
    /// 1-based index of the condition.
    pub number: usize,
    /// 1-based column in it.
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

#[derive(Debug, PartialEq)]
struct Condition {
    path: Vec<String>,
    op: Op,
    value: Value,
}

impl Filters {
    /// Validates the conditions; `None` when there are none.
    pub fn parse(mode: Match, conditions: Vec<String>) -> Result<Option<Filters>, FilterError> {
        let conditions: Vec<String> = conditions.into_iter().map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
        for (index, text) in conditions.iter().enumerate() {
            parse_condition(text).map_err(|(column, problem)| FilterError { number: index + 1, column, problem })?;
        }
        Ok((!conditions.is_empty()).then_some(Filters { mode, conditions }))
    }

    /// `None` when `envelope` passes; else why it was skipped.
    pub fn rejects(&self, envelope: &Value) -> Option<String> {
        let holds = |text: &String| parse_condition(text).is_ok_and(|condition| condition.holds(envelope));
        match self.mode {
            Match::All => self.conditions.iter().find(|text| !holds(text)).map(|text| format!("{text} does not hold")),
            Match::Any => (!self.conditions.iter().any(holds)).then(|| "none of the conditions holds".to_string()),
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
struct Scanner<'a> {
    text: &'a str,
    at: usize,
}

type Parsed<T> = Result<T, (usize, String)>;

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        self.at = self.text.len() - self.rest().trim_start().len();
    }

    fn error<T>(&self, problem: impl Into<String>) -> Parsed<T> {
        Err((self.text[..self.at].chars().count() + 1, problem.into()))
    }

    fn word(&mut self) -> &str {
        let start = self.at;
        let len = self.rest().find(|c: char| !(c.is_alphanumeric() || "_.-".contains(c))).unwrap_or(self.rest().len());
        self.at += len;
        &self.text[start..self.at]
    }

    fn path(&mut self) -> Parsed<Vec<String>> {
        let start = self.at;
        let word = self.word().to_string();
        if word.is_empty() || word.split('.').any(str::is_empty) {
            self.at = start;
            return self.error("expected a field such as event or data.message");
        }
        Ok(word.split('.').map(String::from).collect())
    }

    fn operator(&mut self) -> Parsed<Op> {
        for (text, op) in OPERATORS {
            let alphabetic = text.starts_with(char::is_alphabetic);
            let follows = self.rest()[text.len().min(self.rest().len())..].chars().next();
            if self.rest().starts_with(text) && !(alphabetic && follows.is_some_and(char::is_alphanumeric)) {
                self.at += text.len();
                return Ok(op);
            }
        }
        self.error("expected an operator: ==, !=, >, >=, <, <=, contains or in")
    }

    fn value(&mut self) -> Parsed<Value> {
        self.skip_space();
        match self.rest().chars().next() {
            None => self.error("expected a value"),
            Some('"') => self.string(),
            Some('[') => self.list(),
            Some(_) => {
                let word = self.word();
                if word.is_empty() {
                    return self.error("expected a value");
                }
                Ok(match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => word.parse::<f64>().ok().and_then(|n| serde_json::Number::from_f64(n).map(Value::Number)).unwrap_or_else(|| Value::String(word.to_string())),
                })
            }
        }
    }

    fn string(&mut self) -> Parsed<Value> {
        // A JSON string: the same escapes everyone already knows.
        let mut stream = serde_json::Deserializer::from_str(self.rest()).into_iter::<String>();
        match stream.next() {
            Some(Ok(text)) => {
                self.at += stream.byte_offset();
                Ok(Value::String(text))
            }
            _ => self.error("unterminated or invalid string"),
        }
    }

    fn list(&mut self) -> Parsed<Value> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.rest().starts_with(']') && items.is_empty() {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.skip_space();
            match self.rest().chars().next() {
                Some(',') => self.at += 1,
                Some(']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return self.error("expected , or ] in the list"),
            }
        }
    }
}

fn parse_condition(text: &str) -> Parsed<Condition> {
    let mut scanner = Scanner { text, at: 0 };
    let path = scanner.path()?;
    scanner.skip_space();
    let op = scanner.operator()?;
    let value = scanner.value()?;
    scanner.skip_space();
    if !scanner.rest().is_empty() {
        return scanner.error("unexpected text after the value");
    }
    if op == Op::In && !value.is_array() {
        return Err((text.len() + 1, "in needs a list, e.g. [error, milestone]".into()));
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
        assert_eq!(check(Match::All, &["data.messagesSentToday >= 100", "data.error contains \"button\"", "event in [error, daily_limit_reached]"]), None);
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
        for holds in ["data.messagesSentToday == 100.0", "data.messagesSentToday != 99", "data.messagesSentToday < 101",
            "data.messagesSentToday <= 100", "data.tags contains a", "id == \"msg_1\"", "data.missing == null"] {
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
    fn blank_conditions_mean_no_filter() {
        assert_eq!(Filters::parse(Match::Any, vec![" ".into(), String::new()]), Ok(None));
    }
}
