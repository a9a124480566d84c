//! Campaigns against the sans-IO engine with a simulated clock: what is
//! typed when, which events reach webhooks, and what survives a restart.

use autohook::limits::MAX_TAB_TEXT_CHARS;
use autohook::{Control, Engine, Millis, Selectors, SendCommand, SendFailure, Snapshot, Status};
use serde_json::{json, Value};

use crate::common::{Drained, Sim, NOON};

/// A profile with one webhook for every event, a target, and `settings`.
fn campaign_sim(settings: Value) -> Sim {
    let mut sim = Sim::at(3, NOON);
    sim.webhook(json!({"url": "https://h.test/"}));
    let selectors = Selectors { input: "#msg".into(), button: Some("#send".into()) };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat", selectors).unwrap();
    sim.engine.configure_campaign(serde_json::from_value(settings).unwrap(), NOON).unwrap();
    sim
}

/// The campaign's side of the harness.
trait Campaigns {
    fn control(&mut self, control: Control);
    fn due(&mut self) -> Option<SendCommand>;
    fn send_all(&mut self, limit: usize) -> Vec<(Millis, SendCommand)>;
    fn events(&self) -> Vec<(String, Value)>;
    fn names(&self) -> Vec<String>;
    fn view(&self) -> Value;
}

impl Campaigns for Sim {
    fn control(&mut self, control: Control) {
        self.engine.control_campaign(control, self.now).unwrap();
    }

    /// The send due now, if any. Nothing is written, so no delivery is
    /// durable and no request goes out: the drain yields only sends.
    fn due(&mut self) -> Option<SendCommand> {
        self.drain().typed.pop()
    }

    /// Jumps to the next wake-up and answers every send with success,
    /// until nothing is due or `limit` sends were made. Returns the sends
    /// with their times.
    fn send_all(&mut self, limit: usize) -> Vec<(Millis, SendCommand)> {
        let mut sent = Vec::new();
        while sent.len() < limit {
            let drained = self.drain();
            if let Some(command) = drained.typed.into_iter().next() {
                self.engine.campaign_sent(command.seq, Ok(command.text.clone()), self.now);
                sent.push((self.now, command));
                continue;
            }
            match drained.wake {
                Some(at) if at > self.now => self.now = at,
                _ => break,
            }
        }
        sent
    }

    /// Events raised so far, in the order raised, as (name, data). Nothing
    /// is transmitted, so every delivery is still in the outbox, which
    /// `deliveries` lists newest first.
    fn events(&self) -> Vec<(String, Value)> {
        let mut events: Vec<_> = self.engine.deliveries().map(|d| (d.event.kind.as_str().to_string(), d.event.data.to_value())).collect();
        events.reverse();
        events
    }

    fn names(&self) -> Vec<String> {
        self.events().into_iter().map(|(name, _)| name).collect()
    }

    fn view(&self) -> Value {
        self.engine.campaign().view(None, self.now)
    }
}

fn settings(phrases: &[&str], limit: u32) -> Value {
    json!({"phrases": phrases, "intervalMinSeconds": 1, "intervalMaxSeconds": 1, "dailyLimit": limit})
}

#[test]
fn three_phrases_one_second_apart_stop_at_the_daily_limit_with_every_event() {
    let mut sim = campaign_sim(settings(&["a", "b", "c"], 3));
    sim.control(Control::Start);
    let sent = sim.send_all(10);
    let times: Vec<u64> = sent.iter().map(|(at, _)| at.since(NOON)).collect();
    assert_eq!(times, [0, 1000, 2000]);
    assert!(sent.iter().all(|(_, c)| c.tab_id == 7 && c.selectors.input == "#msg"));
    assert_eq!(
        sim.names(),
        ["campaign_started", "message_sent", "message_sent", "message_sent", "daily_limit_reached", "campaign_stopped"]
    );
    let events = sim.events();
    let counts: Vec<(u64, u64)> =
        events[1..4].iter().map(|(_, d)| (d["messagesSentToday"].as_u64().unwrap(), d["totalMessagesSent"].as_u64().unwrap())).collect();
    assert_eq!(counts, [(1, 1), (2, 2), (3, 3)]);
    assert_eq!(events[1].1["message"], json!(sent[0].1.text));
    assert_eq!(events[4].1["limit"], 3);
    assert_eq!(events[5].1["stats"], json!({"messagesSentToday": 3, "totalMessagesSent": 3}));
    assert_eq!(sim.engine.campaign().status(), &Status::Idle);
    let error = sim.engine.control_campaign(Control::Start, sim.now).unwrap_err();
    assert_eq!((error.code().as_str(), error.field()), ("daily_limit_reached", Some("dailyLimit")));
}

#[test]
fn random_order_never_repeats_a_phrase_and_sequential_cycles() {
    let mut sim = campaign_sim(settings(&["a", "b", "c"], 0));
    sim.control(Control::Start);
    let texts: Vec<String> = sim.send_all(200).into_iter().map(|(_, c)| c.text).collect();
    assert_eq!(texts.len(), 200);
    assert!(texts.windows(2).all(|w| w[0] != w[1]), "a phrase twice in a row");
    for phrase in ["a", "b", "c"] {
        assert!(texts.iter().filter(|t| *t == phrase).count() > 40, "{phrase} is rarely chosen");
    }
    let mut sim =
        campaign_sim(json!({"phrases": ["a", "b", "c"], "order": "sequential", "intervalMinSeconds": 1, "intervalMaxSeconds": 1}));
    sim.control(Control::Start);
    let texts: Vec<String> = sim.send_all(5).into_iter().map(|(_, c)| c.text).collect();
    assert_eq!(texts, ["a", "b", "c", "a", "b"]);
}

#[test]
fn intervals_fall_between_min_and_max() {
    let mut sim = campaign_sim(json!({"phrases": ["a"], "intervalMinSeconds": 5, "intervalMaxSeconds": 9, "dailyLimit": 0}));
    sim.control(Control::Start);
    let sent = sim.send_all(100);
    let gaps: Vec<u64> = sent.windows(2).map(|w| w[1].0.since(w[0].0)).collect();
    assert!(gaps.iter().all(|g| (5000..=9000).contains(g)), "{gaps:?}");
    assert!(gaps.iter().max().unwrap() - gaps.iter().min().unwrap() > 2000, "intervals do not vary: {gaps:?}");
}

#[test]
fn pause_and_resume_raise_their_events_and_a_pause_holds_the_next_send() {
    let mut sim = campaign_sim(settings(&["a", "b"], 0));
    sim.control(Control::Start);
    let command = sim.due().unwrap();
    sim.control(Control::Pause);
    // The text typed before the pause still counts; nothing follows it.
    sim.engine.campaign_sent(command.seq, Ok(command.text), sim.now);
    sim.now = sim.now.plus(60_000);
    assert!(sim.due().is_none());
    assert_eq!(sim.drain().wake, None);
    sim.control(Control::Resume);
    assert!(sim.due().is_some());
    assert_eq!(sim.names(), ["campaign_started", "campaign_paused", "message_sent", "campaign_resumed"]);
    let error = sim.engine.control_campaign(Control::Resume, sim.now).unwrap_err();
    assert_eq!(error.to_string(), "the campaign is running, so it cannot resume");
}

#[test]
fn a_failed_send_raises_error_and_pauses_instead_of_stopping() {
    let mut sim = campaign_sim(json!({"phrases": ["a"], "sendBy": "button", "intervalMinSeconds": 1, "intervalMaxSeconds": 1}));
    sim.control(Control::Start);
    let command = sim.due().unwrap();
    sim.engine.campaign_sent(command.seq, Err(SendFailure::Failed("Failed to find send button".into())), sim.now);
    assert_eq!(sim.engine.campaign().status(), &Status::Paused);
    assert_eq!(sim.view()["lastError"], "Failed to find send button");
    let events = sim.events();
    assert_eq!(events[1].0, "error");
    assert_eq!(events[1].1["error"], "Failed to find send button");
    assert_eq!(events[2].0, "campaign_paused");
    assert_eq!(sim.view()["totalMessagesSent"], 0);
}

/// The tab is the page's: whatever length of text it answers with (why it
/// could not type, the origin it showed), the campaign keeps and reports at
/// most MAX_TAB_TEXT_CHARS of it, cut on a character and marked.
#[test]
fn text_a_tab_sends_back_is_cut_to_its_limit() {
    for (failure, is_site) in
        [(SendFailure::Failed("é".repeat(1_000_000)), false), (SendFailure::WrongSite(format!("http://{}", "a".repeat(1_000_000))), true)]
    {
        let mut sim = campaign_sim(settings(&["a", "b"], 0));
        sim.control(Control::Start);
        let command = sim.due().unwrap();
        sim.engine.campaign_sent(command.seq, Err(failure), sim.now);
        assert_eq!(sim.engine.campaign().status(), &Status::Paused);
        let last_error = sim.view()["lastError"].as_str().unwrap().to_string();
        let extra = if is_site { "the chat tab is now on , not http://127.0.0.1:8080; nothing was typed".chars().count() } else { 0 };
        assert_eq!(last_error.chars().count(), MAX_TAB_TEXT_CHARS + extra, "{}", &last_error[..80]);
        assert!(last_error.contains('…'), "marked as cut");
        let events = sim.events();
        assert!(events[1].1["error"].as_str().unwrap().chars().count() <= MAX_TAB_TEXT_CHARS + extra);
    }
}

#[test]
fn the_daily_count_resets_at_local_midnight() {
    let mut sim = campaign_sim(settings(&["a", "b"], 2));
    // UTC+13: noon UTC is 01:00 local, so local midnight is 23 h away.
    sim.engine.set_utc_offset(13 * 60);
    sim.control(Control::Start);
    assert_eq!(sim.send_all(10).len(), 2);
    sim.now = NOON.plus(22 * 3_600_000);
    assert!(sim.engine.control_campaign(Control::Start, sim.now).is_err(), "still the same local day");
    sim.now = NOON.plus(23 * 3_600_000);
    sim.control(Control::Start);
    assert_eq!(sim.send_all(10).len(), 2);
    assert_eq!((sim.view()["messagesSentToday"].as_u64(), sim.view()["totalMessagesSent"].as_u64()), (Some(2), Some(4)));
}

#[test]
fn a_milestone_fires_once_when_crossed() {
    let mut sim = campaign_sim(settings(&["a", "b"], 0));
    sim.control(Control::Start);
    sim.send_all(12);
    let milestones: Vec<Value> = sim.events().into_iter().filter(|(n, _)| n == "milestone").map(|(_, d)| d).collect();
    assert_eq!(milestones.len(), 1);
    assert_eq!((milestones[0]["milestone"].as_str(), milestones[0]["value"].as_u64()), (Some("10_messages"), Some(10)));
}

#[test]
fn message_text_stays_out_of_payloads_when_asked() {
    let mut sim = campaign_sim(
        json!({"phrases": ["secret plan"], "includeText": false, "intervalMinSeconds": 1, "intervalMaxSeconds": 1, "dailyLimit": 1}),
    );
    sim.control(Control::Start);
    sim.send_all(1);
    let (_, data) = sim.events().into_iter().find(|(n, _)| n == "message_sent").unwrap();
    assert_eq!(data, json!({"messagesSentToday": 1, "totalMessagesSent": 1}));
}

#[test]
fn a_running_campaign_survives_a_restart_from_storage() {
    let mut sim = campaign_sim(settings(&["a", "b"], 5));
    sim.control(Control::Start);
    sim.send_all(2);
    let stored = sim.engine.take_changes().set;
    let due = sim.engine.campaign().next_wake().unwrap();
    assert_eq!(due, sim.now.plus(1000));
    let mut restarted = Engine::restore(Snapshot::from_stored(stored), [9; 16], sim.now);
    assert_eq!(restarted.campaign().status(), &Status::Running);
    assert_eq!(restarted.campaign().next_wake(), Some(due), "the alarm is armed for the same send");
    let mut drained = Drained::default();
    restarted.drive(due, &mut drained);
    assert!(!drained.typed.is_empty());
    assert_eq!(restarted.campaign().view(None, due)["totalMessagesSent"], 2);
}

#[test]
fn a_cron_schedule_starts_the_campaign_and_stops_it_after_n_messages_or_m_minutes() {
    let mut sim = campaign_sim(json!({"phrases": ["a", "b"], "intervalMinSeconds": 10, "intervalMaxSeconds": 10, "dailyLimit": 0,
                                  "schedule": {"cron": "0 13 * * *", "stopAfterMessages": 3}}));
    assert_eq!(sim.view()["nextScheduledAt"], json!(NOON.plus(3_600_000).0));
    assert_eq!(sim.drain().wake, Some(NOON.plus(3_600_000)));
    let sent = sim.send_all(4);
    assert_eq!(
        sent.iter().map(|(at, _)| at.since(NOON) / 1000).collect::<Vec<_>>(),
        [3600, 3610, 3620, 90000],
        "three today, then tomorrow at 13:00"
    );
    assert_eq!(sim.names()[..5], ["campaign_started", "message_sent", "message_sent", "message_sent", "campaign_stopped"]);

    let mut sim = campaign_sim(json!({"phrases": ["a", "b"], "intervalMinSeconds": 50, "intervalMaxSeconds": 50, "dailyLimit": 0,
                                  "schedule": {"cron": "0 13 * * *", "stopAfterMinutes": 2}}));
    let sent = sim.send_all(3);
    assert_eq!(sent.iter().map(|(at, _)| at.since(NOON) / 1000).collect::<Vec<_>>(), [3600, 3650, 3700]);
    assert_eq!(sim.drain().wake, Some(NOON.plus(3_600_000 + 120_000)), "the stop is due at two minutes");
    sim.now = NOON.plus(3_600_000 + 120_000);
    assert!(sim.due().is_none());
    assert_eq!(sim.engine.campaign().status(), &Status::Idle);
    assert_eq!(sim.names().last().unwrap(), "campaign_stopped");
}

#[test]
fn bad_campaign_input_names_the_field_and_changes_nothing() {
    let mut sim = campaign_sim(settings(&["a"], 3));
    let before = sim.view();
    let cases = [
        (json!({"phrases": ["  ", ""]}), "phrases", "phrases must contain at least one non-empty line"),
        (json!({"order": "shuffled"}), "order", "order must be random or sequential, not \"shuffled\""),
        (json!({"intervalMinSeconds": 0}), "intervalMinSeconds", "intervalMinSeconds must be from 1 to 86400"),
        (
            json!({"intervalMinSeconds": 10, "intervalMaxSeconds": 5}),
            "intervalMaxSeconds",
            "intervalMaxSeconds must be at least intervalMinSeconds and at most 86400",
        ),
        (json!({"sendBy": "click"}), "sendBy", "sendBy must be enter or button, not \"click\""),
        (json!({"schedule": {"cron": "0 25 * * *"}}), "schedule", "schedule: column 3: hour: \"25\" is not a value from 0 to 23"),
        (json!({"schedule": {"cron": "0 0 31 2 *"}}), "schedule", "schedule: \"0 0 31 2 *\" never matches a date"),
    ];
    for (input, field, message) in cases {
        let error = sim.engine.configure_campaign(serde_json::from_value(input).unwrap(), sim.now).unwrap_err();
        assert_eq!((error.field(), error.to_string().as_str()), (Some(field), message));
    }
    assert_eq!(sim.view(), before);
    let selectors = Selectors { input: " ".into(), button: None };
    let error = sim.engine.set_campaign_target(1, "https://chat.test/", selectors).unwrap_err();
    assert_eq!(error.field(), Some("target"));
    let selectors = Selectors { input: "#m".into(), button: None };
    let error = sim.engine.set_campaign_target(1, "chrome://settings", selectors).unwrap_err();
    assert_eq!(error.to_string(), "target: \"chrome://settings\" is not an http(s) page");
    assert_eq!(sim.view(), before);
}

#[test]
fn selectors_are_remembered_per_site() {
    let sim = campaign_sim(settings(&["a"], 3));
    let remembered = sim.engine.campaign().remembered("http://127.0.0.1:8080/other/page").unwrap();
    assert_eq!(remembered.input, "#msg");
    assert!(sim.engine.campaign().remembered("http://127.0.0.1:9090/chat").is_none());
}

#[test]
fn a_tab_that_went_to_another_site_gets_nothing_and_the_campaign_pauses_telling_the_user_where_it_went_but_not_the_webhooks() {
    let mut sim = campaign_sim(settings(&["a", "b"], 0));
    sim.control(Control::Start);
    let command = sim.due().unwrap();
    assert_eq!(command.site, "http://127.0.0.1:8080", "the content script types only on this origin");
    // The content script found the tab on another origin and typed nothing.
    sim.engine.campaign_sent(command.seq, Err(SendFailure::WrongSite("http://localhost:8080".into())), sim.now);
    let message = "the chat tab is now on http://localhost:8080, not http://127.0.0.1:8080; nothing was typed";
    assert_eq!(sim.engine.campaign().status(), &Status::Paused);
    assert_eq!(sim.view()["lastError"], message);
    assert_eq!(sim.view()["totalMessagesSent"], 0);
    let events = sim.events();
    assert_eq!(sim.names(), ["campaign_started", "error", "campaign_paused"]);
    assert_eq!(events[1].1["error"], "the chat tab left http://127.0.0.1:8080; nothing was typed");
    assert!(!events[1].1.to_string().contains("localhost"), "the site the user went to is not sent: {}", events[1].1);
    assert_eq!(sim.drain().wake, None, "nothing more is due until the user resumes");
    sim.now = sim.now.plus(60_000);
    assert!(sim.due().is_none());
}

#[test]
fn every_send_allows_the_targets_origin_so_another_page_or_a_reload_on_that_site_keeps_sending() {
    let mut sim = campaign_sim(settings(&["a", "b"], 0));
    sim.control(Control::Start);
    let before = sim.send_all(2);
    // The chat reloaded on another room of the same site and the user chose it again.
    let selectors = Selectors { input: "#msg".into(), button: Some("#send".into()) };
    sim.engine.set_campaign_target(7, "http://127.0.0.1:8080/chat?room=2#latest", selectors).unwrap();
    let after = sim.send_all(2);
    assert!(before.iter().chain(&after).all(|(_, c)| c.site == "http://127.0.0.1:8080" && c.tab_id == 7));
    assert_eq!(sim.engine.campaign().status(), &Status::Running);
    assert_eq!(sim.view()["totalMessagesSent"], 4);
}

#[test]
fn a_browser_restart_forgets_the_tab_and_the_next_send_pauses_asking_to_pick_the_chat_again() {
    let mut sim = campaign_sim(settings(&["a", "b"], 0));
    sim.control(Control::Start);
    sim.send_all(1);
    sim.engine.take_changes();
    sim.engine.browser_restarted();
    let stored = sim.engine.take_changes().set;
    let campaign: Value = serde_json::from_str(&stored["campaign"]).unwrap();
    assert_eq!(campaign["target"], Value::Null, "the forgotten tab is stored as such");
    assert_eq!(sim.view()["target"], Value::Null);
    let remembered = sim.engine.campaign().remembered("http://127.0.0.1:8080/chat").unwrap();
    assert_eq!(remembered.input, "#msg", "the selectors stay remembered for the site");

    sim.now = sim.drain().wake.unwrap();
    assert!(sim.due().is_none(), "nothing goes to whatever tab has the old id");
    assert_eq!(sim.engine.campaign().status(), &Status::Paused);
    let message = "no chat tab: the browser restarted, so the chat must be chosen again (Pick input, or Use the saved input here, in the popup); nothing was typed";
    assert_eq!(sim.view()["lastError"], message);
    assert_eq!(sim.names()[2..], ["error", "campaign_paused"]);
    assert_eq!(sim.events()[2].1["error"], message);
    assert_eq!(sim.drain().wake, None, "paused, not due forever");

    let error = sim.engine.control_campaign(Control::Resume, sim.now).unwrap_err();
    assert_eq!((error.field(), error.to_string().as_str()), (Some("target"), "target: pick the chat's input first"));
    let selectors = Selectors { input: "#msg".into(), button: Some("#send".into()) };
    sim.engine.set_campaign_target(12, "http://127.0.0.1:8080/chat", selectors).unwrap();
    sim.control(Control::Resume);
    assert_eq!(sim.due().unwrap().tab_id, 12);
}

#[test]
fn a_pick_is_stored_so_the_picker_can_finish_after_the_worker_restarts_but_only_once() {
    let mut sim = campaign_sim(settings(&["a"], 0));
    let expires = sim.engine.begin_campaign_pick(9, "https://chat.test/room", "t0ken".into(), sim.now).unwrap();
    assert_eq!(expires, sim.now.plus(5 * 60_000));
    assert!(!sim.view().to_string().contains("t0ken"), "the token is never shown");
    let stored = sim.engine.take_changes().set;
    let mut restarted = Engine::restore(Snapshot::from_stored(stored), [9; 16], sim.now);
    let selectors = || Selectors { input: "#compose".into(), button: None };
    restarted.finish_campaign_pick(9, "https://chat.test/room", selectors(), Some("t0ken"), sim.now.plus(60_000)).unwrap();
    assert_eq!(restarted.campaign().view(None, sim.now)["target"]["site"], "https://chat.test");
    let again = restarted.finish_campaign_pick(9, "https://chat.test/room", selectors(), Some("t0ken"), sim.now.plus(61_000));
    assert_eq!(again.unwrap_err().code().as_str(), "not_allowed");
}

#[test]
fn a_browser_restart_also_closes_an_open_pick() {
    let mut sim = campaign_sim(settings(&["a"], 0));
    sim.engine.begin_campaign_pick(9, "https://chat.test/", "t0ken".into(), sim.now).unwrap();
    sim.engine.browser_restarted();
    let selectors = Selectors { input: "#compose".into(), button: None };
    let error = sim.engine.finish_campaign_pick(9, "https://chat.test/", selectors, Some("t0ken"), sim.now).unwrap_err();
    assert_eq!(error.code().as_str(), "not_allowed", "tab 9 may now be another tab");
}
