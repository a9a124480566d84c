//! The manual: how AutoHook works and what it promises, written beside the
//! types it describes so that `cargo doc` fails on a link that no longer
//! leads anywhere. Read it with `cargo doc --no-deps --document-private-items
//! --open` (the modules are private; this is documentation for people
//! working on AutoHook and for anyone writing a receiver).
//!
//! Chapters, in reading order:
//!
//! - [`how_it_works`]: the sans-IO engine, storage, durability, failures.
//! - [`delivery`]: what a receiver gets: headers, the envelope, batches,
//!   GET, signatures and their rotation, retries, limits, the log's masks,
//!   fair shares.
//! - [`message_api`]: how the pages talk to the background: replies, who
//!   may ask what, repeated requests, events and error codes. Each request
//!   is documented on its variant of [`Request`](crate::api::Request).
//! - [`webhooks`]: a webhook's input, its field limits and how replies
//!   show it.
//! - [`filters`], [`presets`] and [`templates`]: which events are sent, and
//!   in what shape.
//! - [`replies`]: acting on a receiver's replies, and why that cannot loop.
//! - [`campaign`]: the campaign's input, how replies show it, the events it
//!   raises and the chat tab it types into.
//! - [`import_export`]: the settings file.
//!
//! The threat model is `.github/SECURITY.md`; building, testing and
//! releasing are in `.github/CONTRIBUTING.md`.

pub mod campaign;
pub mod delivery;
pub mod filters;
pub mod how_it_works;
pub mod import_export;
pub mod message_api;
pub mod presets;
pub mod replies;
pub mod templates;
pub mod webhooks;

/// The manual's text as rustdoc reads it, every chapter in order: the
/// `//!` lines without their marker. Tests that hold the manual to the
/// code (every event kind, preset, error code and limit documented; the
/// template example renders) read it here.
#[cfg(test)]
pub(crate) fn text() -> String {
    [
        include_str!("mod.rs"),
        include_str!("how_it_works.rs"),
        include_str!("delivery.rs"),
        include_str!("message_api.rs"),
        include_str!("webhooks.rs"),
        include_str!("filters.rs"),
        include_str!("presets.rs"),
        include_str!("templates.rs"),
        include_str!("replies.rs"),
        include_str!("campaign.rs"),
        include_str!("import_export.rs"),
    ]
    .iter()
    .flat_map(|source| source.lines())
    .filter_map(|line| line.strip_prefix("//!"))
    .map(|line| line.strip_prefix(' ').unwrap_or(line))
    .collect::<Vec<_>>()
    .join("\n")
}

#[cfg(test)]
mod tests {
    /// The doc of each [`Request`](crate::api::Request) variant is the
    /// message API's reference, and rustdoc does not show serde's names:
    /// each doc starts with the `type` its serde attribute reads.
    #[test]
    fn every_request_documents_its_type_first() {
        let source = include_str!("../api.rs");
        let start = source.find("pub enum Request {").unwrap();
        let lines: Vec<&str> = source[start..source[start..].find("\n}\n").unwrap() + start].lines().collect();
        let mut documented = 0;
        for (at, line) in lines.iter().enumerate() {
            let Some(kind) = line.trim().strip_prefix("#[serde(rename = \"").and_then(|rest| rest.strip_suffix("\")]")) else { continue };
            let first = lines[..at].iter().rev().take_while(|l| l.trim().starts_with("///")).last().map(|l| l.trim());
            assert!(first.is_some_and(|doc| doc.starts_with(&format!("/// `{kind}`: "))), "the doc of {kind} does not start with it");
            documented += 1;
        }
        assert!(documented > 0, "no request found in api.rs");
    }
}
