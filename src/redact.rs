//! What the delivery log may keep of a request and its response: no
//! credential. Two passes:
//!
//! - By place: header values that carry credentials ([`is_sensitive_header`])
//!   and URL parts that do ([`url()`]) become `[redacted]`. Many webhook
//!   services put the secret in the URL itself (Slack's and Discord's paths,
//!   Telegram's bot token, Zapier's catch path, Teams' `sig`).
//! - By value: a [`Redactor`] holds one request's credentials (the signing
//!   secret, credential header values, the URL's secrets) and replaces them
//!   wherever else they appear: the URL, other headers, the body, and the
//!   response, which a receiver may echo. It also finds them percent-encoded
//!   (Telegram's `bot123:ABC` in a query is `bot123%3AABC`), JSON-escaped and
//!   mrkdwn-escaped, up to two encodings deep.

use memchr::memmem::Finder;
use percent_encoding::percent_decode_str;
use url::Url;

/// Stands in for a hidden value.
pub const REDACTED: &str = "[redacted]";
/// Values shorter than this are hidden only where they sit (their header,
/// their URL part), not looked for elsewhere: a 1-character API key or a
/// header such as `X-Api-Key: true` would otherwise black out every `1` or
/// `true` in the log. Six still takes in the shortest credential a
/// supported service hands out: Zapier's catch-hook path secret, shown as
/// `/hooks/catch/123456/abcdef/` in its guides.
pub const MIN_SECRET_CHARS: usize = 6;
const SENSITIVE_HEADER_WORDS: [&str; 6] = ["auth", "token", "secret", "key", "cookie", "password"];
const SENSITIVE_QUERY_WORDS: [&str; 7] = ["auth", "token", "secret", "key", "password", "sig", "code"];
/// A path segment this long with letters and digits is taken for a token.
const TOKEN_MIN_CHARS: usize = 20;
/// Encodings undone, one inside the other, when looking for a value: two
/// covers JSON text inside a JSON string (IFTTT's `value3`, a template's
/// `json` filter) and JSON in a query (a GET's `data`).
const DECODE_LAYERS: u32 = 2;
/// The longest encoding of one byte: `\u00XX`.
const MAX_ESCAPE_BYTES: usize = 6;

/// Whether a header's value must not be logged.
pub fn is_sensitive_header(name: &str) -> bool {
    // Compared in place: asked for every header of every attempt, where a
    // lowercased copy and a searcher per word showed in a burst's profile.
    let name = name.as_bytes();
    (0..name.len()).any(|i| {
        let first = name[i].to_ascii_lowercase();
        SENSITIVE_HEADER_WORDS.iter().any(|word| {
            let word = word.as_bytes();
            word[0] == first && name[i..].get(..word.len()).is_some_and(|part| part.eq_ignore_ascii_case(word))
        })
    })
}

/// `text` as the log may show it, with credential-bearing path segments and
/// query values hidden and the fragment dropped (it is never sent, and
/// pages put tokens there); and the hidden values, decoded, for a
/// [`Redactor`] to look for elsewhere. Text that is not a URL is returned
/// as it is.
pub fn url(text: &str) -> (String, Vec<String>) {
    let Ok(mut url) = Url::parse(text) else { return (text.to_string(), Vec::new()) };
    let mut hidden = Vec::new();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(segments) = url.path_segments() {
        let segments: Vec<String> = segments.map(str::to_string).collect();
        let shown: Vec<String> = segments
            .iter()
            .enumerate()
            .map(|(i, segment)| {
                if !segment_is_secret(&host, &segments, i) {
                    return segment.clone();
                }
                // Telegram's `bot<token>`: the token is the secret, and is what an echo would carry.
                let (prefix, secret) = segment.strip_prefix("bot").map_or(("", segment.as_str()), |token| ("bot", token));
                hidden.push(percent_decode_str(secret).decode_utf8_lossy().into_owned());
                format!("{prefix}{REDACTED}")
            })
            .collect();
        url.set_path(&shown.join("/"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let lower = name.to_ascii_lowercase();
                if !SENSITIVE_QUERY_WORDS.iter().any(|word| lower.contains(word)) {
                    return (name.into_owned(), value.into_owned());
                }
                hidden.push(value.into_owned());
                (name.into_owned(), REDACTED.to_string())
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.set_fragment(None);
    // `[` and `]` are percent-encoded in paths and queries; show them as written.
    (url.to_string().replace("%5Bredacted%5D", REDACTED), hidden)
}

fn segment_is_secret(host: &str, segments: &[String], i: usize) -> bool {
    let segment = &segments[i];
    let previous = |n: usize| i.checked_sub(n).map(|j| segments[j].as_str());
    match host {
        // /bot<id>:<token>/sendMessage
        "api.telegram.org" => segment.starts_with("bot") && segment.contains(':'),
        // /hooks/catch/<account>/<secret>/
        "hooks.zapier.com" => previous(2) == Some("catch"),
        // /trigger/<event>/with/key/<key>
        "maker.ifttt.com" => previous(1) == Some("key"),
        // /services/<team>/<bot>/<secret>, a secret of letters alone in
        // Slack's own examples; its other URLs (workflow triggers) by the general rule.
        "hooks.slack.com" => previous(3) == Some("services") || looks_like_token(segment),
        // /api/webhooks/<id>/<token>
        "discord.com" | "discordapp.com" => previous(2) == Some("webhooks") || looks_like_token(segment),
        _ => looks_like_token(segment),
    }
}

/// A path segment long enough, and mixed enough, to be a token.
fn looks_like_token(segment: &str) -> bool {
    segment.chars().count() >= TOKEN_MIN_CHARS
        && segment.chars().any(|c| c.is_ascii_digit())
        && segment.chars().any(|c| c.is_ascii_alphabetic())
}

/// One request's credentials, replaced by [`REDACTED`] wherever they occur
/// in a text, plain or encoded. Built once per attempt and kept until its
/// response is logged. Pure: the same values and text give the same result.
pub struct Redactor {
    /// The values to find, each also with its spaces form-encoded as `+`,
    /// as searchers built once: a redactor scrubs every header, the URL,
    /// the body and the response of its attempt, and building a searcher
    /// per text was a fifth of the logging's cost.
    needles: Vec<Finder<'static>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor(<{} values>)", self.needles.len())
    }
}

impl Redactor {
    /// A redactor for `values`; those under [`MIN_SECRET_CHARS`] are left out.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut needles = Vec::new();
        for value in values.into_iter().filter(|v| v.chars().count() >= MIN_SECRET_CHARS) {
            if value.contains(' ') {
                needles.push(value.replace(' ', "+"));
            }
            needles.push(value.to_string());
        }
        needles.sort_unstable();
        needles.dedup();
        Redactor { needles: needles.iter().map(|needle| Finder::new(needle).into_owned()).collect() }
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
        if self.needles.is_empty() {
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

    #[test]
    fn service_urls_lose_their_secrets() {
        let cases = [
            (
                "https://hooks.slack.com/services/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",
                "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/[redacted]",
            ),
            (
                "https://discord.com/api/webhooks/1234567890123456789/AbC-dEf_123ghIJKlmnOPqrsTUVwxyz0123456789",
                "https://discord.com/api/webhooks/1234567890123456789/[redacted]",
            ),
            ("https://api.telegram.org/bot123456:ABC-DEF1234ghIkl/sendMessage", "https://api.telegram.org/bot[redacted]/sendMessage"),
            ("https://hooks.zapier.com/hooks/catch/123456/abcdef/", "https://hooks.zapier.com/hooks/catch/123456/[redacted]/"),
            (
                "https://maker.ifttt.com/trigger/autohook/with/key/dAbC123xyz",
                "https://maker.ifttt.com/trigger/autohook/with/key/[redacted]",
            ),
            (
                "https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=Zm9v",
                "https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=[redacted]",
            ),
            ("https://h.test/in?team=ops&api_key=123&event=x", "https://h.test/in?team=ops&api_key=[redacted]&event=x"),
        ];
        for (url, expected) in cases {
            assert_eq!(self::url(url).0, expected, "{url}");
        }
    }

    #[test]
    fn plain_urls_are_kept() {
        for url in ["https://example.com/hooks/autohook", "http://127.0.0.1:8080/in?id=msg_1&event=message_sent"] {
            assert_eq!(self::url(url), (url.to_string(), Vec::new()));
        }
    }

    #[test]
    fn urls_name_the_secrets_they_hide_decoded_and_lose_their_fragment() {
        let (shown, hidden) = url("https://api.telegram.org/bot123456:ABC%20DEF/sendMessage?chat=1&api_key=a+b%26c#token=xyz");
        assert_eq!(shown, "https://api.telegram.org/bot[redacted]/sendMessage?chat=1&api_key=[redacted]");
        assert_eq!(hidden, ["123456:ABC DEF", "a b&c"]);
    }

    #[test]
    fn a_redactor_finds_its_values_plain_and_encoded() {
        let redactor = Redactor::new(["123456:ABC-DEF", "s3cr\"t é", "short"]);
        let cases = [
            ("x 123456:ABC-DEF y", "x [redacted] y"),
            ("?t=123456%3AABC-DEF&u=123456%3aABC%2DDEF", "?t=[redacted]&u=[redacted]"),
            (r#"{"a":"s3cr\"t \u00e9","b":"s3cr\"t\u0020é"}"#, r#"{"a":"[redacted]","b":"[redacted]"}"#),
            ("q=s3cr%22t+%C3%A9", "q=[redacted]"),
            // JSON text in a JSON string, and JSON in a query: two encodings deep.
            (r#""{\"a\":\"s3cr\\\"t é\"}""#, r#""{\"a\":\"[redacted]\"}""#),
            ("data=%7B%22a%22%3A%22s3cr%5C%22t%20%C3%A9%22%7D", "data=%7B%22a%22%3A%22[redacted]%22%7D"),
            ("a short one stays", "a short one stays"),
        ];
        for (text, expected) in cases {
            assert_eq!(redactor.scrub(text), expected, "{text}");
        }
    }

    #[test]
    fn overlapping_occurrences_are_hidden_whole_plain_and_encoded() {
        let redactor = Redactor::new(["ababab"]);
        assert_eq!(redactor.scrub("xabababab"), "x[redacted]");
        assert_eq!(redactor.scrub("x%61babab%61b"), "x[redacted]");
    }

    #[test]
    fn scrubbing_the_start_of_a_text_never_leaves_part_of_a_value_at_the_cut() {
        let redactor = Redactor::new(["0123456789abcdef"]);
        let text = "log: 0123456789abcdef and on";
        assert_eq!(redactor.scrub_until(text, 10), "log: [redacted]");
        assert_eq!(redactor.scrub_until(text, 4), "log:");
        assert!(redactor.reach() >= "%30".len() * 16);
    }

    #[test]
    fn a_redactor_never_shows_its_values() {
        assert_eq!(format!("{:?}", Redactor::new(["0123456789"])), "Redactor(<1 values>)");
    }

    #[test]
    fn credential_headers_are_sensitive() {
        assert!(is_sensitive_header("Authorization") && is_sensitive_header("X-Api-Key") && is_sensitive_header("X-Auth-Token"));
        assert!(is_sensitive_header("COOKIE") && is_sensitive_header("x-webhook-SECRET") && is_sensitive_header("Key"));
        assert!(!is_sensitive_header("X-Team") && !is_sensitive_header("X-Ke") && !is_sensitive_header(""));
    }
}
