//! Settings declared once: the [`settings!`] table that webhook settings
//! (`config`) and campaign settings (`campaign::settings`) are both
//! written in, one row per field, in the manner of `event_kinds!`.
//!
//! A row names the field, its wire name, what a caller sends for it, what is
//! stored and its default, how the one becomes the other, how the stored
//! text parses (webhooks only: campaign settings are stored as they are
//! used), its limits, the control the pages show it with and the errors
//! that name it. From the rows follow:
//!
//! - the input struct: every field optional, so missing fields take their
//!   default on create and keep their value on update;
//! - the stored struct, in row order (the order of a stored record's keys),
//!   with `defaults` and `apply` (input onto the stored form);
//! - for webhooks, the parsed struct with `parse` and `to_raw`, and the
//!   view: the stored settings as pages see them, each field as its row's
//!   `shown:` says, in the table's order;
//! - `limits()` and `fields()`, which the catalog serves the pages;
//! - the error type's `setting()`, the field each error of a row names.
//!
//! Rules that span fields (a preset's needs, an interval's maximum above
//! its minimum) are one function each table names, not part of any row.

use serde_json::{json, Value};

/// The control a page shows a setting with. The pages build and read the
/// plain kinds from the catalog alone; `Own` is a control the page writes
/// itself (headers, events, the URL with its masks…), or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// One line of text.
    Text,
    /// One whole number.
    Number,
    /// One whole number the input's arrows change by this much (a timeout
    /// in milliseconds moves by seconds).
    NumberBy(u64),
    /// Whole numbers separated by commas or spaces.
    Numbers,
    /// A checkbox.
    Bool,
    /// One of a few names.
    Choice(&'static [&'static str]),
    /// Text, one entry per line.
    Lines,
    /// The page's own control, or none.
    Own,
}

impl Control {
    /// A field as the catalog describes it: `{name, control}`, and
    /// `choices` for a choice.
    pub fn describe(self, name: &str) -> Value {
        let control = match self {
            Control::Text => "text",
            Control::Number => "number",
            Control::Numbers => "numbers",
            Control::Bool => "bool",
            Control::Choice(choices) => return json!({"name": name, "control": "choice", "choices": choices}),
            Control::NumberBy(step) => return json!({"name": name, "control": "number", "step": step}),
            Control::Lines => "lines",
            Control::Own => "own",
        };
        json!({"name": name, "control": control})
    }
}

/// Declares a settings table; see the module's documentation. A header
/// names the input and stored structs (and, for webhooks, the parsed one,
/// its derived fields and the function that checks the rules across
/// fields and derives them, and the view), the error type, the context
/// `defaults` takes, and optionally a `prepare` step for input, `rules`
/// across fields and `also` input that is not stored. Each row: doc,
/// `field = "wireName" { input: [attrs] Type => how, stored: [attrs] Type
/// = default, [parse: Type = how, store: how, shown: how,] control:
/// Control, [limits: {json},] [errors: [patterns],] }`.
///
/// `how` an input becomes the stored value: `replace`, `map(f)` (`f(input)`),
/// `convert(f)` (`f(input)?`) or `merge(f)` (`f(input, &stored)?`). How the
/// stored value parses: `keep` (a copy), `with(f)` (`f(&stored)?`) or
/// `within((min, max), error)`; how it is stored back: `keep` or `with(f)`.
///
/// How pages are shown the stored value (the view): `stored` (as stored),
/// `with(f)` (`f(&stored)`, which masks what must not leave the
/// background) or `hidden` (left out). `shown:` is required, never
/// defaulted: a row cannot be shown as stored without saying `stored`, so
/// a field that holds a credential is not sent to pages by accident but
/// by a row that says so, which a reviewer reads. The redaction tests
/// (`tests/it/redaction.rs`) hold the URL, headers and secret to that; a
/// new credential field adds its case there.
macro_rules! settings {
    // Webhooks: the table with a parsed form.
    (
        $(#[$input_meta:meta])* input $Input:ident;
        $(#[$stored_meta:meta])* stored $Stored:ident;
        $(#[$valid_meta:meta])* valid $Valid:ident { $($(#[doc = $extra_doc:literal])* $extra:ident: $Extra:ty),* $(,)? } finished by $finish:path;
        $(#[$view_meta:meta])* view $View:ident;
        error $Error:ident;
        defaults($($ctx:ident: $Ctx:ty),*);
        $(prepare $prepare:path;)?
        $(rules $rules:path;)?
        $(also { $($(#[doc = $also_doc:literal])* $also:ident: $Also:ty = $also_wire:literal $({ limits: $also_limits:tt })?),* $(,)? })?
        fields {
            $(
                $(#[doc = $doc:literal])*
                $field:ident = $wire:literal {
                    input: $(#[$input_attr:meta])* $In:ty => $apply:ident $(($($apply_arg:path),*))?,
                    stored: $(#[$stored_attr:meta])* $St:ty = $default:expr,
                    parse: $Va:ty = $parse:ident $(($($parse_arg:expr),*))?,
                    store: $store:ident $(($($store_arg:path),*))?,
                    shown: $shown:ident $(($($shown_arg:path),*))?,
                    control: $control:expr,
                    $(limits: $limits:tt,)?
                    $(errors: [$($err:pat),*],)?
                }
            ),* $(,)?
        }
    ) => {
        settings! {
            $(#[$input_meta])* input $Input;
            $(#[$stored_meta])* stored $Stored;
            error $Error;
            defaults($($ctx: $Ctx),*);
            $(prepare $prepare;)?
            $(rules $rules;)?
            $(also { $($(#[doc = $also_doc])* $also: $Also = $also_wire $({ limits: $also_limits })?),* })?
            fields {
                $(
                    $(#[doc = $doc])*
                    $field = $wire {
                        input: $(#[$input_attr])* $In => $apply $(($($apply_arg),*))?,
                        stored: $(#[$stored_attr])* $St = $default,
                        control: $control,
                        $(limits: $limits,)?
                        $(errors: [$($err),*],)?
                    }
                ),*
            }
        }

        $(#[$valid_meta])*
        pub struct $Valid {
            $($(#[doc = $doc])* pub $field: $Va,)*
            $($(#[doc = $extra_doc])* $extra: $Extra,)*
        }

        impl $Valid {
            /// Parses stored settings, field by field in the table's order
            /// (the first field that does not parse is the error), then the
            /// rules across fields.
            pub fn parse(raw: &$Stored) -> Result<$Valid, $Error> {
                let mut valid = $Valid {
                    $($field: settings!(@parse raw.$field, $parse $(($($parse_arg),*))?),)*
                    $($extra: Default::default(),)*
                };
                $finish(&mut valid)?;
                Ok(valid)
            }

            /// The text these settings were parsed from (as stored).
            pub fn to_raw(&self) -> $Stored {
                $Stored { $($field: settings!(@store self.$field, $store $(($($store_arg),*))?),)* }
            }
        }

        $(#[$view_meta])*
        pub struct $View<'a>(&'a $Stored);

        impl $Stored {
            /// These settings as pages see them.
            pub fn view(&self) -> $View<'_> {
                $View(self)
            }
        }

        impl serde::Serialize for $View<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut view = serializer.serialize_map(None)?;
                $(settings!(@show view, $wire, self.0.$field, $shown $(($($shown_arg),*))?);)*
                view.end()
            }
        }
    };

    // The table without a parsed form (campaigns), and the part both share.
    (
        $(#[$input_meta:meta])* input $Input:ident;
        $(#[$stored_meta:meta])* stored $Stored:ident;
        error $Error:ident;
        defaults($($ctx:ident: $Ctx:ty),*);
        $(prepare $prepare:path;)?
        $(rules $rules:path;)?
        $(also { $($(#[doc = $also_doc:literal])* $also:ident: $Also:ty = $also_wire:literal $({ limits: $also_limits:tt })?),* $(,)? })?
        fields {
            $(
                $(#[doc = $doc:literal])*
                $field:ident = $wire:literal {
                    input: $(#[$input_attr:meta])* $In:ty => $apply:ident $(($($apply_arg:path),*))?,
                    stored: $(#[$stored_attr:meta])* $St:ty = $default:expr,
                    control: $control:expr,
                    $(limits: $limits:tt,)?
                    $(errors: [$($err:pat),*],)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$input_meta])*
        #[derive(Clone, Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $Input {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $(#[$input_attr])* pub $field: Option<$In>,)*
            $($($(#[doc = $also_doc])* #[serde(rename = $also_wire)] pub $also: Option<$Also>,)*)?
        }

        $(#[$stored_meta])*
        pub struct $Stored {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $(#[$stored_attr])* pub $field: $St,)*
        }

        impl $Stored {
            /// Every field at its default.
            pub fn defaults($($ctx: $Ctx),*) -> $Stored {
                $Stored { $($field: $default,)* }
            }

            /// These settings with the fields `input` sets replaced, in the
            /// table's order; `self` is untouched, so a refused change
            /// changes nothing.
            pub fn apply(&self, input: $Input) -> Result<$Stored, $Error> {
                $(let input = $prepare(input)?;)?
                let $Input { $($field,)* .. } = input;
                let mut next = self.clone();
                $(if let Some(value) = $field {
                    next.$field = settings!(@apply value, next.$field, $apply $(($($apply_arg),*))?);
                })*
                $($rules(&next)?;)?
                Ok(next)
            }

            /// Each field's limits, by wire name, as the catalog serves them.
            pub fn limits() -> serde_json::Value {
                let mut limits = serde_json::Map::new();
                $($(limits.insert($wire.into(), serde_json::json!($limits));)?)*
                $($($(limits.insert($also_wire.into(), serde_json::json!($also_limits));)?)*)?
                serde_json::Value::Object(limits)
            }

            /// Each field's wire name and control, in the table's order, as
            /// the catalog serves them: the pages build plain controls from it.
            pub fn fields() -> serde_json::Value {
                serde_json::Value::Array(vec![$($crate::settings::Control::describe($control, $wire),)*])
            }
        }

        impl $Error {
            /// The setting this error is about, where a row of the table
            /// claims it.
            pub(crate) fn setting(&self) -> Option<&'static str> {
                #[allow(unused_imports)]
                use $Error::*;
                match self {
                    $($($($err)|* => Some($wire),)?)*
                    _ => None,
                }
            }
        }
    };

    (@apply $value:ident, $current:expr, replace) => { $value };
    (@apply $value:ident, $current:expr, map($f:path)) => { $f($value) };
    (@apply $value:ident, $current:expr, convert($f:path)) => { $f($value)? };
    (@apply $value:ident, $current:expr, merge($f:path)) => { $f($value, &$current)? };
    (@parse $raw:expr, keep) => { $raw.clone() };
    (@parse $raw:expr, with($f:expr)) => { ($f)(&$raw)? };
    (@parse $raw:expr, within($range:expr, $error:expr)) => {{
        let (min, max) = $range;
        if !(min..=max).contains(&$raw) {
            return Err($error);
        }
        $raw
    }};
    (@store $valid:expr, keep) => { $valid.clone() };
    (@store $valid:expr, with($f:path)) => { $f(&$valid) };
    (@show $view:ident, $wire:literal, $stored:expr, stored) => { $view.serialize_entry($wire, &$stored)?; };
    (@show $view:ident, $wire:literal, $stored:expr, with($f:path)) => { $view.serialize_entry($wire, &$f(&$stored))?; };
    (@show $view:ident, $wire:literal, $stored:expr, hidden) => {};
}

pub(crate) use settings;

/// Test support: each limit of a table's `limits()` is written in its row's
/// doc, which rustdoc shows on the input struct, so the reference cannot
/// say another number than the check enforces. `source` is the table's file.
#[cfg(test)]
pub(crate) fn assert_limits_documented(limits: &Value, source: &str) {
    fn numbers(value: &Value, into: &mut Vec<u64>) {
        match value {
            Value::Number(n) => into.extend(n.as_u64()),
            Value::Object(fields) => fields.values().for_each(|v| numbers(v, into)),
            _ => {}
        }
    }
    let lines: Vec<&str> = source.lines().collect();
    for (wire, limit) in limits.as_object().expect("limits are an object") {
        let row = lines.iter().position(|line| line.contains(&format!("= \"{wire}\""))).unwrap_or_else(|| panic!("no row for {wire}"));
        let doc: Vec<&str> =
            lines[..row].iter().rev().take_while(|line| line.trim_start().starts_with("///")).map(|line| line.trim_start()).collect();
        let written: Vec<u64> = doc.concat().split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
        let mut enforced = Vec::new();
        numbers(limit, &mut enforced);
        for number in enforced {
            assert!(written.contains(&number), "{wire}: its doc does not say {number}: {doc:?}");
        }
    }
}
