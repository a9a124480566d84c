//! Where a webhook's credentials are, and what the log, the pages and an
//! export may show of them: nothing. A credential is known by where it
//! comes from, never by what it is called (a header `X-Api-Pass` or a
//! query `?pwd=` is one as much as `Authorization` is):
//!
//! - Every custom header's value, unless its name is one of
//!   [`NEVER_CREDENTIAL_HEADERS`] or the user switched the header to not
//!   secret (the switch is stored with the header; see `config::Header`).
//! - Every query value written in the webhook URL, and every query
//!   component with no `=` (`?AbC123…`), whatever it looks like: some
//!   receivers take their key as the bare query. A value with a template
//!   tag is a template: rendered from the event, it is shown, and
//!   credentials never go in a template (the editor says so).
//! - The URL's path segments that are tokens: the places known services
//!   put theirs (Slack's and Discord's paths, Telegram's bot token,
//!   Zapier's catch path, IFTTT's key) and any [`is_token_like`] segment.
//! - The host's labels that are [`is_token_like`] (read as Unicode, so an
//!   IDN's `xn--` form is not taken for one): request bins and function
//!   URLs put their key there (`eo1a2b…c4d.m.pipedream.net`).
//! - The whole URL, when stored settings hold one that does not parse:
//!   its parts cannot be told apart.
//! - The signing secret, which is never sent.
//!
//! Two passes over what the log keeps of a request:
//!
//! - By place: those header values become `•••• (<name>)` and those URL
//!   parts `••••` ([`UrlSecrets::mask`]); the fragment is dropped.
//! - By value: a [`Redactor`] holds one request's credentials and replaces
//!   them wherever else they appear: the URL, other headers, the body, and
//!   the response, which a receiver may echo. It also finds them
//!   percent-encoded (Telegram's `bot123:ABC` in a query is `bot123%3AABC`),
//!   JSON-escaped and mrkdwn-escaped, up to two encodings deep.

use std::rc::Rc;

use memchr::memmem::Finder;
use percent_encoding::percent_decode_str;
use url::{form_urlencoded, Url};

use crate::engine::MAX_WEBHOOKS;
use crate::signing::SECRET_PREFIX;
use crate::template::{query_template, Template};

/// Stands in for a hidden value.
pub const REDACTED: &str = "••••";
/// [`REDACTED`] as a URL writes it.
const REDACTED_IN_URL: &str = "%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2";
/// [`REDACTED`] as a host label, in its IDNA form: a host holds no `%`.
/// A host that has this label is `••••` read as Unicode anyway, so
/// [`shown`] writing it so is never wrong.
const REDACTED_IN_HOST: &str = "xn--nvgaaa";
/// Headers that never carry a credential, so their values are always
/// shown (in any case): they say what the body is and what the sender
/// wants back. Declared here alone; the catalog gives the list to the
/// settings page, whose per-header switch is off and fixed for them.
pub const NEVER_CREDENTIAL_HEADERS: [&str; 5] = ["Content-Type", "Accept", "Accept-Language", "Content-Language", "User-Agent"];
/// Values shorter than this are hidden only where they sit (their header,
/// their URL part), not looked for elsewhere: a 1-character API key or a
/// header such as `X-Api-Key: true` would otherwise black out every `1` or
/// `true` in the log. Six still takes in the shortest credential a
/// supported service hands out: Zapier's catch-hook path secret, shown as
/// `/hooks/catch/123456/abcdef/` in its guides.
pub const MIN_SECRET_CHARS: usize = 6;
/// How long a path segment must be, decoded, to be taken for a token when
/// it mixes letters and digits: 16 characters are 96 bits of base64 or 64
/// of hex, shorter than any key a webhook service hands out (Slack's are
/// 24, Discord's 68, a UUID 36), longer than most words and ids.
const TOKEN_MIN_CHARS: usize = 16;
/// Encodings undone, one inside the other, when looking for a value: two
/// covers JSON text inside a JSON string (IFTTT's `value3`, a template's
/// `json` filter) and JSON in a query (a GET's `data`).
const DECODE_LAYERS: u32 = 2;
/// The longest encoding of one byte: `\u00XX`.
const MAX_ESCAPE_BYTES: usize = 6;

/// Whether a header's name is one of [`NEVER_CREDENTIAL_HEADERS`].
pub fn never_carries_credentials(name: &str) -> bool {
    NEVER_CREDENTIAL_HEADERS.iter().any(|listed| listed.eq_ignore_ascii_case(name))
}

/// Whether a custom header's value is a credential: unless its name is
/// listed in [`NEVER_CREDENTIAL_HEADERS`] or its switch (`secret`, stored
/// with it; absent in webhooks stored before there was one) is off.
pub fn is_secret_header(name: &str, secret: Option<bool>) -> bool {
    secret.unwrap_or(true) && !never_carries_credentials(name)
}

/// The parts of a webhook URL that are credentials, found once, when the
/// URL is parsed: what [`UrlSecrets::mask`] hides in a URL sent to it and
/// what a [`Redactor`] looks for elsewhere.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UrlSecrets(Vec<UrlSecret>);

/// A stored URL's text, read for its credentials: the log's rules for a
/// URL the pages show and an export leaves out.
pub enum StoredUrl {
    /// No URL: nothing to hide.
    Empty,
    /// Text that does not parse (from settings that no longer do): its
    /// parts cannot be told apart, so all of it is a credential.
    Unparsable,
    /// A URL and its secret parts.
    Parsed(Url, UrlSecrets),
}

impl StoredUrl {
    /// Reads `text`.
    pub fn read(text: &str) -> StoredUrl {
        match Url::parse(text) {
            Ok(url) => {
                let secrets = UrlSecrets::of(&url);
                StoredUrl::Parsed(url, secrets)
            }
            Err(_) if text.is_empty() => StoredUrl::Empty,
            Err(_) => StoredUrl::Unparsable,
        }
    }

    /// Whether any of it is a credential.
    pub fn holds_credential(&self) -> bool {
        match self {
            StoredUrl::Empty => false,
            StoredUrl::Unparsable => true,
            StoredUrl::Parsed(_, secrets) => !secrets.is_empty(),
        }
    }
}

/// One secret part of a URL.
#[derive(Clone, Debug, PartialEq, Eq)]
enum UrlSecret {
    /// A path segment as the URL writes it, the part of it that stays
    /// shown (Telegram's `bot`), and the secret decoded.
    Segment { written: String, prefix: &'static str, value: String },
    /// A query pair, name and value decoded.
    Query { name: String, value: String },
    /// A query component with no `=`, decoded.
    Bare { value: String },
    /// A label of the host, as the URL writes it (its IDNA form).
    Host { label: String },
}

impl UrlSecrets {
    /// The credentials in `url`, a webhook URL as written.
    pub fn of(url: &Url) -> UrlSecrets {
        let mut secrets = Vec::new();
        if let Some(url::Host::Domain(domain)) = url.host() {
            secrets.extend(
                domain.split('.').filter(|label| host_label_is_secret(label)).map(|label| UrlSecret::Host { label: label.to_string() }),
            );
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if let Some(segments) = url.path_segments() {
            let segments: Vec<&str> = segments.collect();
            for i in (0..segments.len()).filter(|&i| segment_is_secret(&host, &segments, i)) {
                // Telegram's `bot<token>`: the token is the secret, and is what an echo would carry.
                let (prefix, secret) = segments[i].strip_prefix("bot").map_or(("", segments[i]), |token| ("bot", token));
                let value = percent_decode_str(secret).decode_utf8_lossy().into_owned();
                secrets.push(UrlSecret::Segment { written: segments[i].to_string(), prefix, value });
            }
        }
        // As written: with the tags of a query template decoded, so that a
        // value holding one is known for a template.
        let written = query_template(url).or_else(|| url.query().map(str::to_string)).unwrap_or_default();
        for pair in written.split('&') {
            let value = pair.split_once('=').map_or(pair, |(_, value)| value);
            if value.is_empty() || value.contains("{{") {
                continue;
            }
            let Some((name, value)) = form_urlencoded::parse(pair.as_bytes()).next() else { continue };
            if pair.contains('=') {
                secrets.push(UrlSecret::Query { name: name.into_owned(), value: value.into_owned() });
            } else {
                // A bare component is a key by position, however it reads:
                // taking only token-like ones would show `?hunter2`. A flag
                // (`?debug`) shown as `••••` costs only readability, and,
                // under MIN_SECRET_CHARS, is not looked for elsewhere.
                secrets.push(UrlSecret::Bare { value: name.into_owned() });
            }
        }
        UrlSecrets(secrets)
    }

    /// Whether the URL holds no credential.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The secret values, decoded.
    pub fn values(&self) -> impl Iterator<Item = &str> + Clone {
        self.0.iter().map(|secret| match secret {
            UrlSecret::Segment { value, .. } | UrlSecret::Query { value, .. } | UrlSecret::Bare { value } => value.as_str(),
            UrlSecret::Host { label } => label.as_str(),
        })
    }

    /// `url`'s host with each secret label as [`REDACTED`]: what a page
    /// may show of it (the name a new webhook takes from its host).
    pub fn shown_host(&self, url: &Url) -> String {
        shown_host(self.mask(url).host_str().unwrap_or_default())
    }

    /// `url` (the URL these secrets were found in, or a request's URL made
    /// from it: its query rendered, an envelope appended) with each secret
    /// path segment, host label and query value masked whole and the
    /// fragment dropped (it is never sent, and pages put tokens there). A
    /// query pair is masked where its name and value are a secret pair's,
    /// so a GET's envelope and a template's rendered values stay readable.
    /// Masks are percent-encoded (IDNA-encoded in the host): [`shown`]
    /// writes them as they read.
    pub fn mask(&self, url: &Url) -> Url {
        let mut url = url.clone();
        url.set_fragment(None);
        if let Some(url::Host::Domain(domain)) = url.host() {
            let is_secret = |label: &str| self.0.iter().any(|secret| matches!(secret, UrlSecret::Host { label: l } if l == label));
            let labels: Vec<&str> = domain.split('.').map(|label| if is_secret(label) { REDACTED_IN_HOST } else { label }).collect();
            let masked = labels.join(".");
            if masked != domain {
                // A label of letters, digits and `-` in place of another
                // keeps the host valid; were it refused, nothing of the host shows.
                if url.set_host(Some(&masked)).is_err() {
                    let _ = url.set_host(Some(REDACTED_IN_HOST));
                }
            }
        }
        let segment = |segment: &str| {
            self.0.iter().find_map(|secret| match secret {
                UrlSecret::Segment { written, prefix, .. } if written == segment => Some(format!("{prefix}{REDACTED_IN_URL}")),
                _ => None,
            })
        };
        if let Some(segments) = url.path_segments() {
            let shown: Vec<String> = segments.map(|s| segment(s).unwrap_or_else(|| s.to_string())).collect();
            url.set_path(&shown.join("/"));
        }
        let is_secret = |name: &str, value: &str| {
            self.0.iter().any(|secret| matches!(secret, UrlSecret::Query { name: n, value: v } if n == name && v == value))
        };
        let is_bare_secret = |value: &str| self.0.iter().any(|secret| matches!(secret, UrlSecret::Bare { value: v } if v == value));
        if let Some(query) = url.query() {
            let shown: Vec<String> = query
                .split('&')
                .map(|pair| match form_urlencoded::parse(pair.as_bytes()).next() {
                    Some((name, _)) if !pair.contains('=') && is_bare_secret(&name) => REDACTED_IN_URL.to_string(),
                    Some((name, value)) if pair.contains('=') && is_secret(&name, &value) => {
                        format!("{}={REDACTED_IN_URL}", pair.split('=').next().unwrap_or_default())
                    }
                    _ => pair.to_string(),
                })
                .collect();
            url.set_query(Some(&shown.join("&")));
        }
        url
    }
}

/// A URL as text, with the masks [`UrlSecrets::mask`] put in it as they read.
pub fn shown(url: &str) -> String {
    // Most URLs hold no mask: given back without taking them apart.
    if !url.contains(REDACTED_IN_URL) && !url.contains(REDACTED_IN_HOST) {
        return url.to_string();
    }
    let url = url.replace(REDACTED_IN_URL, REDACTED);
    // The host: after `scheme://`, up to the path, query, fragment or port
    // (a webhook URL has no user name, and a masked host no IPv6 address).
    let Some(start) = url.find("://").map(|i| i + "://".len()) else { return url };
    let end = url[start..].find(['/', '?', '#', ':']).map_or(url.len(), |i| start + i);
    format!("{}{}{}", &url[..start], shown_host(&url[start..end]), &url[end..])
}

/// A host with its masked labels as [`REDACTED`].
fn shown_host(host: &str) -> String {
    host.split('.').map(|label| if label == REDACTED_IN_HOST { REDACTED } else { label }).collect::<Vec<_>>().join(".")
}

/// Whether a host label (as the URL writes it) is a token: read as
/// Unicode, [`is_token_like`]. So an IDN such as `xn--80akhbyknj4f`
/// (`испытание`), whose IDNA form mixes letters and digits, is not one,
/// nor is any dotted IPv4 address, its labels being digits.
fn host_label_is_secret(label: &str) -> bool {
    let unicode = url::quirks::domain_to_unicode(label);
    is_token_like(if unicode.is_empty() { label } else { &unicode })
}

fn segment_is_secret(host: &str, segments: &[&str], i: usize) -> bool {
    let segment = segments[i];
    let previous = |n: usize| i.checked_sub(n).map(|j| segments[j]);
    match host {
        // /bot<id>:<token>/sendMessage
        "api.telegram.org" => segment.starts_with("bot") && segment.contains(':'),
        // /hooks/catch/<account>/<secret>/
        "hooks.zapier.com" => previous(2) == Some("catch"),
        // /trigger/<event>/with/key/<key>
        "maker.ifttt.com" => previous(1) == Some("key"),
        // /services/<team>/<bot>/<secret>, a secret of letters alone in
        // Slack's own examples; its other URLs (workflow triggers) by the general rule.
        "hooks.slack.com" => previous(3) == Some("services") || is_token_like(segment),
        // /api/webhooks/<id>/<token>
        "discord.com" | "discordapp.com" => previous(2) == Some("webhooks") || is_token_like(segment),
        _ => is_token_like(segment),
    }
}

/// Whether a path segment is a token: decoded, at least
/// [`TOKEN_MIN_CHARS`] characters, with both ASCII letters and digits.
/// Random keys are (base64, hex, UUIDs, `bot123:ABC…`); words and numeric
/// ids are not. A long slug with a number in it (`events-2024-archive`)
/// is taken for one too: masking a harmless part costs readability,
/// missing a key costs the key.
fn is_token_like(segment: &str) -> bool {
    let decoded = percent_decode_str(segment).decode_utf8_lossy();
    decoded.chars().count() >= TOKEN_MIN_CHARS
        && decoded.chars().any(|c| c.is_ascii_digit())
        && decoded.chars().any(|c| c.is_ascii_alphabetic())
}

/// What of a secret header's template is looked for everywhere: the text
/// between its tags, trimmed, where it has at least [`MIN_SECRET_CHARS`]
/// characters (`sk_live_abc123-` of `sk_live_abc123-{{event}}`), which a
/// receiver echoing the header would carry around the rendered part. An
/// HTTP auth scheme opening the value (`Bearer ` of `Bearer {{data.t}}`)
/// is left out: it is no credential, and would mask every `Bearer` in the log.
pub fn template_literals(template: &Template) -> Vec<&str> {
    template
        .texts()
        .map(|(at, text)| match text.split_once(' ') {
            Some((scheme, rest)) if at == 0 && !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphabetic()) => rest,
            _ => text,
        })
        .map(str::trim)
        .filter(|text| text.chars().count() >= MIN_SECRET_CHARS)
        .collect()
}

/// One webhook's credentials, by where they come from: what the log masks
/// in place and looks for elsewhere (with a `Redactor`).
#[derive(Debug, Default)]
pub struct Credentials<'a> {
    /// Signing secrets, current and previous: never sent, only looked for.
    pub secrets: Vec<&'a str>,
    /// The custom headers whose values are secret, by name: masked where
    /// they sit, whatever they render to.
    pub headers: Vec<&'a str>,
    /// Those headers' values as written, looked for everywhere; of a
    /// template, only its [`template_literals`]: its rendering is the
    /// event's data (which the log keeps as it came), and would mask the
    /// body's copy of it.
    pub header_values: Vec<&'a str>,
    /// The URL's secret parts.
    pub url: Option<&'a UrlSecrets>,
}

impl<'a> Credentials<'a> {
    /// Whether the header `name` (in any case) carries a credential.
    pub fn is_secret_header(&self, name: &str) -> bool {
        self.headers.iter().any(|secret| secret.eq_ignore_ascii_case(name))
    }

    /// A [`Redactor`] for these credentials.
    pub fn redactor(&self) -> Redactor {
        Redactor::new(&self.values().collect::<Vec<_>>())
    }

    /// The values a [`Redactor`] looks for.
    fn values(&self) -> impl Iterator<Item = &'a str> + Clone + '_ {
        let values = self.header_values.iter().copied();
        // `Bearer <token>`: an echo may carry the token alone, as configured
        // (padding included, which can take it past the minimum length) or
        // trimmed, as the browser sends it.
        let tokens = values.clone().filter_map(|value| value.split_once(' ').map(|(_, token)| token));
        let tokens = tokens.flat_map(|token| [token, token.trim()]);
        // `whsec_<base64>`: the base64 alone is the key too.
        let secrets = self.secrets.iter().flat_map(|secret| [*secret, secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret)]);
        let url_secrets = self.url.into_iter().flat_map(UrlSecrets::values);
        secrets.chain(values).chain(tokens).chain(url_secrets)
    }
}

/// The redactors of the webhooks' recent requests, by the values they look
/// for: a webhook's credentials stay the same from one request to the
/// next, and building its redactor for each was 4 % of a burst's
/// instructions (`tests/bench/burst.rs`).
#[derive(Debug, Default)]
pub struct Redactors(Vec<(Vec<String>, Redactor)>);

impl Redactors {
    /// A redactor for `credentials`: the one built for the same values, or
    /// a new one, kept in place of the oldest if [`MAX_WEBHOOKS`] are.
    pub fn of(&mut self, credentials: &Credentials<'_>) -> Redactor {
        let values: Vec<&str> = credentials.values().collect();
        if let Some((_, redactor)) = self.0.iter().find(|(kept, _)| *kept == values) {
            return redactor.clone();
        }
        if self.0.len() >= MAX_WEBHOOKS {
            self.0.remove(0);
        }
        let redactor = Redactor::new(&values);
        self.0.push((values.into_iter().map(str::to_string).collect(), redactor.clone()));
        redactor
    }
}

/// One request's credentials, replaced by [`REDACTED`] wherever they occur
/// in a text, plain or encoded. Kept until its response is logged, and
/// shared by the requests of a webhook whose credentials stay the same
/// ([`Redactors`]). Pure: the same values and text give the same result.
#[derive(Clone)]
pub struct Redactor {
    /// The values to find, each also with its spaces form-encoded as `+`,
    /// as searchers built once: a redactor scrubs every header, the URL,
    /// the body and the response of its attempt, and building a searcher
    /// per text was a fifth of the logging's cost.
    needles: Rc<[Finder<'static>]>,
    /// The length of the shortest value: a shorter text holds none, plain
    /// or encoded (decoding only shortens), and is given back as it is
    /// (most of a request's headers).
    shortest: usize,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor(<{} values>)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for `values`; those under [`MIN_SECRET_CHARS`] are left out.
    pub fn new(values: &[&str]) -> Redactor {
        let mut needles = Vec::new();
        for value in values.iter().filter(|v| v.chars().count() >= MIN_SECRET_CHARS) {
            if value.contains(' ') {
                needles.push(value.replace(' ', "+"));
            }
            needles.push(value.to_string());
        }
        needles.sort_unstable();
        needles.dedup();
        let shortest = needles.iter().map(String::len).min().unwrap_or(usize::MAX);
        Redactor { needles: needles.iter().map(|needle| Finder::new(needle).into_owned()).collect(), shortest }
    }

    /// How many bytes the longest encoded occurrence of a value can take:
    /// to scrub the start of a text, read this much past the cut.
    pub fn reach(&self) -> usize {
        let longest = self.needles.iter().map(|needle| needle.needle().len()).max().unwrap_or(0);
        longest * MAX_ESCAPE_BYTES.pow(DECODE_LAYERS)
    }

    /// `text` with every occurrence of a value replaced.
    pub fn scrub(&self, text: &str) -> String {
        self.scrub_until(text, text.len())
    }

    /// `text[..keep]` with every occurrence of a value replaced. One that
    /// starts before `keep` is replaced whole even where it runs past, so a
    /// cut there never leaves part of one; `text` must reach [`Redactor::reach`]
    /// bytes past `keep` (or end) for that. `keep` is a char boundary.
    pub fn scrub_until(&self, text: &str, keep: usize) -> String {
        if text.len() < self.shortest {
            return text[..keep].to_string();
        }
        let mut found = Vec::new();
        View::find_in(&self.needles, text.as_bytes(), &|i| (i, i + 1), &mut found);
        find_encoded(&self.needles, text.as_bytes(), &|i| (i, i + 1), DECODE_LAYERS, &mut found);
        found.sort_unstable();
        let mut out = String::with_capacity(keep);
        let mut written = 0;
        for (start, end) in found {
            // Widened to whole characters; a match of valid UTF-8 lies on them anyway.
            let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
            if start >= keep {
                break;
            }
            if start >= written {
                out.push_str(&text[written..start]);
                out.push_str(REDACTED);
            }
            written = written.max(end);
        }
        if written < keep {
            out.push_str(&text[written..keep]);
        }
        out
    }
}

/// Adds where a needle occurs in `bytes` once decoded, `depth` encodings
/// deep in any order; `from` maps a byte to its range in the original. One
/// encoding at a time: a JSON string may hold a literal `%41`, which is not
/// an escape there.
fn find_encoded(needles: &[Finder<'_>], bytes: &[u8], from: &dyn Fn(usize) -> (usize, usize), depth: u32, found: &mut Vec<(usize, usize)>) {
    if depth == 0 {
        return;
    }
    for encoding in [Encoding::Percent, Encoding::Json, Encoding::Mrkdwn] {
        if let Some(view) = View::decode(encoding, bytes, from) {
            View::find_in(needles, &view.bytes, &|i| view.from[i], found);
            find_encoded(needles, &view.bytes, &|i| view.from[i], depth - 1, found);
        }
    }
}

/// A text with one encoding undone; each byte knows the range of the
/// original text it came from.
struct View {
    bytes: Vec<u8>,
    from: Vec<(usize, usize)>,
}

impl View {
    /// `bytes` with `encoding` undone, or `None` if it has no escape of it.
    fn decode(encoding: Encoding, bytes: &[u8], from: &dyn Fn(usize) -> (usize, usize)) -> Option<View> {
        // Most texts have no escape of a given kind: answered without
        // building a view (a copy plus 16 bytes of ranges per byte).
        if !bytes.contains(&encoding.escape_start()) {
            return None;
        }
        let mut view = View { bytes: Vec::with_capacity(bytes.len()), from: Vec::with_capacity(bytes.len()) };
        let (mut i, mut escapes) = (0, 0);
        while i < bytes.len() {
            match encoding.unescape(&bytes[i..]) {
                Some((decoded, len)) => {
                    let range = (from(i).0, from(i + len - 1).1);
                    view.from.extend(decoded.iter().map(|_| range));
                    view.bytes.extend(decoded);
                    escapes += 1;
                    i += len;
                }
                None => {
                    view.bytes.push(bytes[i]);
                    view.from.push(from(i));
                    i += 1;
                }
            }
        }
        (escapes > 0).then_some(view)
    }

    /// Adds the original range (`from` maps a byte of `bytes` to it) of
    /// every occurrence of a needle in `bytes`.
    fn find_in(needles: &[Finder<'_>], bytes: &[u8], from: &dyn Fn(usize) -> (usize, usize), found: &mut Vec<(usize, usize)>) {
        for needle in needles {
            let last = needle.needle().len().max(1) - 1;
            // Overlapping occurrences too (`abab` in `ababab`), so that no
            // tail of a value is left showing.
            let mut at = 0;
            while let Some(i) = needle.find(&bytes[at..]).map(|i| at + i) {
                found.push((from(i).0, from(i + last).1));
                at = i + 1;
            }
        }
    }
}

/// A way a credential gets written into a request or an echo.
#[derive(Clone, Copy)]
enum Encoding {
    /// `%3A`, either case of hex: URLs, form bodies.
    Percent,
    /// JSON string escapes, `\u` with surrogate pairs included.
    Json,
    /// Slack's mrkdwn entities, which the Slack preset writes.
    Mrkdwn,
}

impl Encoding {
    /// The byte every escape of this encoding starts with.
    fn escape_start(self) -> u8 {
        match self {
            Encoding::Percent => b'%',
            Encoding::Json => b'\\',
            Encoding::Mrkdwn => b'&',
        }
    }

    /// The escape `bytes` starts with, if any: what it stands for (up to
    /// four bytes) and its own length.
    fn unescape(self, bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
        let hex = |at: usize, digits: usize| -> Option<u32> {
            let digits = bytes.get(at..at + digits)?;
            digits.iter().try_fold(0, |value, &b| Some(value * 16 + char::from(b).to_digit(16)?))
        };
        let char_bytes = |c: char| c.to_string().into_bytes();
        match (self, bytes) {
            (Encoding::Percent, [b'%', ..]) => Some((vec![u8::try_from(hex(1, 2)?).ok()?], 3)),
            (Encoding::Json, [b'\\', b'u', ..]) => {
                let unit = hex(2, 4)?;
                if !(0xD800..0xDC00).contains(&unit) {
                    return Some((char_bytes(char::from_u32(unit)?), 6));
                }
                let low = bytes.get(6..8).filter(|next| *next == b"\\u").and_then(|_| hex(8, 4))?;
                let c = char::decode_utf16([unit as u16, low as u16]).next()?.ok()?;
                Some((char_bytes(c), 12))
            }
            (Encoding::Json, [b'\\', escaped, ..]) => {
                let c = match escaped {
                    b'"' | b'\\' | b'/' => *escaped,
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    _ => return None,
                };
                Some((vec![c], 2))
            }
            (Encoding::Mrkdwn, [b'&', ..]) => [("&amp;", b'&'), ("&lt;", b'<'), ("&gt;", b'>')]
                .into_iter()
                .find(|(entity, _)| bytes.starts_with(entity.as_bytes()))
                .map(|(entity, c)| (vec![c], entity.len())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(url: &str) -> String {
        let url = Url::parse(url).unwrap();
        shown(UrlSecrets::of(&url).mask(&url).as_str())
    }

    #[test]
    fn service_urls_lose_their_secrets() {
        let cases = [
            (
                "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/aBcDeFgHiJkLmNoPqRsTuVwX",
                "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/••••",
            ),
            (
                "https://discord.com/api/webhooks/1234567890123456789/AbC-dEf_123ghIJKlmnOPqrsTUVwxyz0123456789",
                "https://discord.com/api/webhooks/1234567890123456789/••••",
            ),
            ("https://api.telegram.org/bot123456:ABC-DEF1234ghIkl/sendMessage", "https://api.telegram.org/bot••••/sendMessage"),
            ("https://hooks.zapier.com/hooks/catch/123456/abcdef/", "https://hooks.zapier.com/hooks/catch/123456/••••/"),
            ("https://maker.ifttt.com/trigger/autohook/with/key/dAbC123xyz", "https://maker.ifttt.com/trigger/autohook/with/key/••••"),
            (
                "https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=Zm9v",
                "https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=••••&sig=••••",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(masked(url), expected, "{url}");
        }
    }

    #[test]
    fn every_query_value_is_a_credential_whatever_its_name() {
        let cases = [
            ("https://h.test/in?pwd=hunter2&team=ops&flag&empty=", "https://h.test/in?pwd=••••&team=••••&••••&empty="),
            ("https://h.test/in?k=a%26b&k=c+d#pwd=frag", "https://h.test/in?k=••••&k=••••"),
            ("https://h.test/in?text={{data.message}}&key=abc", "https://h.test/in?text={{data.message}}&key=••••"),
        ];
        for (url, expected) in cases {
            assert_eq!(masked(url), expected, "{url}");
        }
        let url = Url::parse("https://h.test/in?k=a%26b&k=c+d&t={{event}}#frag").unwrap();
        assert_eq!(UrlSecrets::of(&url).values().collect::<Vec<_>>(), ["a&b", "c d"], "decoded; the template and fragment are not values");
    }

    #[test]
    fn a_bare_query_component_is_a_credential_however_it_reads() {
        let cases = [
            ("https://h.test/hook?AbCdEf0123456789XyZ", "https://h.test/hook?••••"),
            ("https://h.test/hook?a=1&RAWTOKEN123456789abc", "https://h.test/hook?a=••••&••••"),
            ("https://h.test/hook?hunter2&&t={{event}}&{{id}}", "https://h.test/hook?••••&&t={{event}}&{{id}}"),
        ];
        for (url, expected) in cases {
            assert_eq!(masked(url), expected, "{url}");
        }
        let url = Url::parse("https://h.test/hook?a=1&RAW%20TOKEN+123456789abc").unwrap();
        assert_eq!(UrlSecrets::of(&url).values().collect::<Vec<_>>(), ["1", "RAW TOKEN 123456789abc"], "decoded");
        let redactor = Redactor::new(&UrlSecrets::of(&url).values().collect::<Vec<_>>());
        assert_eq!(redactor.scrub("echo: RAW TOKEN 123456789abc"), "echo: ••••");
    }

    #[test]
    fn token_like_host_labels_are_credentials_and_ordinary_hosts_are_not() {
        let url = Url::parse("https://eo1a2b3c4d5e6f7a8b.m.pipedream.net/").unwrap();
        let secrets = UrlSecrets::of(&url);
        assert_eq!(secrets.values().collect::<Vec<_>>(), ["eo1a2b3c4d5e6f7a8b"]);
        assert_eq!(shown(secrets.mask(&url).as_str()), "https://••••.m.pipedream.net/");
        assert_eq!(secrets.shown_host(&url), "••••.m.pipedream.net");
        assert_eq!(Redactor::new(&secrets.values().collect::<Vec<_>>()).scrub("bin eo1a2b3c4d5e6f7a8b said"), "bin •••• said");
        assert_eq!(
            masked("http://a1b2c3d4e5f6a7b8c9d0.lambda-url.us-east-1.on.aws:8080/x?k=v#f"),
            "http://••••.lambda-url.us-east-1.on.aws:8080/x?k=••••"
        );
        for ordinary in [
            "https://hooks.slack.com/",
            "https://api.example.com/in",
            "http://127.0.0.1:8080/in",
            "http://localhost/in",
            "https://xn--bcher-kva.example/in",
            "https://xn--80akhbyknj4f.xn--p1ai/in",
            "http://[2001:db8:85a3:0:0:8a2e:370:7334]/in",
            "https://my-long-company-name.example/in",
        ] {
            let url = Url::parse(ordinary).unwrap();
            assert!(UrlSecrets::of(&url).is_empty(), "{ordinary}");
            assert_eq!(masked(ordinary), url.as_str(), "{ordinary}");
        }
    }

    #[test]
    fn the_host_mask_is_the_idna_form_of_the_mask() {
        let url = Url::parse(&format!("https://{REDACTED}.test/")).map(|url| url.host_str().map(str::to_string));
        // This build's IDNA back end has no Unicode tables and refuses the
        // bullet; the mask is read back with the same decoder pages use.
        assert!(url.is_err() || url == Ok(Some(format!("{REDACTED_IN_HOST}.test"))));
        assert_eq!(url::quirks::domain_to_unicode(REDACTED_IN_HOST), REDACTED);
    }

    #[test]
    fn a_request_url_keeps_its_envelope_and_rendered_values_shown() {
        let url = Url::parse("https://h.test/in?text={{data.message}}&key=abc").unwrap();
        let secrets = UrlSecrets::of(&url);
        let sent = Url::parse("https://h.test/in?text=abc&key=abc&id=msg_1&key=other").unwrap();
        assert_eq!(shown(secrets.mask(&sent).as_str()), "https://h.test/in?text=abc&key=••••&id=msg_1&key=other");
    }

    #[test]
    fn a_url_without_secrets_or_fragment_is_shown_as_written() {
        let urls = [
            "https://h.test/",
            "http://127.0.0.1:4000/bench",
            "https://xn--80akhbyknj4f.test/a%20b/./c/?",
            "https://[::1]:8443/in/%7B%22a%22%3A1%7D",
            "HTTPS://H.Test:443/p/%2e%2E/q%41/",
            "https://h.test/in?",
        ];
        for text in urls {
            let url = Url::parse(text).unwrap();
            let secrets = UrlSecrets::of(&url);
            assert!(secrets.is_empty(), "{text}");
            let written = url.to_string();
            assert_eq!(secrets.mask(&Url::parse(&written).unwrap()).as_str(), written, "{text}");
            assert_eq!(shown(&written), written, "{text}");
        }
    }

    #[test]
    fn token_like_segments_are_long_and_mix_letters_and_digits() {
        for token in ["0a1b2c3d4e5f6a7b", "550e8400-e29b-41d4-a716-446655440000", "bot123456:AAH-secret", "events-2024-archive"] {
            assert!(is_token_like(token), "{token}");
        }
        for plain in ["autohook", "0a1b2c3d4e5f6a7", "1234567890123456789", "incoming-webhooks-for-the-team"] {
            assert!(!is_token_like(plain), "{plain}");
        }
        assert_eq!(masked("https://example.com/hooks/autohook/1234"), "https://example.com/hooks/autohook/1234");
    }

    #[test]
    fn a_templates_literal_text_is_looked_for_without_its_auth_scheme() {
        let literals = |source: &str| {
            let template = Template::parse(source, crate::template::RequestPart::Header).unwrap();
            template_literals(&template).into_iter().map(str::to_string).collect::<Vec<_>>()
        };
        assert_eq!(literals("sk_live_abc123-{{event}}"), ["sk_live_abc123-"]);
        assert_eq!(literals("Bearer sk_live_abc123{{event}}"), ["sk_live_abc123"]);
        assert_eq!(literals("{{event}}:hmac-key-9f8e7d:{{id}}"), [":hmac-key-9f8e7d:"]);
        assert!(literals("Bearer {{data.token}}").is_empty() && literals("v1={{id}}").is_empty() && literals("{{event}}").is_empty());
    }

    #[test]
    fn headers_are_secret_unless_listed_or_switched_off() {
        assert!(is_secret_header("X-Api-Pass", None) && is_secret_header("X-Team", Some(true)) && is_secret_header("Authorization", None));
        assert!(!is_secret_header("X-Team", Some(false)));
        for listed in NEVER_CREDENTIAL_HEADERS {
            assert!(!is_secret_header(listed, None) && !is_secret_header(&listed.to_ascii_uppercase(), Some(true)), "{listed}");
        }
    }

    #[test]
    fn a_redactor_finds_its_values_plain_and_encoded() {
        let redactor = Redactor::new(&["123456:ABC-DEF", "s3cr\"t é", "short"]);
        let cases = [
            ("x 123456:ABC-DEF y", "x •••• y"),
            ("?t=123456%3AABC-DEF&u=123456%3aABC%2DDEF", "?t=••••&u=••••"),
            (r#"{"a":"s3cr\"t \u00e9","b":"s3cr\"t\u0020é"}"#, r#"{"a":"••••","b":"••••"}"#),
            ("q=s3cr%22t+%C3%A9", "q=••••"),
            // JSON text in a JSON string, and JSON in a query: two encodings deep.
            (r#""{\"a\":\"s3cr\\\"t é\"}""#, r#""{\"a\":\"••••\"}""#),
            ("data=%7B%22a%22%3A%22s3cr%5C%22t%20%C3%A9%22%7D", "data=%7B%22a%22%3A%22••••%22%7D"),
            ("a short one stays", "a short one stays"),
        ];
        for (text, expected) in cases {
            assert_eq!(redactor.scrub(text), expected, "{text}");
        }
    }

    #[test]
    fn overlapping_occurrences_are_hidden_whole_plain_and_encoded() {
        let redactor = Redactor::new(&["ababab"]);
        assert_eq!(redactor.scrub("xabababab"), "x••••");
        assert_eq!(redactor.scrub("x%61babab%61b"), "x••••");
    }

    #[test]
    fn scrubbing_the_start_of_a_text_never_leaves_part_of_a_value_at_the_cut() {
        let redactor = Redactor::new(&["0123456789abcdef"]);
        let text = "log: 0123456789abcdef and on";
        assert_eq!(redactor.scrub_until(text, 10), "log: ••••");
        assert_eq!(redactor.scrub_until(text, 4), "log:");
        assert!(redactor.reach() >= "%30".len() * 16);
    }

    /// A reply a receiver asks to type is scrubbed and stays within its limit.
    #[test]
    fn a_mask_is_shorter_than_any_value_it_hides() {
        assert!(REDACTED.chars().count() < MIN_SECRET_CHARS);
        let text = "abcdef".repeat(10);
        assert_eq!(Redactor::new(&["abcdef"]).scrub(&text), REDACTED.repeat(10));
    }

    #[test]
    fn a_redactor_never_shows_its_values() {
        assert_eq!(format!("{:?}", Redactor::new(&["0123456789"])), "Redactor(<1 values>)");
    }
}
