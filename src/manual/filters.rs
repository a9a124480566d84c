//! # Filters
//!
//! Parsed once, on save, into [`Filters`](crate::Filters).
//!
//! **Filters** (conditional triggers): `{"match": "all" | "any", "conditions":
//! [...]}`; an event is delivered only when all (or any) conditions on its
//! envelope hold, otherwise it is logged as `skipped` with the reason and never
//! sent. A condition is `path operator value`: `path` a field of the envelope
//! (`event`, `data.messagesSentToday`), operators `==`, `!=`, `>`, `>=`, `<`,
//! `<=`, `contains`, `in`, values numbers, `"strings"`, bare words, `true`,
//! `false`, `null`, or lists for `in`:
//!
//! ```js
//! { match: 'any', conditions: ['data.messagesSentToday >= 100', 'data.error contains "button"', 'event in [error, daily_limit_reached]'] }
//! ```
//!
//! A condition that does not parse is refused on the `filters` field with its
//! number and column: `filters: condition 1, column 7: expected an operator: …`.
