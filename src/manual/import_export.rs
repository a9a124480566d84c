//! # Import and export
//!
//! What [`settings.export`](crate::api::Request::SettingsExport) writes and
//! [`settings.import`](crate::api::Request::SettingsImport) reads.
//!
//! `settings.export` (the settings page's *Export*) writes a file,
//! `autohook-settings-YYYY-MM-DD.json`:
//!
//! ```json
//! {"format": "autohook-export", "version": 1, "exportedAt": "2026-11-23T08:00:00.000Z",
//!  "webhooks": [{"id": "wh_…", "name": "…", "url": "…", "secret": {"encrypted": true},
//!                "headers": [["Authorization", {"encrypted": true}], ["X-Team", "blue"]], …}],
//!  "campaign": {"phrases": […], "order": "random", "intervalMinSeconds": 30, …, "schedule": null},
//!  "settings": {"enabled": true, "notifications": {"failing": true, …}},
//!  "secrets": {"kdf": "pbkdf2-sha256", "iterations": 600000, "salt": "…", "cipher": "aes-256-gcm",
//!              "nonce": "…", "ciphertext": "…"}}
//! ```
//!
//! - A webhook is its id and its stored settings as they serialize, so a new
//!   webhook field travels with no change to the export. The campaign is its
//!   settings (phrases, order, intervals, daily limit, send mode, text in
//!   payloads, schedule), not its state, counters, tab or selectors; the
//!   switches are the global one and the notifications'. Previous secrets of a
//!   rotation are not exported (they expire within a week).
//! - Credentials never appear in clear: the signing secret and every secret
//!   header value (the log's rule: [`delivery`](super::delivery)) are replaced by `{"omitted": true}`, or, with `includeSecrets`, by
//!   `{"encrypted": true}` and carried in `secrets`: one AES-256-GCM
//!   ciphertext (RustCrypto's `aes-gcm`) under a key from PBKDF2-HMAC-SHA256
//!   (`pbkdf2`) with 600,000 iterations, OWASP's recommendation for it, a
//!   random 16-byte salt and 12-byte nonce per export. PBKDF2 rather than
//!   Argon2id: it needs no memory to speak of in the worker and builds from
//!   the SHA-256 already in the module. The rest of the file (compact JSON,
//!   keys sorted, so reordering or re-indenting is harmless) is the
//!   ciphertext's associated data, so any change to it (a webhook
//!   pointed at another URL to collect its `Authorization` header, say) fails
//!   as a wrong passphrase does. A file's iterations may be 600,000 to
//!   1,000,000; one asking for more is refused before any work. The derivation runs in the background's Wasm module and
//!   holds it for its duration, once per export and once per import (and
//!   dry run) of a file with secrets: 1.3 s for `settings.export` as the page
//!   sees it in headless Chromium 156 on a 2-core machine under load
//!   (`tests/e2e/transfer.test.mjs` prints it); deliveries wait that long.
//! - `settings.import` reads the file (its text at most 32 MiB, above the
//!   largest export possible), refuses one whose `format` is not
//!   `autohook-export` and one from a later `version` ("update AutoHook to
//!   import it"), decrypts `secrets` when there are any (the passphrase is
//!   required then), and checks every webhook with the rules of
//!   `webhooks.create` and the campaign's with `campaign.configure`; the first
//!   error names the record (`webhooks[3].url: …`, `campaign.intervalMinSeconds:
//!   …`) and nothing changes. A field this build does not know is refused,
//!   not dropped.
//! - Each webhook in the file is matched to one here, first by id (the same
//!   profile), then by the same name and URL (another browser), each at most
//!   once. `merge` updates the matches and creates the rest (with new ids);
//!   `replace` does the same and deletes every webhook the file did not
//!   match. Either way the result has at most 10 webhooks, or nothing
//!   changes. The campaign's settings and the switches are replaced when the
//!   file has them (a file whose campaign has no phrases leaves the phrases).
//! - A file exported without secrets still imports: a matched webhook keeps
//!   its own secret and credential header values (a header is matched by
//!   name); a webhook with nothing to take them from is imported turned off,
//!   without them, with the reason "imported without its secret or a
//!   credential header" (listed in `withoutSecrets`), so it never sends
//!   unsigned or without its credentials by surprise. A matched webhook
//!   keeps them only when the record changes nothing that decides where they
//!   go or what they authorise: the URL, the method, the preset, the chat id,
//!   the template, the header names and their *Secret* switches, and `actOnReplies`. A record that changes
//!   any of these is imported without them, turned off, and the review lists
//!   per webhook each change and the credentials to enter again
//!   (`credentialsDropped`); if its URL was left out (below), the import is
//!   refused naming the change, as that URL is a credential too.
//! - A URL that holds a credential (any literal query value, a token-like path
//!   segment, a Slack or Discord webhook path, a Telegram bot token, a Zapier
//!   or IFTTT key: the log's own rule) is a credential too: `{"omitted": true}` or encrypted. Without
//!   secrets, such a record imports only where its webhook still exists
//!   (matched by id, which keeps its URL); anywhere else the import is
//!   refused, naming the record (`webhooks[1].url: url was left out of the
//!   export …`): export with secrets to move it.
