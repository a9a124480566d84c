//! Presets: each event rendered into the JSON body a service accepts, with a
//! human sentence per event, so a webhook can point straight at Slack,
//! Discord, Teams, Telegram or IFTTT without middleware. Over-long text is
//! cut with an ellipsis to the service's documented limits, never left for
//! the service to reject: counted in the unit the service counts ([`Unit`]),
//! after escaping, and cut between grapheme clusters.
//!
//! Event data (a phrase, text typed into or read from a chat tab, an error
//! from a tab, the user's own fields) is never turned into a link or a
//! mention: each service gets it in the form that service shows as written
//! ([`Escape`]). Slack: `&`, `<` and `>` as entities, the section `verbatim`
//! and `parse: none`, so neither `<!channel>` nor a bare URL is acted on.
//! Discord: markup characters after a backslash (`https\://…` shows as
//! `https://…`, not as a link) and no mention allowed to ping. Teams: the
//! text in `TextRun`s, which have no markdown. Telegram: no parse mode, and
//! no link previews. AutoHook's own labels (titles, the batch heading) are
//! written as they are.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use unicode_segmentation::UnicodeSegmentation;

pub use crate::event::sentence;
use crate::event::{batch_heading, Event, EventKind, Payload};
use crate::json;

/// Declares [`Preset`] and everything derived from its list. Each row:
/// doc, `Variant = "wire_name"`, `label:` the service's name as the
/// settings page shows it (`None`: a translated name, `preset_<name>` in
/// the locales), `needs:` the webhook fields it requires, `body:` what it
/// sends ([`Body`]), `limits:` the service's documented limits.
macro_rules! presets {
    ($(
        $(#[$meta:meta])*
        $preset:ident = $name:literal {
            label: $label:expr,
            needs: [$($field:literal),*],
            body: $body:expr,
            limits: [$($limit:expr),*] $(,)?
        }
    ),* $(,)?) => {
        /// The body shape a webhook sends.
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        pub enum Preset {
            $($(#[$meta])* #[serde(rename = $name)] $preset,)*
        }

        impl Preset {
            /// Every preset, in the order the settings page lists them.
            pub const ALL: [Preset; [$($name),*].len()] = [$(Preset::$preset),*];

            /// The wire name, e.g. `slack`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Preset::$preset => $name,)*
                }
            }

            /// The service's name (`None`: the settings page translates it).
            pub fn label(self) -> Option<&'static str> {
                match self {
                    $(Preset::$preset => $label,)*
                }
            }

            /// The message-API webhook fields this preset requires.
            pub fn needs(self) -> &'static [&'static str] {
                match self {
                    $(Preset::$preset => &[$($field),*],)*
                }
            }

            /// What this preset sends.
            pub fn body(self) -> Body {
                match self {
                    $(Preset::$preset => $body,)*
                }
            }

            /// The service's documented limits; text is cut to fit them.
            pub fn limits(self) -> &'static [ServiceLimit] {
                match self {
                    $(Preset::$preset => {
                        const LIMITS: &[ServiceLimit] = &[$($limit),*];
                        LIMITS
                    })*
                }
            }
        }
    };
}

presets! {
    /// The AutoHook envelope.
    #[default]
    Raw = "raw" { label: None, needs: [], body: Body::Envelope, limits: [] },
    /// Slack incoming webhook: `text` and `blocks`.
    Slack = "slack" { label: Some("Slack"), needs: [], body: Body::Service(slack), limits: [ServiceLimit::new("text", SLACK_TEXT, &[&["/text"], &["/blocks/0/text/text"]])] },
    /// Discord webhook: `content` and one embed.
    Discord = "discord" {
        label: Some("Discord"), needs: [], body: Body::Service(discord),
        limits: [ServiceLimit::new("content", DISCORD_CONTENT, &[&["/content"]]), ServiceLimit::new("embed title", DISCORD_TITLE, &[&["/embeds/0/title"]]),
                 ServiceLimit::new("embed description", DISCORD_DESCRIPTION, &[&["/embeds/0/description"]]),
                 ServiceLimit::new("embed", Limit { max: DISCORD_EMBED_CHARS, unit: Unit::Chars }, &[&["/embeds/0/title", "/embeds/0/description", "/embeds/0/footer/text"]])],
    },
    /// Microsoft Teams (Workflows): a message with an Adaptive Card.
    Teams = "teams" { label: Some("Microsoft Teams"), needs: [], body: Body::Service(teams), limits: [ServiceLimit::new("request", Limit { max: TEAMS_MAX_BYTES, unit: Unit::Bytes }, WHOLE_BODY)] },
    /// Telegram Bot API `sendMessage`: `chat_id` and `text`.
    Telegram = "telegram" { label: Some("Telegram"), needs: ["chatId"], body: Body::Service(telegram), limits: [ServiceLimit::new("text", TELEGRAM_TEXT, &[&["/text"]])] },
    /// IFTTT Maker: `value1`..`value3`.
    Ifttt = "ifttt" { label: Some("IFTTT"), needs: [], body: Body::Service(ifttt), limits: [] },
    /// Zapier catch hook: the envelope; a catch hook takes up to 10 MB per request.
    Zapier = "zapier" { label: Some("Zapier"), needs: [], body: Body::Envelope, limits: [ServiceLimit::new("request", Limit { max: 10 * MB, unit: Unit::Bytes }, WHOLE_BODY)] },
    /// Make custom webhook: the envelope; up to 5 MB per request.
    Make = "make" { label: Some("Make"), needs: [], body: Body::Envelope, limits: [ServiceLimit::new("request", Limit { max: 5 * MB, unit: Unit::Bytes }, WHOLE_BODY)] },
    /// n8n webhook node: the envelope; up to 16 MB by default (`N8N_PAYLOAD_SIZE_MAX`).
    N8n = "n8n" { label: Some("n8n"), needs: [], body: Body::Envelope, limits: [ServiceLimit::new("request", Limit { max: 16 * MB, unit: Unit::Bytes }, WHOLE_BODY)] },
    /// The webhook's own JSON template (see [`crate::template`]).
    Custom = "custom" { label: None, needs: ["template"], body: Body::Template, limits: [] },
}

/// A megabyte, as the services' documentation counts them.
const MB: usize = 1_000_000;

/// What a preset sends.
#[derive(Clone, Copy, Debug)]
pub enum Body {
    /// The AutoHook envelope as it is.
    Envelope,
    /// The webhook's template, rendered (see [`crate::request::build`]).
    Template,
    /// A service's own shape: from the event (or a batch's digest) and
    /// Telegram's chat id.
    Service(fn(Payload<'_>, Option<&str>) -> Value),
}

/// One documented limit of a service, on one part of what it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceLimit {
    /// The part: `text`, `content`, `request` (the whole request body), ….
    pub field: &'static str,
    /// How much of it the service takes.
    #[serde(flatten)]
    pub limit: Limit,
    /// Where it applies in the body: groups of JSON pointers, each group's
    /// texts counted together (`""`: the whole body as JSON text). What the
    /// tests hold every rendered body to, so a new preset is checked
    /// against the limits it declares without a test of its own.
    #[serde(skip)]
    pub at: &'static [&'static [&'static str]],
}

impl ServiceLimit {
    const fn new(field: &'static str, limit: Limit, at: &'static [&'static [&'static str]]) -> ServiceLimit {
        ServiceLimit { field, limit, at }
    }

    /// Whether `body` keeps to this limit: each group of texts, counted in
    /// the limit's unit, holds at most its `max` (a text the body lacks
    /// counts as empty).
    pub fn fits(&self, body: &Value) -> bool {
        let count = |pointer: &str| match (pointer, body.pointer(pointer)) {
            ("", _) => self.limit.unit.count(&body.to_string()),
            (_, Some(Value::String(text))) => self.limit.unit.count(text),
            _ => 0,
        };
        self.at.iter().all(|group| group.iter().map(|pointer| count(pointer)).sum::<usize>() <= self.limit.max)
    }
}

/// Where a limit on the whole request body applies (see [`ServiceLimit::at`]).
const WHOLE_BODY: &[&[&str]] = &[&[""]];

/// How a service counts the length of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    /// Unicode scalar values (Rust `char`s, Python 3 `len`).
    Chars,
    /// UTF-16 code units: two for a character beyond the Basic Multilingual
    /// Plane (most emoji), so never fewer than [`Unit::Chars`]. Used where a
    /// service says "characters" without saying which.
    Utf16,
    /// UTF-8 bytes of the text once written as a JSON string, escapes
    /// included, as `serde_json` writes it: `\"`, `\\` and control
    /// characters are escaped, nothing else.
    JsonBytes,
    /// UTF-8 bytes, as a whole request body is measured.
    Bytes,
}

impl Unit {
    /// How many of this unit `c` takes.
    pub fn of(self, c: char) -> usize {
        match self {
            Unit::Chars => 1,
            Unit::Utf16 => c.len_utf16(),
            Unit::JsonBytes => match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                c if c < ' ' => "\\u0000".len(),
                c => c.len_utf8(),
            },
            Unit::Bytes => c.len_utf8(),
        }
    }

    /// How many of this unit `text` takes.
    pub fn count(self, text: &str) -> usize {
        text.chars().map(|c| self.of(c)).sum()
    }
}

/// A service's limit on one text field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limit {
    /// The most the field may hold.
    pub max: usize,
    /// What `max` counts.
    pub unit: Unit,
}

/// Slack: 3000 characters in a section block's text (Block Kit reference,
/// "section": "Maximum length for the text in this field is 3000
/// characters"). The top-level `text` gets the same cut (Slack would take
/// 40,000) so the notification says what the block says. Slack does not say
/// which characters it counts; UTF-16 code units are the larger count.
pub const SLACK_TEXT: Limit = Limit { max: 3000, unit: Unit::Utf16 };
/// Discord: message content. Discord counts code points: "Our API uses
/// Python 3, so the API calculates length based on the number of
/// codepoints" (Discord staff, discord/discord-api-docs#1315).
pub const DISCORD_CONTENT: Limit = Limit { max: 2000, unit: Unit::Chars };
/// Discord: embed title (Embed Limits, Discord developer docs).
pub const DISCORD_TITLE: Limit = Limit { max: 256, unit: Unit::Chars };
/// Discord: embed description.
pub const DISCORD_DESCRIPTION: Limit = Limit { max: 4096, unit: Unit::Chars };
/// Discord: "the sum of all characters in an embed structure must not
/// exceed 6000 characters"; title, description and footer, here.
pub const DISCORD_EMBED_CHARS: usize = 6000;
const DISCORD_FOOTER: &str = "AutoHook";
const _: () = assert!(DISCORD_TITLE.max + DISCORD_DESCRIPTION.max + DISCORD_FOOTER.len() <= DISCORD_EMBED_CHARS);
/// Telegram: `sendMessage` text is "1-4096 characters after entities
/// parsing" (Bot API). Telegram measures entity offsets and lengths in
/// UTF-16 code units (core.telegram.org/api/entities) and reports differ on
/// whether the text limit does too, so UTF-16 code units: never over either.
pub const TELEGRAM_TEXT: Limit = Limit { max: 4096, unit: Unit::Utf16 };
/// Teams: the whole request body, in UTF-8 bytes. Microsoft: "The message
/// size limit is 28 KB. When the size exceeds 28 KB, you receive an error"
/// (Create Incoming Webhooks); the Workflows connector says "about 28 KB".
/// Read as 28,000 bytes, the smaller of the two KBs it could mean.
pub const TEAMS_MAX_BYTES: usize = 28_000;
/// Teams: the sentence. With the facts' budget below and the card's fixed
/// JSON (under 2 KB) the body stays under 26 KB, whatever the data.
const TEAMS_TEXT: Limit = Limit { max: 12_000, unit: Unit::JsonBytes };
const TEAMS_FACTS: usize = 10;
const TEAMS_FACT_TITLE: Limit = Limit { max: 200, unit: Unit::JsonBytes };
const TEAMS_FACT_VALUE: Limit = Limit { max: 1000, unit: Unit::JsonBytes };
/// Ends a cut text.
const ELLIPSIS: char = '…';

impl Preset {
    /// The preset with this wire name, if any.
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.as_str() == name)
    }

    /// Every wire name, as an error message lists them: `raw, slack or custom`.
    pub fn one_of() -> String {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.as_str()).collect();
        match names.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// Whether the body is the plain envelope.
    pub fn is_raw(self) -> bool {
        matches!(self.body(), Body::Envelope)
    }

    /// The body for an event or a batch; `chat_id` is Telegram's. The
    /// custom preset's body comes from its template instead (see
    /// [`crate::request::build`]).
    pub fn render<'a>(self, payload: impl Into<Payload<'a>>, chat_id: Option<&str>) -> Value {
        let payload = payload.into();
        match self.body() {
            Body::Envelope | Body::Template => payload.envelope(),
            Body::Service(render) => render(payload, chat_id),
        }
    }

    /// [`Preset::render`] as the text sent.
    pub fn render_text<'a>(self, payload: impl Into<Payload<'a>>, chat_id: Option<&str>) -> String {
        let payload = payload.into();
        match self.body() {
            Body::Envelope | Body::Template => payload.envelope_text(),
            Body::Service(render) => render(payload, chat_id).to_string(),
        }
    }

    /// The length of [`Preset::render_text`]'s text, counted without
    /// writing it.
    pub fn text_len<'a>(self, payload: impl Into<Payload<'a>>, chat_id: Option<&str>) -> usize {
        let payload = payload.into();
        match self.body() {
            Body::Envelope | Body::Template => payload.envelope_len(),
            // Never fails: a rendered value serializes, as `render_text` writes it.
            Body::Service(render) => json::text_len(&render(payload, chat_id)).unwrap_or_default(),
        }
    }
}

/// The message text within `limit`: the event's sentence, or for a batch
/// a digest of the events' sentences, one a line, ending in "+ 12 more"
/// where the rest does not fit.
fn text(payload: Payload<'_>, limit: Limit, escape: Escape) -> String {
    match payload {
        Payload::Event(event) => fit(&sentence(event), limit, escape),
        Payload::Batch { events, .. } => digest(events, limit, escape),
    }
}

/// Longest line of a digest, in characters, so one long message cannot
/// crowd the others out.
const DIGEST_LINE_CHARS: usize = 300;

/// `25 events` and a line per event while they fit `limit` (written with
/// `escape`), keeping room for the `+ N more` line that ends a digest cut
/// short. Each line was measured with that room kept, so the last line
/// always fits.
fn digest(events: &[Event], limit: Limit, escape: Escape) -> String {
    let cost = |text: &str| limit.unit.count(&escape.apply(text));
    let more = |n: usize| format!("\n+ {n} more");
    let mut out = batch_heading(events.len());
    let mut used = cost(&out);
    for (shown, event) in events.iter().enumerate() {
        let line = format!("\n• {}", cut(&sentence(event), DIGEST_LINE_CHARS));
        let left = events.len() - shown - 1;
        let room = if left > 0 { cost(&more(left)) } else { 0 };
        if used + cost(&line) + room > limit.max {
            out.push_str(&more(left + 1));
            break;
        }
        used += cost(&line);
        out.push_str(&line);
    }
    escape.apply(&out)
}

/// When it happened: for a batch, its last event.
fn timestamp(payload: Payload<'_>) -> String {
    match payload {
        Payload::Event(event) => event.at.iso8601(),
        Payload::Batch { events, .. } => events.last().map(|e| e.at.iso8601()).unwrap_or_default(),
    }
}

fn slack(payload: Payload<'_>, _chat_id: Option<&str>) -> Value {
    let text = text(payload, SLACK_TEXT, Escape::Mrkdwn);
    json!({
        "text": text,
        // `verbatim`: Slack links no bare URL, channel or user name in the
        // section ("it won't modify any plain-text content", Block Kit text
        // object); `parse: none` asks the same for the notification's text.
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": true}}],
        "parse": "none",
        "link_names": false,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

fn discord(payload: Payload<'_>, _chat_id: Option<&str>) -> Value {
    let description = match payload {
        Payload::Event(event) => fit(&details(event), DISCORD_DESCRIPTION, Escape::Discord),
        Payload::Batch { .. } => text(payload, DISCORD_DESCRIPTION, Escape::Discord),
    };
    json!({
        "content": text(payload, DISCORD_CONTENT, Escape::Discord),
        // Escaped, `@everyone` or `<@…>` is text already; should one get
        // through, it still pings no one.
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": fit(&title_of(payload), DISCORD_TITLE, Escape::Plain),
            "description": description,
            "timestamp": timestamp(payload),
            "footer": {"text": DISCORD_FOOTER},
        }],
    })
}

/// The title as a `TextBlock` (AutoHook's label), then the sentence and the
/// facts as `RichTextBlock`s: a `TextBlock`'s and a `FactSet`'s text is
/// markdown in Teams, where `[x](url)` is a link ("Format cards in Teams"),
/// and markdown has no escape Teams documents.
fn teams(payload: Payload<'_>, _chat_id: Option<&str>) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": title_of(payload)}),
        rich_text(vec![run(text(payload, TEAMS_TEXT, Escape::Plain))]),
    ];
    body.extend(facts(payload));
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            },
        }],
    })
}

/// Plain text: without a `parse_mode` Telegram reads no markup, so no
/// `[x](url)` or text mention. Its apps still highlight bare URLs,
/// `@usernames` and `#hashtags` on their own when they show a message
/// (tdlib's `find_entities`); the Bot API has no switch for that, only for
/// the link preview, which is off.
fn telegram(payload: Payload<'_>, chat_id: Option<&str>) -> Value {
    json!({
        "chat_id": chat_id.unwrap_or_default(),
        "text": text(payload, TELEGRAM_TEXT, Escape::Plain),
        "link_preview_options": {"is_disabled": true},
    })
}

/// IFTTT passes on three values: the event's name (`batch` for a batch),
/// its sentence (a batch's whole digest) and its data as JSON (a batch's
/// envelopes, as the envelope presets send them).
fn ifttt(payload: Payload<'_>, _chat_id: Option<&str>) -> Value {
    let data = match payload {
        Payload::Event(event) => event.data.to_text(),
        Payload::Batch { events, .. } => Value::from(events.iter().map(Event::envelope).collect::<Vec<_>>()).to_string(),
    };
    json!({"value1": payload.name(), "value2": payload.sentence(), "value3": data})
}

fn title_of(payload: Payload<'_>) -> String {
    match payload {
        Payload::Event(event) => format!("AutoHook: {}", event.kind.as_str()),
        Payload::Batch { events, .. } => format!("AutoHook: {}", batch_heading(events.len())),
    }
}

/// The event's data as pretty JSON, for embeds. Through a `Value`, whose
/// pretty `Display` the module has anyway: written straight from each
/// event type, the pretty writer was compiled once more per type (5,578
/// code bytes); the text is the same.
fn details(event: &Event) -> String {
    serde_json::to_value(&event.data).map_or_else(|_| String::new(), |data| format!("{data:#}"))
}

/// The data's fields as Adaptive Card facts, bounded in count and size;
/// for a batch, how many events of each kind it holds.
fn facts(payload: Payload<'_>) -> Vec<Value> {
    let event = match payload {
        Payload::Event(event) => event,
        Payload::Batch { events, .. } => {
            let count = |kind: EventKind| events.iter().filter(|e| e.kind == kind).count();
            let counts = EventKind::ALL.into_iter().map(|kind| (kind, count(kind))).filter(|(_, n)| *n > 0);
            return counts.map(|(kind, n)| fact(kind.as_str(), &n.to_string())).collect();
        }
    };
    let data = event.data.to_value();
    let empty = Map::new();
    let fields = data.as_object().unwrap_or(&empty);
    fields
        .iter()
        .take(TEAMS_FACTS)
        .map(|(name, value)| fact(name, &value.as_str().map_or_else(|| value.to_string(), str::to_string)))
        .collect()
}

/// One fact, `name: value` with the name in bold, each cut to its budget.
fn fact(name: &str, value: &str) -> Value {
    let name = json!({"type": "TextRun", "text": fit(name, TEAMS_FACT_TITLE, Escape::Plain), "weight": "Bolder"});
    rich_text(vec![name, run(format!(": {}", fit(value, TEAMS_FACT_VALUE, Escape::Plain)))])
}

/// An Adaptive Card `RichTextBlock` of `runs`.
fn rich_text(runs: Vec<Value>) -> Value {
    json!({"type": "RichTextBlock", "inlines": runs})
}

/// A `TextRun`: its text is shown as written ("Markdown is not supported",
/// Adaptive Cards schema, TextRun).
fn run(text: String) -> Value {
    json!({"type": "TextRun", "text": text})
}

/// How a field's text is written so that the service shows it as it is:
/// every escape is one the service undoes when it shows the text, so a
/// reader sees each character, and the text is escaped once, from the raw
/// text, never again.
#[derive(Clone, Copy)]
enum Escape {
    /// As it is, for a field the service reads no markup in.
    Plain,
    /// Slack mrkdwn, where `&`, `<` and `>` are control characters
    /// (`<!channel>` notifies a whole channel, `<@U…>` a user, `<url|text>`
    /// is a link) and must be written as entities ("Formatting message
    /// text", Escaping). mrkdwn has no escape for `*`, `_`, `~` or `` ` ``:
    /// those may still style a word, never make a link or a mention.
    Mrkdwn,
    /// Discord markdown: each of [`DISCORD_MARKUP`] after a backslash.
    /// Discord's escape rule (simple-markdown's `\\([^0-9A-Za-z\s])`, which
    /// its clients use) shows the next character as text whatever it is,
    /// and no rule matches across an escaped one.
    Discord,
}

/// The characters Discord markup starts with (its client's rules, as
/// parse-discord reproduces them): `<` a mention, channel, role, timestamp,
/// custom emoji or `<url>`; `@` `@everyone` and `@here`; `[` a masked link
/// `[x](url)`; `:` a bare link `https://…` or a `:name:` emoji; `*`, `_`,
/// `~`, `` ` ``, `|` styles, code and spoilers; `>`, `#`, `-` a quote,
/// heading, list or subtext at a line's start; and `\` itself. A bare URL
/// is kept from being a link by its escaped `:` (`https\://…`) rather than
/// an invisible character inside it, so a reader who copies the text gets
/// what was typed (`<url>` would only drop the preview, not the link).
const DISCORD_MARKUP: [char; 13] = ['\\', '<', '@', '[', ':', '*', '_', '~', '`', '|', '>', '#', '-'];

/// What a character is written as, when not as itself.
#[derive(Clone, Copy)]
enum Written {
    /// An entity, such as `&amp;`.
    Entity(&'static str),
    /// The character after a backslash.
    Backslashed,
}

impl Escape {
    /// What `c` is written as, when not as itself.
    fn written(self, c: char) -> Option<Written> {
        match (self, c) {
            (Escape::Mrkdwn, '&') => Some(Written::Entity("&amp;")),
            (Escape::Mrkdwn, '<') => Some(Written::Entity("&lt;")),
            (Escape::Mrkdwn, '>') => Some(Written::Entity("&gt;")),
            (Escape::Discord, c) if DISCORD_MARKUP.contains(&c) => Some(Written::Backslashed),
            _ => None,
        }
    }

    /// How many of `unit` `c` takes once written.
    fn cost(self, c: char, unit: Unit) -> usize {
        match self.written(c) {
            None => unit.of(c),
            Some(Written::Entity(entity)) => unit.count(entity),
            Some(Written::Backslashed) => unit.of('\\') + unit.of(c),
        }
    }

    fn apply(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match self.written(c) {
                None => out.push(c),
                Some(Written::Entity(entity)) => out.push_str(entity),
                Some(Written::Backslashed) => out.extend(['\\', c]),
            }
        }
        out
    }
}

/// `text` written with `escape` and, if that is over `limit`, cut to fit
/// with "…" at the end. The limit holds for the written (escaped) text, and
/// the cut falls between grapheme clusters of `text`, so it never splits an
/// emoji sequence, a letter from its accents, or an entity. Reads only as
/// far as the limit reaches.
fn fit(text: &str, limit: Limit, escape: Escape) -> String {
    let cost = |c: char| escape.cost(c, limit.unit);
    // What may be kept when "…" must follow.
    let room = limit.max.saturating_sub(limit.unit.of(ELLIPSIS));
    let (mut used, mut kept) = (0, 0);
    for (start, grapheme) in text.grapheme_indices(true) {
        used += grapheme.chars().map(cost).sum::<usize>();
        if used > limit.max {
            let mut cut = escape.apply(&text[..kept]);
            cut.push(ELLIPSIS);
            return cut;
        }
        if used <= room {
            kept = start + grapheme.len();
        }
    }
    escape.apply(text)
}

/// `text` cut to at most `max` characters on a grapheme boundary, ending in
/// "…" when cut.
pub fn cut(text: &str, max: usize) -> String {
    fit(text, Limit { max, unit: Unit::Chars }, Escape::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventData;
    use crate::time::Millis;

    /// Every event with its sample data, and once more with hostile, huge text.
    fn events() -> Vec<Event> {
        let long = format!("{}\"quotes\" \n newlines, ünïcödé 🎉 </script> <@everyone> & ", "x".repeat(10_000));
        EventKind::ALL
            .into_iter()
            .flat_map(|kind| {
                let at = Millis(1_700_000_000_000);
                let sample = EventData::from(kind.sample(at)).to_value();
                let mut hostile = sample.clone();
                for key in ["message", "error"] {
                    hostile[key] = Value::String(long.clone());
                }
                [sample, hostile].map(|data| Event::new("msg_1".into(), kind, at, data))
            })
            .collect()
    }

    fn chars(value: &Value) -> usize {
        value.as_str().map_or(0, |s| s.chars().count())
    }

    fn within(value: &Value, limit: Limit) -> bool {
        value.as_str().is_some_and(|s| limit.unit.count(s) <= limit.max)
    }

    #[test]
    fn a_batch_renders_one_digest_within_every_service_limit_ending_in_how_many_more() {
        let events: Vec<Event> = events().into_iter().cycle().take(100).collect();
        let batch = Payload::Batch { id: "msg_b", events: &events };
        for preset in Preset::ALL {
            let body = preset.render(batch, Some("-1001234"));
            for limit in preset.limits() {
                assert!(limit.fits(&body), "{preset:?}: a batch over its {} limit", limit.field);
            }
        }
        let slack = Preset::Slack.render(batch, None);
        let text = slack["text"].as_str().unwrap();
        assert!(text.starts_with("100 events\n• ") && !text.contains('<'), "{text}");
        let more: usize = text.rsplit_once("\n+ ").and_then(|(_, n)| n.strip_suffix(" more")?.parse().ok()).expect("ends in + N more");
        assert_eq!(text.matches("\n• ").count() + more, 100, "every event is listed or counted");
        let two = Payload::Batch { id: "msg_b", events: &events[..2] };
        let telegram = Preset::Telegram.render(two, Some("1"));
        assert_eq!(telegram["text"], format!("2 events\n• {}\n• {}", sentence(&events[0]), cut(&sentence(&events[1]), DIGEST_LINE_CHARS)));
        let ifttt = Preset::Ifttt.render(two, None);
        assert_eq!((ifttt["value1"].as_str(), ifttt["value3"].as_str().map(|v| v.starts_with("[{"))), (Some("batch"), Some(true)));
    }

    #[test]
    fn every_preset_counts_its_text_as_long_as_it_writes_it() {
        let events = events();
        let batch = Payload::Batch { id: "msg_b", events: &events };
        for preset in Preset::ALL {
            for payload in events.iter().map(Payload::from).chain([batch]) {
                assert_eq!(preset.text_len(payload, Some("-1001234")), preset.render_text(payload, Some("-1001234")).len(), "{preset:?}");
            }
        }
    }

    #[test]
    fn every_preset_renders_every_event_within_its_service_limits() {
        for event in events() {
            for preset in Preset::ALL {
                let body = preset.render(&event, Some("-1001234"));
                let text = body.to_string();
                assert!(serde_json::from_str::<Value>(&text).is_ok(), "{preset:?} {:?}", event.kind);
                if !matches!(preset.body(), Body::Service(_)) {
                    // The envelope; a template's preset renders as the envelope too.
                    assert_eq!(body, event.envelope());
                    continue;
                }
                for limit in preset.limits() {
                    assert!(limit.fits(&body), "{preset:?} {:?}: over its {} limit", event.kind, limit.field);
                }
                // What each service needs beyond its declared limits.
                match preset {
                    Preset::Slack => {
                        for text in [&body["text"], &body["blocks"][0]["text"]["text"]] {
                            assert!(within(text, SLACK_TEXT) && chars(text) > 0);
                            assert!(!text.as_str().unwrap().contains(['<', '>']));
                        }
                    }
                    Preset::Discord => {
                        let embed = &body["embeds"][0];
                        assert!(within(&body["content"], DISCORD_CONTENT) && within(&embed["title"], DISCORD_TITLE));
                        assert!(within(&embed["description"], DISCORD_DESCRIPTION));
                        assert!(
                            chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]) <= DISCORD_EMBED_CHARS
                        );
                        assert_eq!(body["allowed_mentions"]["parse"], json!([]));
                    }
                    Preset::Teams => {
                        assert!(text.len() <= TEAMS_MAX_BYTES, "{} bytes", text.len());
                        assert_eq!(body["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
                        assert_eq!(body["attachments"][0]["content"]["type"], "AdaptiveCard");
                    }
                    Preset::Telegram => {
                        assert_eq!(body["chat_id"], "-1001234");
                        assert!(within(&body["text"], TELEGRAM_TEXT) && chars(&body["text"]) > 0);
                    }
                    Preset::Ifttt => {
                        assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["value1", "value2", "value3"]);
                    }
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn wire_names_round_trip_and_the_error_lists_them_all() {
        for preset in Preset::ALL {
            assert_eq!(Preset::parse(preset.as_str()), Some(preset));
            assert_eq!(serde_json::to_value(preset).unwrap(), preset.as_str());
            assert_eq!(serde_json::from_value::<Preset>(json!(preset.as_str())).unwrap(), preset);
            assert!(Preset::one_of().contains(preset.as_str()));
        }
        assert_eq!(Preset::parse("Slack"), None);
        assert!(Preset::one_of().starts_with("raw, slack, ") && Preset::one_of().ends_with(" or custom"));
    }

    #[test]
    fn the_envelope_presets_are_the_raw_ones() {
        let raw: Vec<&str> = Preset::ALL.into_iter().filter(|p| p.is_raw()).map(Preset::as_str).collect();
        assert_eq!(raw, ["raw", "zapier", "make", "n8n"]);
    }

    #[test]
    fn sentences_read_as_the_event() {
        let at = Millis(0);
        let event = |kind: EventKind| Event::own("m".into(), at, kind.sample(at));
        assert_eq!(sentence(&event(EventKind::CampaignPaused)), "Campaign paused after 25 messages today");
        assert_eq!(sentence(&event(EventKind::MessageSent)), "Message sent: “Hello from AutoHook!” (25 today, 340 in total)");
        assert_eq!(sentence(&event(EventKind::DailyLimitReached)), "Daily limit of 100 messages reached");
        assert_eq!(sentence(&event(EventKind::Error)), "Error: Failed to find send button");
        assert_eq!(sentence(&event(EventKind::Milestone)), "Milestone: 100 messages sent");
    }

    #[test]
    fn cut_ends_in_an_ellipsis_and_never_splits_a_character() {
        assert_eq!(cut("héllo", 5), "héllo");
        assert_eq!(cut("héllo wörld", 5), "héll…");
        assert_eq!(cut("🎉🎉🎉", 2).chars().count(), 2);
    }

    #[test]
    fn cuts_fall_between_grapheme_clusters() {
        let family = "👨\u{200d}👩\u{200d}👧";
        assert_eq!(cut(&format!("ab{family}cd"), 6), "ab…", "a ZWJ sequence is kept whole or not at all");
        assert_eq!(cut("ae\u{301}\u{302}x", 3), "a…", "an accent stays on its letter");
        let utf16 = Limit { max: 4, unit: Unit::Utf16 };
        assert_eq!(fit("ab🎉🎉", utf16, Escape::Plain), "ab…", "an emoji is two UTF-16 units");
    }

    #[test]
    fn slack_text_is_escaped_in_every_field_and_fits_after_escaping() {
        let data = json!({"message": format!("<!channel> <@U123> & {}", "<".repeat(5000))});
        let event = Event::new("m".into(), EventKind::MessageSent, Millis(0), data);
        let body = Preset::Slack.render(&event, None);
        for text in [&body["text"], &body["blocks"][0]["text"]["text"]] {
            let text = text.as_str().unwrap();
            assert!(text.starts_with("Message sent: “&lt;!channel&gt; &lt;@U123&gt; &amp; &lt;"), "{text}");
            assert!(Unit::Utf16.count(text) <= SLACK_TEXT.max);
            assert!(text.ends_with("&lt;…"), "an entity is never cut in half");
        }
    }

    #[test]
    fn a_teams_card_stays_under_its_limit_with_every_field_at_its_worst() {
        // Control characters take 6 bytes in JSON, 4-byte characters 4.
        let worst = "\u{1}𝔘\"".repeat(20_000);
        let mut data = Map::new();
        for i in 0..TEAMS_FACTS + 5 {
            data.insert(format!("{i}{worst}"), Value::String(worst.clone()));
        }
        data.insert("message".into(), Value::String(worst));
        let event = Event::new("m".into(), EventKind::MessageSent, Millis(0), Value::Object(data));
        let body = Preset::Teams.render(&event, None).to_string();
        assert!(body.len() <= TEAMS_MAX_BYTES, "{} bytes", body.len());
    }
}
