//! Every text parser of outside input on the same bytes: filters, templates
//! for each target, cron, header JSON and URLs. The first byte picks which,
//! so one corpus grows for all of them. Only a panic is a finding.
#![no_main]

use autohook::{Cron, Event, EventKind, Filters, Match, Millis, RequestPart, Template, WebhookConfig, WebhookInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest).into_owned();
    match which % 6 {
        0 => {
            if let Ok(Some(filters)) = Filters::parse(Match::Any, text.lines().map(String::from).collect()) {
                let envelope = serde_json::json!({"event": "error", "data": {"n": 1, "error": "x"}});
                let _ = filters.rejects(&envelope);
            }
        }
        1..=3 => {
            let target = [RequestPart::Json, RequestPart::Header, RequestPart::Query][usize::from(which % 6 - 1)];
            if let Ok(template) = Template::parse(&text, target) {
                for kind in EventKind::ALL {
                    let event = Event::own("msg_1".into(), Millis(1), kind.sample(Millis(1)));
                    let _ = template.render(&event);
                }
            }
        }
        4 => {
            if let Ok(cron) = Cron::parse(&text) {
                let _ = cron.next_after(Millis(1_700_000_000_000), 0);
            }
        }
        _ => {
            let input = WebhookInput { url: Some(text.clone()), headers_json: Some(text), ..WebhookInput::default() };
            let _ = WebhookConfig::create(input);
        }
    }
});
