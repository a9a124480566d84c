//! The outbox's pages in storage (`pending/<page>`): a profile of an
//! earlier version moves into them, and what a failed write, a restart or
//! another writer leaves in them sends each delivery once.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::{status, Sim};

fn pages(storage: &BTreeMap<String, String>) -> Vec<(String, Vec<String>)> {
    storage
        .iter()
        .filter(|(key, _)| key.starts_with("pending/"))
        .map(|(key, text)| {
            let page: Vec<Value> = serde_json::from_str(text).unwrap();
            (key.clone(), page.iter().map(|d| d["id"].as_str().unwrap().to_string()).collect())
        })
        .collect()
}

fn legacy_keys(storage: &BTreeMap<String, String>) -> Vec<String> {
    storage.keys().filter(|key| key.starts_with("delivery/")).cloned().collect()
}

/// The store as earlier versions kept it: each unfinished delivery under
/// `delivery/<id>`, attempts in flight under `inflight`.
fn as_kept_before_pages(storage: &mut BTreeMap<String, String>) {
    for (key, _) in pages(storage) {
        let page: Vec<Value> = serde_json::from_str(&storage.remove(&key).unwrap()).unwrap();
        for delivery in page {
            storage.insert(format!("delivery/{}", delivery["id"].as_str().unwrap()), delivery.to_string());
        }
    }
}

#[test]
fn an_upgraded_profile_moves_every_delivery_into_pages_with_the_first_write_and_sends_each_once() {
    let mut sim = Sim::new(1);
    sim.webhook(json!({"url": "https://h.test/"}));
    (0..3).for_each(|_| drop(sim.emit("message_sent")));
    let sent = sim.transmits();
    assert_eq!(sent.len(), 3);
    let ids: Vec<String> = sent.iter().map(|t| t.delivery_id.clone()).collect();
    // The first answered (and written), the others in flight as the worker stops.
    sim.respond(&sent[0], status(200));
    sim.persist();
    as_kept_before_pages(&mut sim.storage);
    // As v3 wrote them: no attempt in the delivery's key, only under inflight.
    for id in &ids[1..] {
        let key = format!("delivery/{id}");
        let mut delivery: Value = serde_json::from_str(&sim.storage[&key]).unwrap();
        delivery["attempts"] = json!([]);
        sim.storage.insert(key, delivery.to_string());
    }
    assert_eq!(legacy_keys(&sim.storage).len(), 2);
    sim.restart_from_storage();
    sim.persist();
    assert!(legacy_keys(&sim.storage).is_empty(), "{:?}", sim.storage.keys().collect::<Vec<_>>());
    let paged: Vec<String> = pages(&sim.storage).into_iter().flat_map(|(_, ids)| ids).collect();
    assert_eq!(paged.len(), 2);
    for id in &ids[1..] {
        let delivery = sim.engine.delivery(id).unwrap();
        assert_eq!(delivery.attempts.len(), 1, "the interrupted attempt counted once");
    }
    let again = sim.run(|_| status(200));
    let mut resent: Vec<&str> = again.iter().map(|(_, t)| t.delivery_id.as_str()).collect();
    resent.sort();
    let mut expected = vec![ids[1].as_str(), ids[2].as_str()];
    expected.sort();
    assert_eq!(resent, expected, "the interrupted ones once more, the delivered one never");
    sim.restart();
    assert!(sim.transmits().is_empty());
    assert!(pages(&sim.storage).is_empty());
}

#[test]
fn a_page_rewritten_in_a_failed_batch_and_changed_again_loses_nothing() {
    let mut sim = Sim::new(2);
    sim.webhook(json!({"url": "https://h.test/"}));
    (0..3).for_each(|_| drop(sim.emit("message_sent")));
    let sent = sim.transmits();
    let ids: Vec<String> = sent.iter().map(|t| t.delivery_id.clone()).collect();
    sim.respond(&sent[0], status(200));
    let failed = sim.engine.take_changes();
    assert!(failed.set.keys().any(|k| k.starts_with("pending/")));
    sim.engine.changes_failed(failed);
    sim.respond(&sent[1], status(200));
    sim.persist();
    assert_eq!(pages(&sim.storage).into_iter().flat_map(|(_, ids)| ids).collect::<Vec<_>>(), [ids[2].clone()]);
    sim.restart_from_storage();
    let resent: Vec<String> = sim.run(|_| status(200)).into_iter().map(|(_, t)| t.delivery_id).collect();
    assert_eq!(resent, [ids[2].clone()], "only the one in flight");
}

#[test]
fn a_restart_then_a_page_rewrite_while_an_attempt_is_in_flight_counts_it_once() {
    let mut sim = Sim::new(3);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids: Vec<String> = (0..2).flat_map(|_| sim.emit("message_sent")).collect();
    sim.restart(); // texts cache empty
    let sent = sim.transmits();
    assert_eq!(sent.len(), 2);
    let done = sent.iter().find(|t| t.delivery_id == ids[1]).unwrap();
    sim.respond(done, status(200));
    sim.persist(); // the page written again, holding ids[0] with its attempt in flight
    let (_, page) = &pages(&sim.storage)[0];
    assert_eq!(page, &[ids[0].clone()]);
    assert!(sim.storage.values().any(|v| v.contains(&format!("{}.1", ids[0]))));
    sim.restart_from_storage();
    let delivery = sim.engine.delivery(&ids[0]).unwrap();
    assert_eq!(delivery.attempts.len(), 1);
    let resent = sim.run(|_| status(200));
    assert_eq!(resent.len(), 1);
    assert_eq!(sim.engine.delivery(&ids[0]).unwrap().attempts.len(), 2);
}

/// A page holding one delivery twice keeps it once.
#[test]
fn a_page_holding_a_delivery_twice_is_written_again_with_it_once() {
    let mut sim = Sim::new(5);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids: Vec<String> = (0..2).flat_map(|_| sim.emit("message_sent")).collect();
    sim.persist();
    let (key, _) = pages(&sim.storage)[0].clone();
    let mut page: Vec<Value> = serde_json::from_str(&sim.storage[&key]).unwrap();
    page.push(page[0].clone());
    sim.storage.insert(key.clone(), serde_json::to_string(&page).unwrap());
    sim.restart();
    let sent = sim.transmits();
    assert_eq!(sent.len(), 2, "sent once");
    let other = sent.iter().find(|t| t.delivery_id == ids[1]).unwrap();
    sim.respond(other, status(200));
    sim.persist();
    let (_, held) = pages(&sim.storage).into_iter().find(|(k, _)| *k == key).unwrap();
    assert_eq!(held, [ids[0].clone()], "kept once");
}

/// A page copied under another page's key (sorting first): each delivery
/// is sent once, and the copy goes with the first write.
#[test]
fn a_page_copied_under_another_key_sends_each_delivery_once() {
    let mut sim = Sim::new(6);
    sim.webhook(json!({"url": "https://h.test/"}));
    (0..3).for_each(|_| drop(sim.emit("message_sent")));
    sim.persist();
    let (key, _) = pages(&sim.storage)[0].clone();
    sim.storage.insert("pending/0copy".into(), sim.storage[&key].clone());
    sim.restart();
    sim.persist();
    assert_eq!(pages(&sim.storage).len(), 1, "{:?}", pages(&sim.storage));
    let sent = sim.run(|_| status(200));
    assert_eq!(sent.len(), 3);
    sim.restart();
    assert!(pages(&sim.storage).is_empty());
}

/// A finished delivery found in a page is logged, not sent, and its page
/// written again without it.
#[test]
fn a_finished_entry_in_a_page_is_logged_not_sent() {
    let mut sim = Sim::new(7);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids: Vec<String> = (0..2).flat_map(|_| sim.emit("message_sent")).collect();
    sim.persist();
    let (key, _) = pages(&sim.storage)[0].clone();
    let mut page: Vec<Value> = serde_json::from_str(&sim.storage[&key]).unwrap();
    page[0]["state"] = json!("delivered");
    page[0]["finishedAt"] = json!(sim.now.0);
    let finished = page[0]["id"].as_str().unwrap().to_string();
    sim.storage.insert(key.clone(), serde_json::to_string(&page).unwrap());
    sim.restart();
    sim.persist();
    let (_, held) = pages(&sim.storage).into_iter().find(|(k, _)| *k == key).unwrap();
    assert!(!held.contains(&finished));
    let sent: Vec<String> = sim.run(|_| status(200)).into_iter().map(|(_, t)| t.delivery_id).collect();
    assert!(!sent.contains(&finished) && sent.len() == 1, "{sent:?} {ids:?}");
}

/// A stored page holding nothing (no engine writes one) is removed.
#[test]
fn an_empty_stored_page_is_removed() {
    let mut sim = Sim::new(8);
    sim.webhook(json!({"url": "https://h.test/"}));
    sim.persist();
    sim.storage.insert("pending/dlv_empty".into(), "[]".into());
    sim.restart();
    sim.persist();
    assert!(!sim.storage.contains_key("pending/dlv_empty"));
}
