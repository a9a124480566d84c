//! What the delivery log may keep of a request: header values and URL
//! parts that carry credentials are replaced by `[redacted]`. Many webhook
//! services put the secret in the URL itself (Slack's and Discord's paths,
//! Telegram's bot token, Zapier's catch path, Teams' `sig`), so the URL is
//! redacted as well as the headers.

use url::Url;

/// Stands in for a hidden value.
pub const REDACTED: &str = "[redacted]";
const SENSITIVE_HEADER_WORDS: [&str; 6] = ["auth", "token", "secret", "key", "cookie", "password"];
const SENSITIVE_QUERY_WORDS: [&str; 7] = ["auth", "token", "secret", "key", "password", "sig", "code"];
/// A path segment this long with letters and digits is taken for a token.
const TOKEN_MIN_CHARS: usize = 20;

/// Whether a header's value must not be logged.
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SENSITIVE_HEADER_WORDS.iter().any(|word| lower.contains(word))
}

/// `url` with credential-bearing path segments and query values hidden.
pub fn url(text: &str) -> String {
    let Ok(mut url) = Url::parse(text) else { return text.to_string() };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if let Some(segments) = url.path_segments() {
        let segments: Vec<String> = segments.map(str::to_string).collect();
        let redacted: Vec<String> = segments
            .iter()
            .enumerate()
            .map(|(i, segment)| match segment_is_secret(&host, &segments, i) {
                true if segment.starts_with("bot") => format!("bot{REDACTED}"),
                true => REDACTED.to_string(),
                false => segment.clone(),
            })
            .collect();
        url.set_path(&redacted.join("/"));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(name, value)| {
                let lower = name.to_ascii_lowercase();
                let hide = SENSITIVE_QUERY_WORDS.iter().any(|word| lower.contains(word));
                (name.into_owned(), if hide { REDACTED.to_string() } else { value.into_owned() })
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `[` and `]` are percent-encoded in paths and queries; show them as written.
    url.to_string().replace("%5Bredacted%5D", REDACTED)
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
        _ => {
            segment.chars().count() >= TOKEN_MIN_CHARS
                && segment.chars().any(|c| c.is_ascii_digit())
                && segment.chars().any(|c| c.is_ascii_alphabetic())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_urls_lose_their_secrets() {
        let cases = [
            ("https://hooks.slack.com/services/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", "https://hooks.slack.com/services/T0123ABCD/B0123ABCD/[redacted]"),
            ("https://discord.com/api/webhooks/1234567890123456789/AbC-dEf_123ghIJKlmnOPqrsTUVwxyz0123456789", "https://discord.com/api/webhooks/1234567890123456789/[redacted]"),
            ("https://api.telegram.org/bot123456:ABC-DEF1234ghIkl/sendMessage", "https://api.telegram.org/bot[redacted]/sendMessage"),
            ("https://hooks.zapier.com/hooks/catch/123456/abcdef/", "https://hooks.zapier.com/hooks/catch/123456/[redacted]/"),
            ("https://maker.ifttt.com/trigger/autohook/with/key/dAbC123xyz", "https://maker.ifttt.com/trigger/autohook/with/key/[redacted]"),
            ("https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=Zm9v", "https://x.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=[redacted]"),
            ("https://h.test/in?team=ops&api_key=123&event=x", "https://h.test/in?team=ops&api_key=[redacted]&event=x"),
        ];
        for (url, expected) in cases {
            assert_eq!(self::url(url), expected, "{url}");
        }
    }

    #[test]
    fn plain_urls_are_kept() {
        for url in ["https://example.com/hooks/autohook", "http://127.0.0.1:8080/in?id=msg_1&event=message_sent"] {
            assert_eq!(self::url(url), url);
        }
    }

    #[test]
    fn credential_headers_are_sensitive() {
        assert!(is_sensitive_header("Authorization") && is_sensitive_header("X-Api-Key") && is_sensitive_header("X-Auth-Token"));
        assert!(!is_sensitive_header("X-Team"));
    }
}
