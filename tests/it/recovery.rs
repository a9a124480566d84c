//! A profile that is not what this build wrote degrades, never bricks: each
//! stored record is read on its own, unreadable ones are set aside, invalid
//! webhooks are turned off with the reason; and a request repeated after its
//! reply was lost is answered once, not run twice — across a restart too.

use std::collections::BTreeMap;

use autohook::{handle, DeliveryState, Engine, Key, NotificationKind, Outcome, Sealing, Sender, Snapshot};
use serde_json::{json, Value};

use crate::common::{self, ask, Drained, RANDOM, START};

/// An engine with the storage it writes, restartable from that storage.
struct Profile {
    engine: Engine,
    storage: BTreeMap<String, String>,
}

impl Profile {
    fn new() -> Profile {
        Profile { engine: Engine::new([3; 16]), storage: BTreeMap::new() }
    }

    fn ask(&mut self, message: Value) -> Value {
        ask(&mut self.engine, message, Sender::ExtensionPage, START, &RANDOM)
    }

    fn persist(&mut self) {
        common::persist(&mut self.engine, &mut self.storage);
    }

    /// What the driver would be asked to do now.
    fn drain(&mut self) -> Drained {
        let mut drained = Drained::default();
        self.engine.drive(START, &mut drained);
        drained
    }

    fn restart(&mut self) {
        self.persist();
        self.engine = Engine::restore(common::from_store(&self.storage), [4; 16], START);
        self.persist();
    }

    fn create(&mut self, url: &str) -> String {
        let created = self.ask(json!({"type": "webhooks.create", "webhook": {"url": url, "secret": "whsec_c2VjcmV0"}}));
        created["value"]["id"].as_str().expect("created").to_string()
    }

    /// Rewrites the stored webhooks list through `change`.
    fn edit_stored_webhooks(&mut self, change: impl FnOnce(&mut Vec<Value>)) {
        let mut list: Vec<Value> = serde_json::from_str(&self.storage["webhooks"]).unwrap();
        change(&mut list);
        self.storage.insert("webhooks".into(), serde_json::to_string(&list).unwrap());
    }
}

#[test]
fn unreadable_records_are_set_aside_and_everything_else_loads() {
    let mut profile = Profile::new();
    let (kept, _) = (profile.create("https://a.test/in"), profile.create("https://b.test/in"));
    let deliveries = profile.engine.emit("message_sent", json!({"message": "hi"}), START).unwrap();
    profile.persist();
    let broken_delivery = format!("delivery/{}", deliveries[0]);
    let truncated = profile.storage[&broken_delivery][..40].to_string();
    profile.storage.insert(broken_delivery.clone(), truncated.clone());
    profile.storage.insert("settings".into(), "{\"enabled\": tru".into());
    profile.edit_stored_webhooks(|list| list[1]["url"] = json!(5));

    profile.restart();

    let webhooks = profile.ask(json!({"type": "webhooks.list"}))["value"].clone();
    assert_eq!(webhooks.as_array().unwrap().len(), 1);
    assert_eq!(webhooks[0]["id"], kept.as_str());
    let pending: Vec<_> = profile.engine.deliveries().map(|d| (d.id.clone(), d.state)).collect();
    assert!(pending.iter().all(|(id, _)| *id != deliveries[0]), "the unreadable delivery is not loaded");
    assert!(
        pending.contains(&(deliveries[1].clone(), DeliveryState::Cancelled)),
        "the unreadable webhook's delivery is cancelled: {pending:?}"
    );
    assert_eq!(profile.ask(json!({"type": "settings.get"}))["value"], json!({"enabled": true}));

    let listed = profile.ask(json!({"type": "storage.unreadable"}))["value"].clone();
    let mut origins: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["origin"].as_str().unwrap()).collect();
    origins.sort();
    assert_eq!(origins, [broken_delivery.as_str(), "settings", "webhooks[1]"]);
    let delivery_record = listed.as_array().unwrap().iter().find(|r| r["origin"] == broken_delivery.as_str()).unwrap();
    assert_eq!(delivery_record["preview"], truncated.as_str());
    assert!(delivery_record["reason"].as_str().unwrap().contains("EOF"), "{delivery_record}");

    // Set aside under their own keys; the originals hold only what was readable.
    assert!(!profile.storage.contains_key(&broken_delivery));
    assert!(profile.storage.contains_key(&format!("unreadable/{broken_delivery}")));
    assert_eq!(serde_json::from_str::<Vec<Value>>(&profile.storage["webhooks"]).unwrap().len(), 1);
    let settings: Value = serde_json::from_str(&profile.storage["settings"]).unwrap();
    assert_eq!(settings["enabled"], true, "the default, rewritten");

    // A second start finds the same three records, not six.
    profile.restart();
    assert_eq!(profile.ask(json!({"type": "storage.unreadable"}))["value"].as_array().unwrap().len(), 3);
    let name = broken_delivery.to_string();
    assert_eq!(profile.ask(json!({"type": "storage.deleteUnreadable", "name": name}))["ok"], true);
    profile.persist();
    assert!(!profile.storage.contains_key(&format!("unreadable/{broken_delivery}")));
    let again = profile.ask(json!({"type": "storage.deleteUnreadable", "name": name}));
    assert_eq!(again["error"]["code"], "bad_request");
}

#[test]
fn a_record_that_is_not_even_json_text_is_set_aside_too() {
    let stored = vec![("campaign".to_string(), json!([1, 2])), ("webhooks".into(), json!("not json"))];
    let snapshot = Snapshot::from_stored(stored);
    let origins: Vec<&str> = snapshot.unreadable.iter().map(|r| r.origin.as_str()).collect();
    assert_eq!(origins, ["campaign", "webhooks"]);
}

#[test]
fn a_stored_webhook_whose_secret_no_longer_parses_is_turned_off_and_never_sends_unsigned() {
    let mut profile = Profile::new();
    let id = profile.create("https://a.test/in");
    profile.persist();
    profile.edit_stored_webhooks(|list| list[0]["secret"] = json!("whsec_!!not base64!!"));
    profile.restart();

    let webhook = profile.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!(webhook["enabled"], false);
    let reason = webhook["disabledReason"].as_str().unwrap();
    assert!(reason.contains("secret") && reason.contains("base64"), "{reason}");
    assert!(profile.engine.emit("message_sent", json!({}), START).unwrap().is_empty(), "a turned-off webhook gets nothing");

    // Turning it on needs the secret fixed first; the error names the field.
    let refused = profile.ask(json!({"type": "webhooks.setEnabled", "id": id, "enabled": true}));
    assert_eq!(refused["error"]["field"], "secret");
    assert_eq!(profile.ask(json!({"type": "webhooks.list"}))["value"][0]["enabled"], false, "a refused request changes nothing");

    // A Test still goes through the engine, and fails closed rather than unsigned.
    let test = profile.ask(json!({"type": "webhooks.test", "id": id}));
    let delivery_id = test["value"]["after"].as_str().unwrap().to_string();
    profile.persist();
    let sent = profile.drain().transmits;
    assert!(sent.is_empty(), "nothing is sent with a secret that does not parse: {sent:?}");
    let delivery = profile.engine.delivery(&delivery_id).unwrap();
    assert_eq!(delivery.state, DeliveryState::Failed);
    assert!(delivery.reason.as_deref().unwrap().contains("secret"), "{:?}", delivery.reason);

    let fixed = profile.ask(json!({"type": "webhooks.update", "id": id, "changes": {"secret": "whsec_bmV3", "enabled": true}}));
    assert_eq!(fixed["value"]["enabled"], true, "{fixed}");
    assert_eq!(fixed["value"]["disabledReason"], Value::Null);
}

#[test]
fn a_repeated_request_id_gets_the_first_answer_and_acts_once_even_after_a_restart() {
    let mut profile = Profile::new();
    profile.create("https://a.test/in");
    let emit = json!({"type": "events.emit", "event": "message_sent", "data": {}, "requestId": "r-1"});
    let first = profile.ask(emit.clone());
    assert_eq!(profile.ask(emit.clone()), first);
    profile.restart();
    assert_eq!(profile.ask(emit), first, "the answer outlives the worker that gave it");
    assert_eq!(profile.engine.deliveries().count(), 1, "the event was raised once");

    let other = profile.ask(json!({"type": "events.emit", "event": "message_sent", "requestId": "r-2"}));
    assert_ne!(other, first);
    let created = json!({"type": "webhooks.create", "webhook": {"url": "https://b.test/"}, "requestId": "r-3"});
    assert_eq!(profile.ask(created.clone()), profile.ask(created));
    assert_eq!(profile.engine.webhooks().len(), 2);
}

#[test]
fn request_ids_are_scoped_to_their_sender_and_checked() {
    let mut profile = Profile::new();
    let listed = profile.ask(json!({"type": "webhooks.list", "requestId": 7}));
    assert_eq!(listed["error"]["code"], "bad_request");
    assert!(listed["error"]["message"].as_str().unwrap().contains("requestId"));
    profile.ask(json!({"type": "settings.set", "enabled": false, "requestId": "same"}));
    let content = Sender::ContentScript { tab_id: 1, url: "https://chat.test/".into() };
    let from_page_id =
        handle(&mut profile.engine, json!({"type": "settings.set", "enabled": true, "requestId": "same"}), content, START, &[0; 32]);
    assert!(from_page_id.is_err(), "a content script does not get the page's remembered answer");
}

#[test]
fn an_interrupted_test_delivery_is_answered_from_the_log_after_a_restart() {
    let mut profile = Profile::new();
    let id = profile.create("https://a.test/in");
    let test = profile.ask(json!({"type": "webhooks.test", "id": id, "requestId": "t-1"}));
    profile.persist();
    let transmit = profile.drain().transmits.pop().expect("the test is sent");
    profile.restart();
    let repeat = profile.ask(json!({"type": "webhooks.test", "id": id, "requestId": "t-1"}));
    assert_eq!(repeat, test, "the repeat waits on the same delivery");
    let delivery = profile.engine.delivery(test["value"]["after"].as_str().unwrap()).unwrap();
    assert_eq!(delivery.state, DeliveryState::Failed, "interrupted, and a Test is not retried");
    let id = delivery.id.clone();
    profile.engine.handle_response(transmit.attempt, Outcome::Timeout, START);
    assert_eq!(profile.engine.delivery(&id).unwrap().state, DeliveryState::Failed, "a result from before the restart changes nothing");
}

#[test]
fn a_webhook_turned_off_on_load_sends_none_of_its_queued_deliveries() {
    let mut profile = Profile::new();
    profile.create("https://a.test/in");
    let queued = profile.engine.emit("message_sent", json!({}), START).unwrap();
    profile.persist();
    profile.edit_stored_webhooks(|list| list[0]["ratePerMinute"] = json!(0));
    profile.restart();
    assert!(profile.drain().transmits.is_empty(), "nothing goes out with settings that no longer validate");
    let delivery = profile.engine.delivery(&queued[0]).unwrap();
    assert_eq!(delivery.state, DeliveryState::Cancelled);
    assert!(delivery.reason.as_deref().unwrap().contains("stored settings are invalid"), "{:?}", delivery.reason);
}

#[test]
fn stored_values_that_validation_would_refuse_cannot_panic_the_engine() {
    let mut profile = Profile::new();
    let id = profile.create("https://a.test/in");
    profile.ask(json!({"type": "campaign.configure", "settings": {"phrases": ["hello"]}}));
    profile.persist();
    profile.edit_stored_webhooks(|list| {
        list[0]["events"] = json!([]);
        list[0]["ratePerMinute"] = json!(0);
    });
    let mut campaign: Value = serde_json::from_str(&profile.storage["campaign"]).unwrap();
    campaign["status"] = json!("running");
    campaign["settings"]["phrases"] = json!([]);
    campaign["nextSendAt"] = json!(START.0 - 1);
    campaign["target"] = json!({"tabId": 3, "site": "https://chat.test", "input": "#m", "button": null});
    profile.storage.insert("campaign".into(), campaign.to_string());
    profile.restart();

    let preview = profile.ask(json!({"type": "webhooks.preview", "id": id, "webhook": {}}));
    assert!(preview["ok"].is_boolean(), "{preview}");
    assert!(profile.drain().typed.is_empty(), "no phrase to type");
    let campaign = profile.ask(json!({"type": "campaign.get"}))["value"].clone();
    assert_eq!(campaign["status"], "paused");
    assert!(campaign["lastError"].as_str().unwrap().contains("no phrases"), "{campaign}");
}

#[test]
fn a_record_set_aside_before_its_original_was_removed_is_not_set_aside_twice() {
    let mut profile = Profile::new();
    profile.storage.insert("delivery/dlv_x".into(), "{\"id\":".into());
    profile.restart();
    // As if the worker stopped between the batch's set and its remove.
    profile.storage.insert("delivery/dlv_x".into(), "{\"id\":".into());
    profile.restart();
    assert_eq!(profile.ask(json!({"type": "storage.unreadable"}))["value"].as_array().unwrap().len(), 1);
    assert!(!profile.storage.contains_key("delivery/dlv_x"));
}

#[test]
fn a_url_that_grows_when_percent_encoded_is_judged_as_stored() {
    let mut profile = Profile::new();
    let long = format!("https://a.test/{}", "é".repeat(700));
    let refused = profile.ask(json!({"type": "webhooks.create", "webhook": {"url": long}}));
    assert_eq!(refused["error"]["field"], "url", "{refused}");
    let fits = format!("https://a.test/{}", "é".repeat(300));
    let id = profile.ask(json!({"type": "webhooks.create", "webhook": {"url": fits}}))["value"]["id"].clone();
    profile.restart();
    let webhook = profile.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!((webhook["id"].clone(), webhook["enabled"].clone()), (id, json!(true)), "still valid after a restart");
}

#[test]
fn a_repeated_campaign_request_gets_the_campaign_as_it_is_without_keeping_every_phrase() {
    let mut profile = Profile::new();
    let phrases: Vec<String> = (0..200).map(|n| format!("phrase {n} {}", "x".repeat(400))).collect();
    let configure = json!({"type": "campaign.configure", "settings": {"phrases": phrases}, "requestId": "c-1"});
    let first = profile.ask(configure.clone());
    assert_eq!(first["ok"], true);
    profile.persist();
    assert!(profile.storage["replies"].len() < 1000, "the phrases are not kept again: {} bytes", profile.storage["replies"].len());
    assert_eq!(profile.ask(configure), first);
}

/// A stored webhook that acts on replies over plain http to another
/// machine (written by an older build, or by something that is not the
/// background) loads turned off, with the reason on its card.
#[test]
fn a_stored_webhook_acting_on_replies_over_plain_http_loads_turned_off() {
    let mut profile = Profile::new();
    let id = profile.create("https://a.test/in");
    profile.persist();
    profile.edit_stored_webhooks(|list| {
        list[0]["url"] = json!("http://a.test/in");
        list[0]["actOnReplies"] = json!(true);
    });
    profile.restart();
    let webhook = profile.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!((webhook["id"].as_str(), webhook["enabled"].clone()), (Some(id.as_str()), json!(false)));
    assert!(webhook["disabledReason"].as_str().unwrap().contains("actOnReplies needs an https URL"), "{webhook}");
    let fixed = profile.ask(json!({"type": "webhooks.update", "id": id, "changes": {"url": "https://a.test/in", "enabled": true}}));
    assert_eq!(fixed["value"]["enabled"], true, "{fixed}");
}

#[test]
fn a_stored_webhook_naming_an_event_or_preset_this_build_lacks_loads_turned_off_not_set_aside() {
    let mut profile = Profile::new();
    let id = profile.create("https://a.test/in");
    profile.persist();
    profile.edit_stored_webhooks(|list| {
        list[0]["events"] = json!(["message_sent", "message_edited"]);
        list[0]["preset"] = json!("fax");
    });
    profile.restart();

    assert_eq!(profile.ask(json!({"type": "storage.unreadable"}))["value"], json!([]));
    let webhook = profile.ask(json!({"type": "webhooks.list"}))["value"][0].clone();
    assert_eq!((webhook["id"].as_str(), webhook["enabled"].clone()), (Some(id.as_str()), json!(false)));
    assert_eq!(webhook["events"], json!(["message_sent", "message_edited"]), "listed as stored");
    assert!(webhook["disabledReason"].as_str().unwrap().contains("events"), "{webhook}");
    let stored: Vec<Value> = serde_json::from_str(&profile.storage["webhooks"]).unwrap();
    assert_eq!((stored[0]["preset"].clone(), stored[0]["enabled"].clone()), (json!("fax"), json!(false)), "kept as found, turned off");

    let fixed = profile
        .ask(json!({"type": "webhooks.update", "id": id, "changes": {"events": ["message_sent"], "preset": "raw", "enabled": true}}));
    assert_eq!(fixed["value"]["enabled"], true, "{fixed}");
}

// ----- what the store hands over must be what the background stored -----

/// Restarts `profile` from its storage as the browser's store would hand
/// it over, except that `forged` arrives with the sealing given.
fn restart_with(profile: &mut Profile, forged: &str, sealing: Sealing) {
    profile.persist();
    let records = profile.storage.iter().map(|(key, text)| {
        let as_stored = match key == forged {
            true => sealing,
            false if Key::parse(key).is_some_and(|key| key.is_sealed()) => Sealing::Opened,
            false => Sealing::Clear,
        };
        (key.clone(), Value::String(text.clone()), as_stored)
    });
    profile.engine = Engine::restore(Snapshot::from_store(records), [4; 16], START);
    profile.persist();
}

/// The origins of the set-aside records, sorted, with whether each was unopenable.
fn set_aside(profile: &mut Profile) -> Vec<(String, bool)> {
    let listed = profile.ask(json!({"type": "storage.unreadable"}))["value"].clone();
    let mut origins: Vec<(String, bool)> =
        listed.as_array().unwrap().iter().map(|r| (r["origin"].as_str().unwrap().into(), r["unopenable"] == true)).collect();
    origins.sort();
    origins
}

/// A profile with a webhook, a campaign, a kept reply and a set-aside
/// record: every kind of record that is stored sealed.
fn profile_with_every_sealed_record() -> Profile {
    let mut profile = Profile::new();
    profile.create("https://a.test/in");
    profile.ask(json!({"type": "campaign.configure", "requestId": "r1", "settings": {"phrases": ["hello"]}}));
    profile
        .storage
        .insert("unreadable/delivery/dlv_old".into(), json!({"origin": "delivery/dlv_old", "reason": "EOF", "text": "{"}).to_string());
    profile.persist();
    profile.restart();
    profile
}

#[test]
fn a_record_stored_in_the_clear_where_the_background_seals_is_set_aside_never_loaded() {
    let sealed: Vec<String> =
        profile_with_every_sealed_record().storage.keys().filter(|k| Key::parse(k).is_some_and(|k| k.is_sealed())).cloned().collect();
    assert!(sealed.len() >= 4, "webhooks, campaign, replies and a set-aside record: {sealed:?}");
    for forged in sealed {
        let mut profile = profile_with_every_sealed_record();
        restart_with(&mut profile, &forged, Sealing::Clear);
        let origins = set_aside(&mut profile);
        assert!(origins.iter().any(|(origin, unopenable)| *origin == forged && !unopenable), "{forged}: {origins:?}");
        if forged == "webhooks" {
            assert!(profile.engine.emit("message_sent", json!({}), START).unwrap().is_empty(), "no webhook was loaded to send to");
        }
    }
}

#[test]
fn a_sealed_record_that_does_not_open_is_set_aside_and_told_once() {
    for forged in ["webhooks", "campaign"] {
        let mut profile = profile_with_every_sealed_record();
        profile.drain();
        restart_with(&mut profile, forged, Sealing::Unopenable);
        assert!(set_aside(&mut profile).contains(&(forged.to_string(), true)), "{forged}");
        let told: Vec<_> = profile.drain().notified.into_iter().map(|n| n.kind).collect();
        assert_eq!(told, [NotificationKind::RecordsUnopenable], "{forged}");

        profile.restart();
        assert!(set_aside(&mut profile).contains(&(forged.to_string(), true)), "still listed after a restart: {forged}");
        assert!(profile.drain().notified.is_empty(), "{forged}: told once, not at every start");
    }
}

#[test]
fn a_delivery_copied_under_another_deliverys_key_is_set_aside_not_sent() {
    let mut profile = Profile::new();
    profile.create("https://a.test/in");
    let id = profile.engine.emit("message_sent", json!({"message": "hi"}), START).unwrap().remove(0);
    profile.persist();
    let copy = profile.storage[&format!("delivery/{id}")].clone();
    profile.storage.insert("delivery/dlv_copy".into(), copy);

    profile.restart();

    assert_eq!(set_aside(&mut profile), [("delivery/dlv_copy".to_string(), false)]);
    let sent: Vec<String> = profile.drain().transmits.iter().map(|t| t.delivery_id.clone()).collect();
    assert_eq!(sent, [id], "the original once, the copy never");
}
