//! # Templates
//!
//! A template is parsed and checked once, on save, into a
//! [`Template`](crate::Template).
//!
//! **Templates** (`preset: "custom"` with `template`, header values, and the
//! URL's query): text with tags `{{ expression | filter | filter:arg }}`. The
//! expression is a path into the envelope (`event`, `timestamp`, `id`,
//! `data.message`, `data.stats.totalMessagesSent`, `data.items.0`), `sentence`
//! (the presets' sentence), or `"quoted text"` (`{{"{{"}}` writes `{{`). Filters:
//! `truncate:N` (at most N characters, ending in "…"), `default:"text"` or
//! `default:0` (when the value is missing, `null` or empty), `upper`, `lower`,
//! `json` (the value as JSON text; unquoted in a bare JSON position), and
//! `date:"%Y-%m-%d %H:%M"` (strftime, UTC; from ISO 8601 or milliseconds).
//!
//! ```json
//! {
//!   "text": "{{sentence}}",
//!   "today": {{data.messagesSentToday | default:0}},
//!   "who": "{{data.message | truncate:80 | default:"(no message)"}}",
//!   "day": "{{timestamp | date:"%A %d %B"}}",
//!   "raw": {{data | json}}
//! }
//! ```
//!
//! Values are escaped for where they land, so a template that is JSON around
//! its tags always renders JSON: inside a string a value is escaped text
//! (quotes, newlines, `</script>`, emoji); in a bare position it is inserted as
//! JSON, so numbers stay numbers. Quotes inside a tag belong to the tag and
//! need no escaping. Header values (`{"X-Event": "{{event |
//! upper}}"}`) lose line breaks, and characters beyond Latin-1 become `?`
//! (fetch refuses them). In the URL's query values are percent-encoded; for
//! GET, a query with tags is sent *instead of* the envelope fields
//! (`https://example.com/in?text={{sentence}}&n={{data.value | default:0}}`),
//! and it is what the signature covers.
//!
//! A template is checked when saved by rendering a sample of every event the
//! webhook subscribes to, plus `test`: an unclosed tag, an unknown filter, text
//! around the tags that is not JSON, or a path one of those events lacks
//! (`data.message` for `campaign_started`) is refused on `template`, `headers`
//! or `url` with its line and column: `template: line 1, column 11:
//! data.message is not in the campaign_started event; add | default:"…" if it
//! may be missing`. An emitted event that still lacks a field fails that
//! delivery once, unsent, with the same kind of reason in the log.
//!
//! Signatures always cover the exact bytes sent.
