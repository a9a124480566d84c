//! Acting on replies (`actOnReplies`) with a simulated clock: what a
//! receiver's `autohook` object types or changes, what the log says of it,
//! and that a reply is acted on once, whatever stops when.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use autohook::limits::{MAX_REPLY_CHARS, REPLY_BODY_BYTES, REPLY_NOTIFICATIONS_PER_HOUR};
use autohook::{
    parse_reply, Asked, Cause, Control, Delivery, DeliveryState, EventKind, Millis, Notification, NotificationKind, Selectors, SendFailure,
    Status, Transmit,
};
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::common::{regressions, response, Sim, NOON};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;

/// A webhook for every event with `actOnReplies` as given, a chat target,
/// and a campaign of two phrases a minute apart, not yet started.
fn sim(act_on_replies: bool) -> Sim {
    campaign_every(act_on_replies, 60)
}

/// As [`sim`], the phrases `seconds` apart.
fn campaign_every(act_on_replies: bool, seconds: u32) -> Sim {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": act_on_replies}));
    let selectors = Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings = json!({"phrases": ["one", "two"], "order": "sequential", "intervalMinSeconds": seconds,
        "intervalMaxSeconds": seconds, "dailyLimit": 0});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim
}

/// The event a request carries, as (name, data).
fn event_of(transmit: &Transmit) -> (String, Value) {
    let body: Value = serde_json::from_str(transmit.request.body.as_deref().unwrap_or("{}")).unwrap();
    (body["event"].as_str().unwrap().to_string(), body["data"].clone())
}

/// Runs the world until `until`: writes, then types every message and
/// answers every request with `answer(event, data)` (a 200 with that body).
/// Returns the texts typed.
fn run_until(sim: &mut Sim, until: Millis, mut answer: impl FnMut(&str, &Value) -> String) -> Vec<String> {
    sim.run_until(until, |transmit| {
        let (event, data) = event_of(transmit);
        response(200, &answer(&event, &data))
    })
}

/// Deliveries of `event`, oldest first.
fn deliveries_of(sim: &Sim, event: &str) -> Vec<Delivery> {
    let mut found: Vec<Delivery> = sim.engine.deliveries().filter(|d| d.event.kind.as_str() == event).cloned().collect();
    found.reverse();
    found
}

fn action(sim: &Sim, event: &str) -> Option<String> {
    deliveries_of(sim, event).first().and_then(|d| d.reply_action.clone())
}

fn start(sim: &mut Sim) {
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
}

#[test]
fn a_reply_is_typed_once_as_the_next_message_and_raises_message_sent_from_reply() {
    let mut sim = sim(true);
    start(&mut sim);
    let typed = run_until(&mut sim, NOON.plus(2 * MINUTE), |event, _| match event {
        "campaign_started" => r#"{"autohook": {"reply": "pong"}}"#.into(),
        // A workflow that answers every message: its answers to the reply are not acted on.
        _ => r#"{"autohook": {"reply": "again"}}"#.into(),
    });
    assert_eq!(typed, ["one", "pong", "two"], "the reply takes the next send's place, once");
    assert_eq!(action(&sim, "campaign_started").as_deref(), Some("reply queued as the campaign's next message, then typed in the chat"));
    let sent = deliveries_of(&sim, "message_sent");
    let from_reply: Vec<&Delivery> = sent.iter().filter(|d| d.event.data.to_value()["source"] == "reply").collect();
    assert_eq!(from_reply.len(), 1);
    assert_eq!(from_reply[0].event.data.to_value()["message"], "pong");
    assert_eq!(from_reply[0].reply_action.as_deref(), Some(CAUSED_BY_REPLY));
    // A phrase's message_sent carries no source; answering it queues a reply (one per interval).
    assert!(sent[0].event.data.to_value().get("source").is_none());
    assert_eq!(sim.engine.campaign().view(None, sim.now)["totalMessagesSent"], 3);
}

/// A batch holding a reply-sourced message_sent is acted on: the loop the
/// issue forbids ("replies to deliveries of such events are never acted on").
/// (Once a defect: found by an adversarial review of #16.)
#[test]
fn a_batch_carrying_a_reply_sourced_message_is_not_acted_on() {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": true, "events": ["message_sent"],
        "batch": {"maxEvents": 2, "maxWaitSeconds": 1}}));
    let selectors = Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings = json!({"phrases": ["one"], "order": "sequential", "intervalMinSeconds": 60, "intervalMaxSeconds": 60, "dailyLimit": 0});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
    // A workflow that answers every delivery with a reply.
    let typed = sim.run_until(NOON.plus(10 * MINUTE), |_| response(200, r#"{"autohook": {"reply": "pong"}}"#));
    // Each phrase may earn a pong; a pong never earns another.
    let (pongs, ones) = (typed.iter().filter(|t| *t == "pong").count(), typed.iter().filter(|t| *t == "one").count());
    assert!(pongs > 0 && pongs <= ones, "a reply answered a reply: typed {typed:?}");
    let answered = sim.engine.deliveries().filter(|d| d.state == DeliveryState::Delivered);
    let from_replies: Vec<_> =
        answered.filter(|d| d.batch.iter().any(|e| e.data.to_value().get("source") == Some(&json!("reply")))).collect();
    assert!(!from_replies.is_empty(), "the workflow saw its own pongs");
    for delivery in from_replies {
        assert_eq!(delivery.reply_action.as_deref(), Some(CAUSED_BY_REPLY), "{delivery:?}");
    }
}

/// What the log says of a reply to an event an acted-on reply caused.
const CAUSED_BY_REPLY: &str = "not acted on: the event was caused by an acted-on reply";

#[test]
fn replies_pause_resume_and_stop_the_campaign_at_most_once_per_interval() {
    let mut sim = sim(true);
    start(&mut sim);
    let control = |word: &str| format!(r#"{{"autohook": {{"campaign": "{word}"}}}}"#);
    let answer = |event: &str, _: &Value| match event {
        "campaign_started" => control("pause"),
        "error" => control("resume"),
        "milestone" => control("stop"),
        _ => "{}".into(),
    };
    run_until(&mut sim, NOON, answer);
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    assert_eq!(action(&sim, "campaign_started").as_deref(), Some("campaign paused"));

    // Within the campaign's interval (60 s) of the pause, a second control is not obeyed.
    sim.emit("error");
    run_until(&mut sim, NOON.plus(MINUTE - 1000), answer);
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    assert_eq!(
        action(&sim, "error").as_deref(),
        Some("campaign not resumed: a reply already changed the campaign 0 s ago; at most one such change per interval (60 s)")
    );

    // An interval later it is; the resumed campaign waits a whole interval before its next message.
    sim.now = NOON.plus(2 * MINUTE);
    sim.emit("error");
    let resumed_at = sim.now;
    let typed = run_until(&mut sim, resumed_at.plus(MINUTE - 1000), answer);
    assert_eq!(*sim.engine.campaign().status(), Status::Running);
    let second = deliveries_of(&sim, "error").pop().unwrap();
    assert_eq!(second.reply_action.as_deref(), Some("campaign resumed"));
    assert!(typed.is_empty(), "a reply's resume sends nothing before the interval: {typed:?}");
    assert_eq!(run_until(&mut sim, resumed_at.plus(MINUTE), answer).len(), 1);

    // What the state does not allow is said, not done.
    sim.now = sim.now.plus(2 * MINUTE);
    sim.engine.control_campaign(Control::Stop, sim.now).unwrap();
    sim.emit("milestone");
    let now = sim.now;
    run_until(&mut sim, now, answer);
    assert_eq!(action(&sim, "milestone").as_deref(), Some("campaign not stopped: the campaign is not running, so it cannot stop"));
}

/// The loop an adversarial review found: a receiver that answers
/// message_sent with pause and campaign_paused with resume made a campaign
/// of one message every 600 s type 34 messages in 12 s. The pause its reply
/// caused is a reply's event: the resume answering it is not obeyed.
#[test]
fn a_reply_to_an_event_an_acted_on_reply_caused_is_never_acted_on_at_any_depth() {
    let mut sim = campaign_every(true, 600);
    start(&mut sim);
    let looping = |event: &str, _: &Value| match event {
        "message_sent" => r#"{"autohook": {"campaign": "pause"}}"#.to_string(),
        "campaign_paused" | "campaign_resumed" => r#"{"autohook": {"campaign": "resume", "reply": "again"}}"#.to_string(),
        _ => "{}".into(),
    };
    let typed = run_until(&mut sim, NOON.plus(3_600_000), looping);
    assert_eq!(typed, ["one"], "one message, then the pause its reply asked for");
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    assert_eq!(action(&sim, "message_sent").as_deref(), Some("campaign paused"));
    assert_eq!(action(&sim, "campaign_paused").as_deref(), Some(CAUSED_BY_REPLY));
    let paused = &deliveries_of(&sim, "campaign_paused")[0];
    let replier = sim.engine.webhooks()[0].id.clone();
    assert_eq!(paused.event.cause, Cause::Reply(replier), "the cause, naming the replying webhook, is stored with the event");
}

#[test]
fn keys_other_than_reply_and_campaign_are_logged_as_ignored_with_the_reason() {
    let mut sim = sim(true);
    start(&mut sim);
    let body = r#"{"autohook": {"reply": "hi", "campaign": "restart", "delete": true}}"#;
    run_until(&mut sim, NOON, |event, _| if event == "campaign_started" { body.into() } else { "{}".into() });
    assert_eq!(
        action(&sim, "campaign_started").as_deref(),
        Some(
            r#"reply queued as the campaign's next message; ignored: campaign must be pause, resume or stop, not "restart"; ignored: "delete" is not reply or campaign"#
        )
    );
}

#[test]
fn a_reply_that_arrives_while_a_phrase_is_being_typed_is_the_next_message() {
    let mut sim = sim_started(true);
    sim.persist();
    let drained = sim.drain();
    let [phrase] = &drained.typed[..] else { panic!("one phrase due: {drained:?}") };
    let started = drained.transmits.iter().find(|t| event_of(t).0 == "campaign_started").unwrap();
    sim.respond(started, response(200, r#"{"autohook": {"reply": "pong"}}"#));
    sim.persist();
    sim.engine.campaign_sent(phrase.seq, Ok(phrase.text.clone()), sim.now);
    let typed = run_until(&mut sim, NOON.plus(MINUTE), |_, _| "{}".into());
    assert_eq!(typed, ["pong"]);
}

#[test]
fn at_most_one_reply_is_typed_per_campaign_interval() {
    let mut sim = sim(true);
    start(&mut sim);
    let mut n = 0;
    let typed = run_until(&mut sim, NOON.plus(MINUTE), |_, _| {
        n += 1;
        format!(r#"{{"autohook": {{"reply": "r{n}"}}}}"#)
    });
    // campaign_started → r1 queued; message_sent("one") → r2 refused; r1
    // typed a minute later, and replies to it are not acted on.
    assert_eq!(typed, ["one", "r1"]);
    let sent = deliveries_of(&sim, "message_sent");
    assert_eq!(
        sent[0].reply_action.as_deref(),
        Some("reply not acted on: a reply is already waiting to be typed (at most one per campaign interval)")
    );
}

#[test]
fn a_worker_stop_right_after_the_reply_types_it_exactly_once() {
    for saved in [true, false] {
        let mut sim = sim(true);
        start(&mut sim);
        sim.persist();
        let drained = sim.drain();
        let started = drained.transmits.iter().find(|t| event_of(t).0 == "campaign_started").unwrap().clone();
        sim.respond(&started, response(200, r#"{"autohook": {"reply": "pong"}}"#));
        // Not typed before the write holding the decision is saved.
        assert!(sim.drain().typed.iter().all(|c| c.text != "pong"));
        if saved {
            sim.restart();
        } else {
            // The result never reached storage: the delivery is retried and
            // its reply decides afresh.
            sim.restart_from_storage();
        }
        let mut asked_again = 0;
        let typed = run_until(&mut sim, NOON.plus(3 * MINUTE), |event, _| {
            if event != "campaign_started" {
                return "{}".into();
            }
            asked_again += 1;
            r#"{"autohook": {"reply": "pong"}}"#.into()
        });
        let pongs = typed.iter().filter(|t| *t == "pong").count();
        assert_eq!(pongs, 1, "saved: {saved}, typed: {typed:?}");
        assert_eq!(asked_again, if saved { 0 } else { 1 }, "saved: {saved}");
    }
}

#[test]
fn a_reply_with_no_chat_target_is_logged_as_no_chat_to_reply_in() {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": true}));
    sim.emit("error");
    run_until(&mut sim, NOON, |_, _| r#"{"autohook": {"reply": "pong"}}"#.into());
    assert_eq!(action(&sim, "error").as_deref(), Some("reply not acted on: no chat to reply in"));
}

#[test]
fn replies_to_test_are_shown_never_acted_on() {
    let mut sim = sim(true);
    start(&mut sim);
    let id = sim.engine.webhooks()[0].id.clone();
    sim.engine.test(&id, sim.now).unwrap();
    let body = r#"{"autohook": {"reply": "pong", "campaign": "stop"}}"#;
    let typed = run_until(&mut sim, NOON.plus(MINUTE), |event, _| if event == "test" { body.into() } else { "{}".into() });
    assert_eq!(typed, ["one", "two"]);
    assert_eq!(*sim.engine.campaign().status(), Status::Running);
    let test = &deliveries_of(&sim, "test")[0];
    assert_eq!(test.attempts[0].response_body.as_deref(), Some(body), "shown");
    assert_eq!(test.reply_action.as_deref(), Some("not acted on: replies to Test are only shown"));
}

#[test]
fn without_act_on_replies_nothing_is_acted_on_or_logged_and_the_usual_bytes_are_read() {
    let mut sim = sim_started(false);
    sim.persist();
    assert!(sim.drain().transmits.iter().all(|t| t.response_bytes < REPLY_BODY_BYTES));
    let mut sim = sim_started(false);
    let typed = run_until(&mut sim, NOON.plus(MINUTE), |_, _| r#"{"autohook": {"reply": "pong", "campaign": "stop"}}"#.into());
    assert_eq!(typed, ["one", "two"]);
    assert!(sim.engine.deliveries().all(|d| d.reply_action.is_none()));
    assert_eq!(*sim.engine.campaign().status(), Status::Running);
}

fn sim_started(act_on_replies: bool) -> Sim {
    let mut sim = sim(act_on_replies);
    start(&mut sim);
    sim
}

#[test]
fn a_webhook_that_acts_on_replies_reads_enough_for_the_longest_reply_escaped() {
    let mut sim = sim_started(true);
    sim.persist();
    let transmits = sim.drain().transmits;
    assert!(!transmits.is_empty() && transmits.iter().all(|t| t.response_bytes == REPLY_BODY_BYTES));
    // 2,000 characters, each a surrogate pair written as escapes.
    let longest = format!(r#"{{"autohook": {{"reply": "{}"}}}}"#, r"\ud83d\ude00".repeat(MAX_REPLY_CHARS));
    assert!(longest.len() < REPLY_BODY_BYTES);
    let Some(Ok(asked)) = parse_reply(&longest) else { panic!("not read") };
    assert_eq!(asked.reply.map(|r| r.chars().count()), Some(MAX_REPLY_CHARS));
}

/// A reply that echoes a credential is typed with it masked: a mask is
/// shorter than what it hides, so the reply stays within its limit.
/// (Once a defect, when the mask was longer: found by an adversarial review of #16.)
#[test]
fn a_reply_echoing_a_credential_is_typed_masked_and_the_campaign_control_still_runs() {
    let mut sim = Sim::at(5, NOON);
    sim.webhook(json!({"url": "https://h.test/", "actOnReplies": true, "headers": {"X-Api-Key": "abcdef12"}}));
    let selectors = Selectors { input: "#msg".into(), button: None };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    let settings =
        json!({"phrases": ["one", "two"], "order": "sequential", "intervalMinSeconds": 60, "intervalMaxSeconds": 60, "dailyLimit": 0});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim.engine.control_campaign(Control::Start, sim.now).unwrap();
    let text = "abcdef12".repeat(250);
    let body = json!({"autohook": {"reply": text, "campaign": "pause"}}).to_string();
    let t = sim.transmits();
    assert_eq!(t.len(), 1);
    sim.respond(&t[0], response(200, &body));
    let action = sim.engine.deliveries().find_map(|d| d.reply_action.clone());
    assert_eq!(*sim.engine.campaign().status(), Status::Paused, "{action:?}");
    assert!(!action.as_deref().unwrap().contains("ignored"), "{action:?}");
}

#[test]
fn hostile_bodies_are_logged_not_acted_on_and_never_panic() {
    let too_long = format!(r#"{{"autohook": {{"reply": "{}"}}}}"#, "a".repeat(MAX_REPLY_CHARS + 1));
    let huge = format!(r#"{{"pad": "{}", "autohook": {{"reply": "x"}}}}"#, "a".repeat(REPLY_BODY_BYTES));
    let cut = &huge[..REPLY_BODY_BYTES];
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_inside = format!(r#"{{"autohook": {{"reply": {}{}}}}}"#, "[".repeat(200), "]".repeat(200));
    let cases: Vec<(&str, Option<Result<Asked, String>>)> = vec![
        ("", None),
        ("OK", Some(Err("the body is not JSON (expected value at line 1 column 1)".into()))),
        (r#"{"ok": true}"#, None),
        ("[1, 2]", None),
        (r#"{"autohook": "reply"}"#, Some(Err("autohook is not an object".into()))),
        (r#"{"autohook": {"reply": 5, "campaign": ["stop"]}}"#, Some(Ok(ignored(&["reply is not a string", "campaign is not a string"])))),
        (r#"{"autohook": {"reply": "  "}}"#, Some(Ok(ignored(&["reply is empty"])))),
        (&too_long, Some(Ok(ignored(&["reply is 2001 characters; at most 2000"])))),
        (cut, Some(Err(format!("the body is longer than the {REPLY_BODY_BYTES} bytes AutoHook reads")))),
        (&huge, Some(Err(format!("the body is longer than the {REPLY_BODY_BYTES} bytes AutoHook reads")))),
    ];
    for (body, expected) in cases {
        assert_eq!(parse_reply(body), expected, "{}", &body[..body.len().min(60)]);
    }
    for body in [&deep, &deep_inside] {
        assert!(matches!(parse_reply(body), Some(Err(why)) if why.contains("recursion limit")), "{}", &body[..20]);
    }
    let many: String = (0..50).map(|i| format!(r#""k{i}": {i}, "#)).collect();
    let Some(Ok(asked)) = parse_reply(&format!(r#"{{"autohook": {{{many} "reply": "x"}}}}"#)) else { panic!() };
    assert_eq!(asked.ignored.len(), 6, "five named, the rest counted: {:?}", asked.ignored);
    assert_eq!(asked.ignored[5], "45 more keys");

    // Through the engine: logged on the delivery, the campaign untouched.
    let mut sim = sim_started(true);
    let typed =
        run_until(&mut sim, NOON.plus(MINUTE), |event, _| if event == "campaign_started" { deep.clone() } else { too_long.clone() });
    assert_eq!(typed, ["one", "two"]);
    assert!(action(&sim, "campaign_started").unwrap().starts_with("not acted on: the body is not JSON (recursion limit exceeded"));
    assert_eq!(deliveries_of(&sim, "message_sent")[0].reply_action.as_deref(), Some("ignored: reply is 2001 characters; at most 2000"));
}

fn ignored(reasons: &[&str]) -> Asked {
    Asked { ignored: reasons.iter().map(|r| r.to_string()).collect(), ..Asked::default() }
}

#[test]
fn a_stop_drops_the_queued_reply_and_its_log_says_so() {
    let mut sim = sim_started(true);
    let typed = run_until(&mut sim, NOON, |event, _| match event {
        "campaign_started" => r#"{"autohook": {"reply": "pong"}}"#.into(),
        _ => "{}".into(),
    });
    assert_eq!(typed, ["one"]);
    sim.engine.control_campaign(Control::Stop, sim.now).unwrap();
    assert_eq!(
        action(&sim, "campaign_started").as_deref(),
        Some("reply queued as the campaign's next message, then not typed: the campaign stopped first")
    );
    start(&mut sim);
    let typed = run_until(&mut sim, NOON, |_, _| "{}".into());
    assert_eq!(typed, ["two"], "a new run does not type an old reply");
}

/// A reply can type into the user's chat, so acting on replies needs a
/// channel no one else can write to: https, or an address on this machine.
/// Plain http elsewhere is refused when saved, naming the field, on create
/// and on update, and nothing changes.
#[test]
fn acting_on_replies_needs_https_or_a_loopback_address() {
    let mut sim = Sim::new(1);
    for url in [
        "https://h.test/", "http://127.0.0.1:8080/in", "http://127.1.2.3/in", "http://[::1]:9000/in", "http://localhost/in",
        "http://LOCALHOST:1/",
    ] {
        let created = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": url, "actOnReplies": true}}));
        assert_eq!(created["value"]["actOnReplies"], true, "{url}: {created}");
    }
    let before = sim.ask(json!({"type": "webhooks.list"}));
    for url in ["http://h.test/", "http://192.168.1.10/in", "http://10.0.0.1/", "http://localhost.evil.test/", "http://[::2]/"] {
        let refused = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": url, "actOnReplies": true}}));
        assert_eq!(
            (&refused["error"]["code"], &refused["error"]["field"]),
            (&json!("invalid_input"), &json!("actOnReplies")),
            "{url}: {refused}"
        );
        assert!(refused["error"]["message"].as_str().unwrap().starts_with("actOnReplies needs an https URL or a loopback one"));
    }
    let plain = sim.ask(json!({"type": "webhooks.create", "webhook": {"url": "http://h.test/"}}))["value"]["id"].clone();
    let before_update = sim.ask(json!({"type": "webhooks.list"}));
    assert_eq!(before_update["value"].as_array().unwrap().len(), before["value"].as_array().unwrap().len() + 1);
    let refused = sim.ask(json!({"type": "webhooks.update", "id": plain, "changes": {"actOnReplies": true}}));
    assert_eq!(refused["error"]["field"], "actOnReplies", "{refused}");
    let https_first = sim.ask(json!({"type": "webhooks.list"}))["value"][0]["id"].clone();
    let downgraded = sim.ask(json!({"type": "webhooks.update", "id": https_first, "changes": {"url": "http://h.test/"}}));
    assert_eq!(downgraded["error"]["field"], "actOnReplies", "moving an acting webhook to plain http is refused too: {downgraded}");
    assert_eq!(sim.ask(json!({"type": "webhooks.list"})), before_update, "nothing changed");
}

/// With the chat tab gone every send fails: an error, then a pause. A
/// workflow that answers error with resume may resume the campaign once;
/// the failed send after that resume raises the reply's error and pause,
/// which are not acted on, so it cannot resume, fail and notify forever.
#[test]
fn a_reply_resuming_a_campaign_whose_sends_fail_does_so_once() {
    let mut sim = campaign_every(true, 60);
    start(&mut sim);
    let until = NOON.plus(3_600_000);
    let mut failed_sends = 0;
    loop {
        sim.persist();
        let drained = sim.drain();
        if drained.transmits.is_empty() && drained.typed.is_empty() {
            match drained.wake {
                Some(at) if at > sim.now && at <= until => sim.now = at,
                _ => break,
            }
            continue;
        }
        for command in drained.typed {
            failed_sends += 1;
            sim.engine.campaign_sent(command.seq, Err(SendFailure::Failed("the chat tab is closed".into())), sim.now);
        }
        for transmit in drained.transmits {
            let resume = event_of(&transmit).0 == "error";
            sim.respond(&transmit, response(200, if resume { r#"{"autohook": {"campaign": "resume"}}"# } else { "{}" }));
        }
    }
    assert_eq!(failed_sends, 2, "the first send, and one after the reply's resume");
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    let errors = deliveries_of(&sim, "error");
    let actions: Vec<Option<&str>> = errors.iter().map(|d| d.reply_action.as_deref()).collect();
    assert_eq!(actions, [Some("campaign resumed"), Some(CAUSED_BY_REPLY)]);
}

/// A message_sent stored by 1.0.0, before events carried their cause, is a
/// reply's by its `"source": "reply"`: its replies are still not acted on
/// after an upgrade.
#[test]
fn a_stored_reply_message_without_a_cause_is_still_a_replys() {
    let stored: autohook::Event = serde_json::from_value(json!({
        "id": "msg_1", "kind": "message_sent", "at": 1, "data": {"message": "pong", "source": "reply"}
    }))
    .unwrap();
    assert_eq!(stored.cause, Cause::Outside, "no cause was stored then");
    let mut sim = sim(true);
    start(&mut sim);
    let id = sim.engine.emit("message_sent", stored.data.to_value(), sim.now).unwrap().pop().unwrap();
    let pause_on_pong = |event: &str, data: &Value| match (event, data["message"].as_str()) {
        ("message_sent", Some("pong")) => r#"{"autohook": {"campaign": "pause"}}"#.to_string(),
        _ => "{}".to_string(),
    };
    run_until(&mut sim, NOON, pause_on_pong);
    assert_eq!(sim.engine.delivery(&id).unwrap().reply_action.as_deref(), Some(CAUSED_BY_REPLY));
    assert_eq!(*sim.engine.campaign().status(), Status::Running);
}

// ----- what replies may set off: notifications, limits -----

/// What a receiver answers to one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Pause,
    Resume,
    Stop,
    /// A reply to type.
    Text,
    /// Nothing for AutoHook.
    Nothing,
}

impl Answer {
    fn body(self) -> &'static str {
        match self {
            Answer::Pause => r#"{"autohook": {"campaign": "pause"}}"#,
            Answer::Resume => r#"{"autohook": {"campaign": "resume"}}"#,
            Answer::Stop => r#"{"autohook": {"campaign": "stop"}}"#,
            Answer::Text => r#"{"autohook": {"reply": "pong"}}"#,
            Answer::Nothing => "{}",
        }
    }

    fn control(self) -> Option<Control> {
        match self {
            Answer::Pause => Some(Control::Pause),
            Answer::Resume => Some(Control::Resume),
            Answer::Stop => Some(Control::Stop),
            Answer::Text | Answer::Nothing => None,
        }
    }
}

/// A notification shown, when, and the cause of what set it off.
#[derive(Clone, Debug)]
struct Shown {
    at: Millis,
    kind: NotificationKind,
    cause: Cause,
}

/// How the receivers answer a delivery: a status and an [`Answer`].
type Receivers = Box<dyn FnMut(&Delivery) -> (u16, Answer)>;

/// A campaign whose chat tab types or fails each message by its turn,
/// receivers answering each delivery as `answer` says (a status and an
/// [`Answer`]), and a record of what came of it.
struct World {
    sim: Sim,
    answer: Receivers,
    /// Whether each message typed goes out (in turn, cycled); false: the
    /// chat tab is closed.
    tab: Vec<bool>,
    tab_turn: usize,
    /// Every notification shown.
    shown: Vec<Shown>,
    /// Every event delivered, by id: its kind, when it happened and its cause.
    events: BTreeMap<String, (EventKind, Millis, Cause)>,
    /// When the tab was asked to type each message, and whether it went out.
    sends: Vec<(Millis, bool)>,
    /// Each control a 2xx reply asked for, with what its delivery's log says.
    controls: Vec<(Control, Option<String>)>,
    /// When the user started or resumed the campaign, and how many sends
    /// there had been before.
    stepped_in: Vec<(Millis, usize)>,
}

impl World {
    fn new(sim: Sim, tab: Vec<bool>, answer: impl FnMut(&Delivery) -> (u16, Answer) + 'static) -> World {
        World {
            sim,
            answer: Box::new(answer),
            tab,
            tab_turn: 0,
            shown: Vec::new(),
            events: BTreeMap::new(),
            sends: Vec::new(),
            controls: Vec::new(),
            stepped_in: Vec::new(),
        }
    }

    /// The user starts, pauses, resumes or stops the campaign, if its state allows.
    fn user(&mut self, control: Control) {
        let obeyed = self.sim.engine.control_campaign(control, self.sim.now).is_ok();
        if obeyed && matches!(control, Control::Start | Control::Resume) {
            self.stepped_in.push((self.sim.now, self.sends.len()));
        }
    }

    /// Runs until `until` (or now, if that is earlier), as [`Sim::run_until`]
    /// does with this world's tab and receivers.
    fn run(&mut self, until: Millis) {
        loop {
            self.sim.persist();
            let drained = self.sim.drain();
            for notification in &drained.notified {
                let shown = Shown { at: self.sim.now, kind: notification.kind, cause: self.cause_of(notification) };
                self.shown.push(shown);
            }
            let now = self.sim.now;
            if drained.transmits.is_empty() && drained.typed.is_empty() {
                match drained.wake {
                    Some(at) if at > now && at <= until => self.sim.now = at,
                    // What the drain itself raised (a scheduled start or stop, a pause) is sent once written.
                    _ if self.sim.persist() => {}
                    _ => break,
                }
                continue;
            }
            for command in drained.typed {
                let types = self.tab[self.tab_turn % self.tab.len()];
                self.tab_turn += 1;
                let result = if types { Ok(command.text) } else { Err(SendFailure::Failed("the chat tab is closed".into())) };
                self.sends.push((now, types));
                self.sim.engine.campaign_sent(command.seq, result, now);
            }
            for transmit in drained.transmits {
                let delivery = self.sim.engine.delivery(&transmit.delivery_id).unwrap().clone();
                let event = &delivery.event;
                self.events.insert(event.id.clone(), (event.kind, event.at, event.cause.clone()));
                let (status, answer) = (self.answer)(&delivery);
                self.sim.respond(&transmit, response(status, answer.body()));
                if let (200..=299, Some(control)) = (status, answer.control()) {
                    self.controls.push((control, self.sim.engine.delivery(&delivery.id).unwrap().reply_action.clone()));
                }
            }
        }
        self.sim.now = self.sim.now.max(until);
    }

    /// What set off `notification`, shown now: the campaign event it
    /// reports, raised just now, or the delivery whose failure it reports.
    fn cause_of(&self, notification: &Notification) -> Cause {
        let now = self.sim.now;
        let event = |kind: EventKind| self.sim.engine.deliveries().find(|d| d.event.kind == kind && d.event.at == now);
        let found = match notification.kind {
            // Only at a start, from what storage held: no event sets it off.
            NotificationKind::RecordsUnopenable => return Cause::Outside,
            NotificationKind::CampaignPaused => event(EventKind::Error),
            NotificationKind::DailyLimit => event(EventKind::DailyLimitReached),
            NotificationKind::Failing | NotificationKind::Disabled => self.sim.engine.deliveries().find(|d| {
                Some(d.webhook_id.as_str()) == notification.webhook_id.as_deref()
                    && d.state == DeliveryState::Failed
                    && d.finished_at == Some(now)
            }),
        };
        // A "turned off" notice the cap dropped is shown at the webhook's next event, held.
        let found = found.or_else(|| {
            let held = |d: &&Delivery| {
                Some(d.webhook_id.as_str()) == notification.webhook_id.as_deref() && d.state == DeliveryState::Held && d.created_at == now
            };
            self.sim.engine.deliveries().find(held).filter(|_| notification.kind == NotificationKind::Disabled)
        });
        found.unwrap_or_else(|| panic!("nothing set off {notification:?} at {now:?}")).cause().clone()
    }

    /// When each message that went out was typed.
    fn typed_at(&self) -> Vec<Millis> {
        self.sends.iter().filter(|(_, typed)| *typed).map(|(at, _)| *at).collect()
    }

    /// When each event of `kind` delivered happened, with its cause.
    fn events_of(&self, kind: EventKind) -> Vec<(Millis, &Cause)> {
        let mut found: Vec<(Millis, &Cause)> =
            self.events.values().filter(|(k, ..)| *k == kind).map(|(_, at, cause)| (*at, cause)).collect();
        found.sort_by_key(|(at, _)| *at);
        found
    }

    /// The notifications shown that the replies of `webhook_id` set off.
    fn shown_for(&self, webhook_id: &str) -> Vec<&Shown> {
        self.shown.iter().filter(|shown| shown.cause.replier() == Some(webhook_id)).collect()
    }

    /// The most notifications that the replies of `webhook_id` set off
    /// shown within any hour.
    fn most_in_an_hour(&self, webhook_id: &str) -> usize {
        let shown = self.shown_for(webhook_id);
        shown.iter().map(|last| shown.iter().filter(|s| s.at <= last.at && last.at.since(s.at) < HOUR).count()).max().unwrap_or(0)
    }
}

/// Webhooks that act on replies, each for every event, and a campaign of
/// two phrases `seconds` apart; the daily-limit notification is on.
fn acting_webhooks(count: usize, seconds: u32, daily_limit: u32) -> (Sim, Vec<String>) {
    let mut sim = campaign_every(true, seconds);
    let settings = json!({"dailyLimit": daily_limit});
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), sim.now).unwrap();
    sim.engine.set_notifications(serde_json::from_value(json!({"dailyLimit": true})).unwrap());
    let mut ids = vec![sim.engine.webhooks()[0].id.clone()];
    for n in 1..count {
        ids.push(sim.webhook(json!({"url": format!("https://h{n}.test/"), "actOnReplies": true})));
    }
    (sim, ids)
}

/// The loop #26 feared: a receiver answering every delivery with pause,
/// then resume, then pause…, a chat tab that fails every message, and an
/// outside event every two minutes for four hours. Each resume it gets in
/// (one per interval) ends in an error and a pause, and each of those would
/// notify; at most three an hour do, across a worker stop every seven minutes.
#[test]
fn a_receiver_pausing_and_resuming_on_every_reply_notifies_at_most_three_times_an_hour_across_restarts() {
    let (sim, ids) = acting_webhooks(1, 60, 0);
    let mut turn = 0;
    let mut world = World::new(sim, vec![false], move |_| {
        turn += 1;
        (200, if turn % 2 == 0 { Answer::Pause } else { Answer::Resume })
    });
    world.user(Control::Start);
    for minute in 0..4 * 60 {
        if minute % 2 == 0 {
            world.sim.emit("milestone");
        }
        if minute % 7 == 3 {
            world.sim.restart();
        }
        let next = world.sim.now.plus(MINUTE);
        world.run(next);
    }
    let replier = &ids[0];
    assert_eq!(world.most_in_an_hour(replier), REPLY_NOTIFICATIONS_PER_HOUR);
    // The cap is reached every hour, not merely respected: each hour shows three.
    for hour in 0..4 {
        let start = NOON.plus(hour * HOUR);
        let in_hour = world.shown_for(replier).iter().filter(|s| s.at >= start && s.at < start.plus(HOUR)).count();
        assert_eq!(in_hour, REPLY_NOTIFICATIONS_PER_HOUR, "hour {hour}");
    }
    // Every pause still happened and was delivered: far more than were shown.
    let paused_by_replies = world.events_of(EventKind::Error).iter().filter(|(_, cause)| cause.replier() == Some(replier.as_str())).count();
    assert!(paused_by_replies >= 40, "{paused_by_replies} pauses on an error after a reply's resume");
    // The user's own start, which failed, notified like any outside cause.
    let outside: Vec<&Shown> = world.shown.iter().filter(|s| s.cause == Cause::Outside).collect();
    assert_eq!(outside.iter().map(|s| (s.at, s.kind)).collect::<Vec<_>>(), [(NOON, NotificationKind::CampaignPaused)]);
}

/// The cap is on what replies set off, not on the user's own notices: a
/// user who resumes a campaign whose tab is gone every three minutes is
/// told each time it paused again, while a receiver resuming it between
/// those gets its three an hour.
#[test]
fn outside_caused_notifications_are_not_capped_while_a_replys_are() {
    let (sim, ids) = acting_webhooks(1, 60, 0);
    let mut world = World::new(sim, vec![false], |_| (200, Answer::Resume));
    world.user(Control::Start);
    for minute in 0..2 * 60 {
        if minute % 3 == 0 {
            world.user(Control::Resume);
        }
        let next = world.sim.now.plus(MINUTE);
        world.run(next);
    }
    let outside_errors = world.events_of(EventKind::Error).iter().filter(|(_, cause)| **cause == Cause::Outside).count();
    let outside_shown = world.shown.iter().filter(|s| s.cause == Cause::Outside).count();
    assert!(outside_errors > 2 * REPLY_NOTIFICATIONS_PER_HOUR * 2, "{outside_errors} pauses the user's resumes ran into");
    assert_eq!(outside_shown, outside_errors, "every pause after the user's resume was notified");
    assert_eq!(world.shown_for(&ids[0]).len(), 2 * REPLY_NOTIFICATIONS_PER_HOUR, "three an hour of the receiver's");
}

/// Each webhook has its own allowance: two receivers taking turns at
/// resuming the campaign get three notifications an hour each, six in all.
#[test]
fn two_webhooks_each_get_their_own_three_reply_caused_notifications_an_hour() {
    let (sim, ids) = acting_webhooks(2, 60, 0);
    let first = ids[0].clone();
    // Outside events alternate between the two: each receiver resumes on its own.
    let mut world = World::new(sim, vec![false], move |delivery| {
        let odd = delivery.event.data.to_value()["value"].as_u64().is_some_and(|n| n % 2 == 1);
        (200, if odd == (delivery.webhook_id == first) { Answer::Resume } else { Answer::Nothing })
    });
    world.user(Control::Start);
    for minute in 0..3 * 60 {
        if minute % 2 == 0 {
            world.sim.engine.emit("milestone", json!({"value": minute / 2}), world.sim.now).unwrap();
        }
        if minute % 11 == 5 {
            world.sim.restart();
        }
        let next = world.sim.now.plus(MINUTE);
        world.run(next);
    }
    for id in &ids {
        assert_eq!(world.most_in_an_hour(id), REPLY_NOTIFICATIONS_PER_HOUR, "{id}");
        let first_hour = world.shown_for(id).iter().filter(|s| s.at < NOON.plus(HOUR)).count();
        assert_eq!(first_hour, REPLY_NOTIFICATIONS_PER_HOUR, "{id}");
    }
    let first_hour = world.shown.iter().filter(|s| s.cause != Cause::Outside && s.at < NOON.plus(HOUR)).count();
    assert_eq!(first_hour, 2 * REPLY_NOTIFICATIONS_PER_HOUR);
}

/// A notification about another webhook counts against the replying one
/// when its chain starts at the reply: here a receiver pauses the campaign
/// (the user starts it again every eleven minutes), and a second webhook
/// fails to take the pause it caused. Its first three such failures
/// notify; the next two, within the hour, are only logged; an hour after
/// the first, one notifies again. What was counted is stored under
/// `notified`, by the replying webhook.
#[test]
fn a_delivery_failure_that_a_reply_set_off_counts_against_the_replying_webhook() {
    let (mut sim, ids) = acting_webhooks(1, 60, 0);
    let failing = sim.webhook(json!({"url": "https://down.test/", "retrySchedule": []}));
    let replier = ids[0].clone();
    let mut world = World::new(sim, vec![true], {
        let failing = failing.clone();
        move |delivery| match (delivery.webhook_id == failing, delivery.cause().replier().is_some()) {
            // Down for what the reply set off; up for the user's own events, which ends each run of failures.
            (true, true) => (500, Answer::Nothing),
            (true, false) => (200, Answer::Nothing),
            (false, _) => (200, Answer::Pause),
        }
    });
    let mut failing_shown = Vec::new();
    for round in 0..7 {
        world.user(if round == 0 { Control::Start } else { Control::Resume });
        let next = world.sim.now.plus(11 * MINUTE);
        world.run(next);
        failing_shown
            .extend(world.shown.drain(..).filter(|s| s.kind == NotificationKind::Failing).map(|s| (s.at.since(NOON) / MINUTE, s.cause)));
    }
    let reply = Cause::Reply(replier.clone());
    assert_eq!(failing_shown, [(0, reply.clone()), (11, reply.clone()), (22, reply.clone()), (66, reply)]);
    let failed = world.sim.engine.deliveries().filter(|d| d.webhook_id == failing && d.state == DeliveryState::Failed).count();
    assert_eq!(failed, 7, "every failure is logged, notified or not");
    world.sim.persist();
    let stored: BTreeMap<String, Vec<u64>> = serde_json::from_str(&world.sim.storage["notified"]).unwrap();
    let counted = [11, 22, 66].map(|minute| NOON.plus(minute * MINUTE).0).to_vec();
    assert_eq!(stored, BTreeMap::from([(replier, counted)]), "the first, an hour old at the fourth, is gone");
}

/// A deleted webhook has no allowance left: what its reply set off before
/// it was deleted (here a resume whose send fails) still happens and is
/// logged, but notifies nothing, and nothing is kept for it.
#[test]
fn a_notification_set_off_by_a_deleted_webhooks_reply_is_dropped() {
    let (mut sim, ids) = acting_webhooks(1, 60, 0);
    sim.webhook(json!({"url": "https://log.test/"}));
    let mut world = World::new(sim, vec![false], |delivery| {
        (200, if delivery.event.kind == EventKind::Milestone { Answer::Resume } else { Answer::Nothing })
    });
    world.user(Control::Start);
    world.run(NOON.plus(2 * MINUTE));
    world.sim.emit("milestone");
    let now = world.sim.now;
    world.run(now);
    assert_eq!(*world.sim.engine.campaign().status(), Status::Running, "resumed by the reply");
    world.sim.engine.delete_webhook(&ids[0], now).unwrap();
    world.run(now.plus(2 * MINUTE));
    let errors = world.events_of(EventKind::Error);
    assert_eq!(errors.last().map(|(at, cause)| (*at, cause.replier())), Some((now.plus(MINUTE), Some(ids[0].as_str()))));
    assert_eq!(
        world.shown.iter().map(|s| (s.at, &s.cause)).collect::<Vec<_>>(),
        [(NOON, &Cause::Outside)],
        "only the user's own start notified"
    );
    world.sim.persist();
    assert_eq!(world.sim.storage.get("notified").map(String::as_str), Some("{}"));
}

/// After a reply's resume, the pause for a send the campaign cannot make
/// (the browser restarted and forgot the chat tab) is the reply's too, as
/// a failed send would be: its notification counts against that webhook,
/// and replies to it are not acted on.
#[test]
fn a_pause_for_a_forgotten_chat_after_a_replys_resume_is_the_replys() {
    let (sim, ids) = acting_webhooks(1, 60, 0);
    let mut world = World::new(sim, vec![true], |delivery| match delivery.event.kind {
        EventKind::Milestone | EventKind::Error => (200, Answer::Resume),
        _ => (200, Answer::Nothing),
    });
    world.user(Control::Start);
    world.run(NOON.plus(30_000));
    world.user(Control::Pause);
    world.run(NOON.plus(2 * MINUTE));
    world.sim.emit("milestone");
    let now = world.sim.now;
    world.run(now);
    assert_eq!(action(&world.sim, "milestone").as_deref(), Some("campaign resumed"));
    world.sim.engine.browser_restarted();
    world.run(now.plus(2 * MINUTE));
    let replier = Cause::Reply(ids[0].clone());
    let last = world.shown.last().map(|s| (s.at, s.kind, &s.cause));
    assert_eq!(last, Some((now.plus(MINUTE), NotificationKind::CampaignPaused, &replier)));
    let error = deliveries_of(&world.sim, "error").pop().unwrap();
    assert_eq!((&error.event.cause, error.reply_action.as_deref()), (&replier, Some(CAUSED_BY_REPLY)));
}

/// A reply's resume is the reply's only until the run it resumed ends:
/// when the schedule stops that run before its next message, what the
/// next run sends is the schedule's again (its failure notifies as any
/// outside one, and replies to it are acted on).
#[test]
fn a_replys_resume_ends_with_the_run_it_resumed() {
    let (mut sim, _) = acting_webhooks(1, 60, 0);
    let schedule = json!({"schedule": {"cron": "0 13 * * *", "stopAfterMinutes": 2}});
    sim.engine.configure_campaign(serde_json::from_value(schedule).unwrap(), sim.now).unwrap();
    let mut world = World::new(sim, vec![true, false], |delivery| match delivery.event.kind {
        EventKind::CampaignStarted => (200, Answer::Pause),
        EventKind::Milestone | EventKind::Error => (200, Answer::Resume),
        _ => (200, Answer::Nothing),
    });
    let start = NOON.plus(HOUR);
    world.run(start.plus(90_000));
    assert_eq!(action(&world.sim, "campaign_started").as_deref(), Some("campaign paused"));
    world.sim.emit("milestone");
    world.run(start.plus(24 * HOUR));
    assert_eq!(action(&world.sim, "milestone").as_deref(), Some("campaign resumed"));
    let next_day = start.plus(24 * HOUR);
    assert_eq!(world.events_of(EventKind::Error), [(next_day, &Cause::Outside)], "the next run's failed send is the schedule's");
    assert_eq!(action(&world.sim, "error").as_deref(), Some("campaign resumed"));
    assert_eq!(world.shown.iter().map(|s| (s.at, &s.cause)).collect::<Vec<_>>(), [(next_day, &Cause::Outside)]);
}

/// What a review found: a receiver answering `error` and `campaign_paused`
/// with resume, and a chat tab that fails every other message, 10 s
/// apart. The message that went out between a reply's resume and the next
/// failure ended the reply's part, so every other failure paused the
/// campaign as the user's own: notified past the cap, and resumed by the
/// receiver again, 180 notifications an hour. That failure is the reply's:
/// within its allowance, and not acted on, so the hour shows two. Once the
/// user resumes, what fails is the user's again.
#[test]
fn a_pause_on_an_error_after_a_message_a_replys_resume_let_out_is_still_the_replys() {
    let (sim, ids) = acting_webhooks(1, 10, 0);
    let mut world = World::new(sim, vec![false, true], |delivery| match delivery.event.kind {
        EventKind::Error | EventKind::CampaignPaused => (200, Answer::Resume),
        _ => (200, Answer::Nothing),
    });
    world.user(Control::Start);
    world.run(NOON.plus(HOUR));
    let reply = Cause::Reply(ids[0].clone());
    let shown = |world: &World| world.shown.iter().map(|s| (s.at.since(NOON) / 1000, s.cause.clone())).collect::<Vec<_>>();
    assert_eq!(shown(&world), [(0, Cause::Outside), (20, reply.clone())]);
    assert_eq!(world.sends.len(), 3, "failed, typed, failed: then paused for good");
    assert_eq!(*world.sim.engine.campaign().status(), Status::Paused);
    let errors = deliveries_of(&world.sim, "error");
    let actions: Vec<Option<&str>> = errors.iter().map(|d| d.reply_action.as_deref()).collect();
    assert_eq!(actions, [Some("campaign resumed"), Some(CAUSED_BY_REPLY)]);
    // The user resumes: its message goes out, the next fails as the user's,
    // the receiver resumes that once more, and the failure after is its again.
    world.user(Control::Resume);
    let resumed = world.sim.now.since(NOON) / 1000;
    world.run(NOON.plus(2 * HOUR));
    let after: Vec<(u64, Cause)> = shown(&world).into_iter().skip(2).collect();
    assert_eq!(after, [(resumed + 10, Cause::Outside), (resumed + 30, reply)]);
}

/// A reply's resume answers for what fails within the hour after it, not
/// for good: a send that fails after an hour of messages going out is the
/// schedule's again (notified as the user's, and a workflow that resumes
/// on errors may resume it).
#[test]
fn a_pause_on_an_error_an_hour_after_a_replys_resume_is_the_users() {
    let (sim, _) = acting_webhooks(1, 60, 0);
    let mut tab = vec![false];
    tab.extend([true; 65]);
    tab.push(false);
    let mut world = World::new(sim, tab, |delivery| match delivery.event.kind {
        EventKind::Error => (200, Answer::Resume),
        _ => (200, Answer::Nothing),
    });
    world.user(Control::Start);
    world.run(NOON.plus(66 * MINUTE + 30_000));
    let errors = world.events_of(EventKind::Error);
    assert_eq!(errors, [(NOON, &Cause::Outside), (NOON.plus(66 * MINUTE), &Cause::Outside)]);
    let actions: Vec<Option<String>> = deliveries_of(&world.sim, "error").into_iter().map(|d| d.reply_action).collect();
    assert_eq!(actions, [Some("campaign resumed".into()), Some("campaign resumed".into())]);
    assert_eq!(world.shown.iter().filter(|s| s.cause == Cause::Outside).count(), 2);
}

/// A "failing" notice the cap drops is owed, not lost: a receiver's pauses
/// have spent its three notifications an hour on a second webhook's
/// failures, so that webhook's fourth run of failures starts with a reply's
/// failure that notifies nothing. The user's own event failing next in that
/// run notifies. (Once a defect: only a run's first failure could notify.)
#[test]
fn a_failing_notice_the_cap_dropped_is_shown_at_the_next_failure_of_the_run() {
    let (mut sim, ids) = acting_webhooks(1, 60, 0);
    let failing = sim.webhook(json!({"url": "https://down.test/", "retrySchedule": []}));
    let down = Rc::new(Cell::new(false));
    let mut world = World::new(sim, vec![true], {
        let (failing, down) = (failing.clone(), down.clone());
        move |delivery| match (delivery.webhook_id == failing, delivery.cause().replier().is_some()) {
            (true, true) => (500, Answer::Nothing),
            (true, false) => (if down.get() { 500 } else { 200 }, Answer::Nothing),
            (false, _) => (200, Answer::Pause),
        }
    });
    for round in 0..4 {
        world.user(if round == 0 { Control::Start } else { Control::Resume });
        let next = world.sim.now.plus(11 * MINUTE);
        world.run(next);
    }
    let failing_shown = |world: &World| {
        let failing = world.shown.iter().filter(|s| s.kind == NotificationKind::Failing);
        failing.map(|s| (s.at.since(NOON) / MINUTE, s.cause.clone())).collect::<Vec<_>>()
    };
    let reply = Cause::Reply(ids[0].clone());
    assert_eq!(failing_shown(&world), [(0, reply.clone()), (11, reply.clone()), (22, reply)], "the fourth run's, at 33, is over the cap");
    down.set(true);
    world.sim.emit("milestone");
    let now = world.sim.now;
    world.run(now);
    assert_eq!(failing_shown(&world).last(), Some(&(44, Cause::Outside)));
    assert_eq!(world.sim.engine.webhook(&failing).unwrap().health.consecutive_failures, 2);
    // Told once per run: the next failure of it notifies nothing.
    world.sim.emit("milestone");
    let now = world.sim.now.plus(MINUTE);
    world.run(now);
    assert_eq!(failing_shown(&world).len(), 4);
}

/// A "turned off" notice the cap drops is shown at the webhook's next
/// event, held: a receiver's resumes into a closed chat tab have spent its
/// allowance when a second webhook fails the reply's error and AutoHook
/// turns it off. The user's next event, held for it, tells them, once.
#[test]
fn a_disabled_notice_the_cap_dropped_is_shown_at_the_next_event_held() {
    let (mut sim, ids) = acting_webhooks(1, 60, 0);
    let failing = sim.webhook(json!({"url": "https://down.test/", "retrySchedule": [], "autoDisableAfter": 1}));
    let down = Rc::new(Cell::new(false));
    let mut world = World::new(sim, vec![false], {
        let (failing, down) = (failing.clone(), down.clone());
        move |delivery| match (delivery.webhook_id == failing, delivery.event.kind) {
            (true, _) => (if down.get() && delivery.cause().replier().is_some() { 500 } else { 200 }, Answer::Nothing),
            (false, EventKind::Milestone) => (200, Answer::Resume),
            (false, _) => (200, Answer::Nothing),
        }
    });
    world.user(Control::Start);
    for _ in 0..4 {
        if world.shown.len() == 1 + REPLY_NOTIFICATIONS_PER_HOUR {
            down.set(true);
        }
        world.sim.emit("milestone");
        let next = world.sim.now.plus(2 * MINUTE);
        world.run(next);
    }
    assert_eq!(world.shown_for(&ids[0]).len(), REPLY_NOTIFICATIONS_PER_HOUR);
    assert!(world.sim.engine.webhook(&failing).unwrap().health.auto_disabled, "turned off by the reply's error failing");
    assert!(world.shown.iter().all(|s| s.kind != NotificationKind::Disabled), "over the cap: {:?}", world.shown);
    world.sim.emit("milestone");
    let now = world.sim.now;
    world.run(now);
    let disabled = |world: &World| {
        let shown = world.shown.iter().filter(|s| s.kind == NotificationKind::Disabled);
        shown.map(|s| (s.at, s.cause.clone())).collect::<Vec<_>>()
    };
    assert_eq!(disabled(&world), [(now, Cause::Outside)]);
    world.sim.emit("milestone");
    world.run(now.plus(MINUTE));
    assert_eq!(disabled(&world).len(), 1, "once");
}

/// A paused campaign whose day is done (its limit lowered meanwhile) is
/// not resumed by a reply: the log says why, and nothing more is typed.
/// (Once a defect: the resume was obeyed and a message over the limit typed.)
#[test]
fn a_reply_cannot_resume_a_campaign_past_its_daily_limit() {
    let mut sim = sim_started(true);
    let typed = run_until(&mut sim, NOON.plus(MINUTE), |_, _| "{}".into());
    assert_eq!(typed, ["one", "two"]);
    sim.engine.control_campaign(Control::Pause, sim.now).unwrap();
    sim.engine.configure_campaign(serde_json::from_value(json!({"dailyLimit": 2})).unwrap(), sim.now).unwrap();
    sim.emit("milestone");
    let typed = run_until(&mut sim, NOON.plus(10 * MINUTE), |event, _| {
        if event == "milestone" { Answer::Resume.body() } else { Answer::Nothing.body() }.into()
    });
    assert!(typed.is_empty(), "{typed:?}");
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    assert_eq!(
        action(&sim, "milestone").as_deref(),
        Some("campaign not resumed: dailyLimit: today's 2 messages are sent; the count resets at midnight")
    );
}

/// A scheduled run ends at its `stopAfterMinutes` even while a reply holds
/// it paused, so the schedule's next run starts; a resume that arrives
/// after the stop time is logged as not obeyed, with the reason, whether
/// or not the engine has woken for the stop yet. (Once a defect: a paused
/// run outlived its stop and held back every later run.)
#[test]
fn a_scheduled_run_paused_by_a_reply_still_ends_at_its_stop_time() {
    let mut sim = sim(true);
    let schedule = json!({"schedule": {"cron": "0 13 * * *", "stopAfterMinutes": 10}});
    sim.engine.configure_campaign(serde_json::from_value(schedule).unwrap(), sim.now).unwrap();
    let start = NOON.plus(HOUR);
    let typed = run_until(&mut sim, start, |event, _| if event == "campaign_started" { Answer::Pause.body() } else { "{}" }.into());
    assert_eq!(typed, ["one"]);
    assert_eq!(*sim.engine.campaign().status(), Status::Paused);
    assert_eq!(action(&sim, "campaign_started").as_deref(), Some("campaign paused"));

    // A resume answering an event of 13:05, arriving at 13:10:01 before the engine woke for the stop.
    sim.now = start.plus(5 * MINUTE);
    sim.emit("milestone");
    let late = sim.transmits().pop().unwrap();
    sim.now = start.plus(10 * MINUTE + 1000);
    sim.respond(&late, response(200, Answer::Resume.body()));
    assert_eq!(
        action(&sim, "milestone").as_deref(),
        Some("campaign not resumed: the campaign is past its scheduled stop, so it cannot resume")
    );
    let now = sim.now;
    run_until(&mut sim, now, |_, _| "{}".into());
    assert_eq!(*sim.engine.campaign().status(), Status::Idle, "the run ended at its time");
    assert_eq!(deliveries_of(&sim, "campaign_stopped").len(), 1);

    // Once it ended, a reply's resume is refused as for any campaign not paused.
    sim.emit("error");
    let now = sim.now;
    run_until(&mut sim, now, |_, _| Answer::Resume.body().into());
    assert_eq!(action(&sim, "error").as_deref(), Some("campaign not resumed: the campaign is not running, so it cannot resume"));
    // And the next day's run starts on time.
    let typed = run_until(&mut sim, start.plus(24 * HOUR), |_, _| "{}".into());
    assert_eq!(typed, ["two"]);
    assert_eq!(deliveries_of(&sim, "campaign_started").len(), 2);
}

/// A scheduled start whose time comes while a run the user started is
/// going is skipped, not kept for later. (Once a defect, found by the
/// property test below: kept, it began a run the moment a reply stopped the
/// campaign, which typed at once, within the interval of the message before.)
#[test]
fn a_replys_stop_does_not_set_off_a_scheduled_start_the_campaign_ran_through() {
    let mut sim = sim(true);
    let schedule = json!({"schedule": {"cron": "0 13 * * *"}});
    sim.engine.configure_campaign(serde_json::from_value(schedule).unwrap(), sim.now).unwrap();
    sim.now = NOON.plus(59 * MINUTE);
    start(&mut sim);
    let start = NOON.plus(HOUR);
    assert_eq!(run_until(&mut sim, start.plus(30_000), |_, _| "{}".into()), ["one", "two"], "at 12:59 and 13:00");
    sim.emit("milestone");
    let typed =
        run_until(&mut sim, start.plus(30 * MINUTE), |event, _| if event == "milestone" { Answer::Stop.body() } else { "{}" }.into());
    assert_eq!(action(&sim, "milestone").as_deref(), Some("campaign stopped"));
    assert!(typed.is_empty(), "{typed:?}");
    assert_eq!(sim.engine.campaign().view(None, sim.now)["nextScheduledAt"], json!(start.plus(24 * HOUR).0));
}

/// One step of a reply schedule.
#[derive(Clone, Debug)]
enum Step {
    /// Time passes (seconds), the world running.
    Wait(u32),
    /// An event from outside AutoHook, which the receivers may answer.
    Emit,
    /// The user pauses, resumes or stops the campaign.
    User(Control),
    /// The worker stops and starts again from storage.
    Restart,
}

/// A campaign, two receivers that act on replies, and what happens to them.
#[derive(Clone, Debug)]
struct Schedule {
    interval_min: u32,
    interval_extra: u32,
    daily_limit: u32,
    /// Hourly runs that stop after this many messages and minutes; `None`:
    /// the user starts the campaign once, at first.
    runs: Option<(u32, u32)>,
    /// Each receiver's answers, in turn (cycled).
    answers: [Vec<Answer>; 2],
    /// Whether each message typed goes out, in turn (cycled).
    tab: Vec<bool>,
    steps: Vec<Step>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    // A stop ends a run until the user or the schedule starts another: rarer.
    let answer = prop_oneof![
        3 => Just(Answer::Resume),
        2 => Just(Answer::Pause),
        2 => Just(Answer::Text),
        2 => Just(Answer::Nothing),
        1 => Just(Answer::Stop),
    ];
    let answers = prop::collection::vec(answer, 1..6);
    let user = prop_oneof![Just(Control::Start), Just(Control::Pause), Just(Control::Resume), Just(Control::Stop)];
    // Mostly short waits between outside events, so receivers get many
    // chances an hour: the cap must be what holds them back.
    let step = prop_oneof![
        8 => prop_oneof![6 => 1..90u32, 1 => 90..1_800u32].prop_map(Step::Wait),
        8 => Just(Step::Emit),
        1 => user.prop_map(Step::User),
        1 => Just(Step::Restart),
    ];
    (
        (10..90u32, 0..30u32, 0..20u32, prop::option::of((1..6u32, 5..59u32))),
        [answers.clone(), answers],
        prop::collection::vec(any::<bool>(), 1..5),
        prop::collection::vec(step, 1..200),
    )
        .prop_map(|((interval_min, interval_extra, daily_limit, runs), answers, tab, steps)| Schedule {
            interval_min,
            interval_extra,
            daily_limit,
            runs,
            answers,
            tab,
            steps,
        })
}

/// Runs `schedule`: the campaign, and two receivers answering every
/// delivery with their next answer.
fn run_schedule(schedule: &Schedule) -> World {
    let (mut sim, ids) = acting_webhooks(2, schedule.interval_min, schedule.daily_limit);
    let mut settings = json!({"intervalMaxSeconds": schedule.interval_min + schedule.interval_extra});
    if let Some((messages, minutes)) = schedule.runs {
        settings["schedule"] = json!({"cron": "0 * * * *", "stopAfterMessages": messages, "stopAfterMinutes": minutes});
    }
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), sim.now).unwrap();
    let (answers, mut turns) = (schedule.answers.clone(), [0; 2]);
    let mut world = World::new(sim, schedule.tab.clone(), move |delivery| {
        let which = usize::from(delivery.webhook_id != ids[0]);
        turns[which] += 1;
        (200, answers[which][turns[which] % answers[which].len()])
    });
    if schedule.runs.is_none() {
        world.user(Control::Start);
    }
    for step in &schedule.steps {
        match step {
            Step::Wait(seconds) => {
                let until = world.sim.now.plus(u64::from(*seconds) * 1000);
                world.run(until);
            }
            Step::Emit => drop(world.sim.emit("milestone")),
            Step::User(control) => world.user(*control),
            Step::Restart => world.sim.restart(),
        }
        let now = world.sim.now;
        world.run(now);
    }
    world
}

/// What must hold whatever the receivers answer, checked on a run.
fn check_schedule(schedule: &Schedule, world: &World) -> Result<(), TestCaseError> {
    // At most three notifications an hour set off by each webhook's replies.
    for webhook in world.sim.engine.webhooks() {
        prop_assert!(world.most_in_an_hour(&webhook.id) <= REPLY_NOTIFICATIONS_PER_HOUR, "{}: {:?}", webhook.id, world.shown);
    }
    // What an outside cause set off is always notified: every pause on an
    // error (an error raised with a pause) and every daily limit reached.
    let paused = world.events_of(EventKind::CampaignPaused);
    let paused_on_errors = world.events_of(EventKind::Error).into_iter().filter(|error| paused.contains(error));
    let outside_limits = world.events_of(EventKind::DailyLimitReached).into_iter();
    let notifying =
        paused_on_errors.map(|e| (e, NotificationKind::CampaignPaused)).chain(outside_limits.map(|e| (e, NotificationKind::DailyLimit)));
    for ((at, _), kind) in notifying.filter(|((_, cause), _)| **cause == Cause::Outside) {
        prop_assert!(
            world.shown.iter().any(|s| s.at == at && s.kind == kind && s.cause == Cause::Outside),
            "{kind:?} at {at:?}: {:?}",
            world.shown
        );
    }
    // Every control a reply asked for is logged: done, or not, with the reason.
    for (control, logged) in &world.controls {
        let word = match control {
            Control::Pause => "paused",
            Control::Resume => "resumed",
            _ => "stopped",
        };
        let logged = logged.as_deref().unwrap_or_default();
        let done = logged.starts_with(&format!("campaign {word}"));
        let refused = [format!("campaign not {word}: "), "not acted on: ".to_string()]
            .iter()
            .any(|prefix| logged.strip_prefix(prefix.as_str()).is_some_and(|why| why.len() > 10));
        prop_assert!(done || refused, "{control:?} logged as {logged:?}");
    }
    // The interval holds between messages (typed or failed), unless the
    // user or the schedule started sending anew in between.
    let starts: Vec<Millis> = world.events_of(EventKind::CampaignStarted).into_iter().map(|(at, _)| at).collect();
    for (next, pair) in world.sends.windows(2).enumerate().map(|(index, pair)| (index + 1, pair)) {
        let ((before, _), (after, _)) = (pair[0], pair[1]);
        let fresh = world.stepped_in.iter().any(|(_, sends)| *sends == next) || starts.iter().any(|at| before < *at && *at <= after);
        prop_assert!(fresh || after.since(before) >= u64::from(schedule.interval_min) * 1000, "messages at {before:?} and {after:?}");
    }
    // The daily limit holds.
    if schedule.daily_limit > 0 {
        let mut per_day: BTreeMap<u64, u32> = BTreeMap::new();
        for at in &world.typed_at() {
            *per_day.entry(at.0 / (24 * HOUR)).or_default() += 1;
        }
        prop_assert!(per_day.values().all(|n| *n <= schedule.daily_limit), "{per_day:?}");
    }
    // Each scheduled run (one the user did not start) stops after its messages and its minutes.
    for (index, start) in starts.iter().enumerate().filter(|(_, start)| world.stepped_in.iter().all(|(at, _)| at != *start)) {
        let Some((messages, minutes)) = schedule.runs else { break };
        let end = starts.get(index + 1).copied().unwrap_or(Millis(u64::MAX));
        let run: Vec<Millis> = world.typed_at().into_iter().filter(|at| at >= start && *at < end).collect();
        prop_assert!(run.len() <= messages as usize, "run at {start:?}: {run:?}");
        prop_assert!(run.iter().all(|at| *at < start.plus(u64::from(minutes) * MINUTE)), "run at {start:?}: {run:?}");
    }
    // What is kept for the cap stays bounded.
    if let Some(stored) = world.sim.storage.get("notified") {
        let stored: BTreeMap<String, Vec<u64>> = serde_json::from_str(stored).unwrap();
        prop_assert!(stored.len() <= 2 && stored.values().all(|times| times.len() <= REPLY_NOTIFICATIONS_PER_HOUR), "{stored:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: regressions(), ..ProptestConfig::with_cases(64) })]

    /// Whatever two receivers answer and whenever the worker stops: three
    /// reply-set-off notifications an hour per webhook at most, every
    /// outside one shown, every control logged, and the interval, the daily
    /// limit and the schedule's stops kept.
    #[test]
    fn every_reply_schedule_keeps_the_notification_cap_the_log_and_the_limits(schedule in schedule()) {
        let world = run_schedule(&schedule);
        check_schedule(&schedule, &world)?;
    }
}
