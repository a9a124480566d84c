//! # Presets
//!
//! Each preset is a row of `presets!` in `src/preset.rs`, a variant of
//! [`Preset`](crate::Preset).
//!
//! **Presets** (`preset`): the body each service accepts, with a sentence per
//! event ("Campaign paused after 25 messages today"); text over a service's
//! limit is cut with "…" between grapheme clusters (an emoji or an accented
//! letter is never split) rather than refused by the service. Service presets
//! need POST, PUT or PATCH.
//!
//! | `preset` | Body | Example webhook input |
//! |---|---|---|
//! | `raw` (default) | the AutoHook envelope | `{"url": "https://example.com/hook"}` |
//! | `slack` | `text` + a `section` block (each ≤ 3000 UTF-16 units, counted after `&`, `<`, `>` are escaped, so event data cannot mention `<!channel>` or a user) | `{"url": "https://hooks.slack.com/services/T…/B…/…", "preset": "slack"}` |
//! | `discord` | `content` (≤ 2000 code points) + one embed (title ≤ 256, description ≤ 4096, ≤ 6000 in all); mentions disabled | `{"url": "https://discord.com/api/webhooks/…/…", "preset": "discord"}` |
//! | `teams` | a `message` with an Adaptive Card attachment (the whole body ≤ 28,000 bytes of UTF-8) | `{"url": "<Workflows “When a Teams webhook request is received” URL>", "preset": "teams"}` |
//! | `telegram` | `chat_id` + `text` (≤ 4096 UTF-16 units) | `{"url": "https://api.telegram.org/bot<token>/sendMessage", "preset": "telegram", "chatId": "-1001234567890"}` |
//! | `ifttt` | `value1` (event), `value2` (sentence), `value3` (data as JSON) | `{"url": "https://maker.ifttt.com/trigger/<event>/with/key/<key>", "preset": "ifttt"}` |
//! | `zapier` | the AutoHook envelope; a catch hook takes up to 10 MB per request | `{"url": "https://hooks.zapier.com/hooks/catch/…", "preset": "zapier"}` |
//! | `make` | the AutoHook envelope; a custom webhook takes up to 5 MB per request | `{"url": "https://hook.eu1.make.com/…", "preset": "make"}` |
//! | `n8n` | the AutoHook envelope; the Webhook node takes up to 16 MB by default (`N8N_PAYLOAD_SIZE_MAX`) and its production URL answers only while the workflow is active | `{"url": "https://n8n.example.com/webhook/…", "preset": "n8n"}` |
//! | `custom` | the webhook's `template`, rendered | `{"url": "https://example.com/hook", "preset": "custom", "template": "{\"text\": \"{{sentence}}\"}"}` |
//!
//! (AutoHook itself sends at most 256 KB, well under any of those limits.)
