//! The outbox's pages in storage (`pending/<page>`): a profile of an
//! earlier version moves into them, and what a failed write, a restart or
//! another writer leaves in them sends each delivery once.

use std::collections::BTreeMap;

use autohook::Transmit;
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

/// A simulation with one webhook and `events` deliveries stored in its
/// page: the deliveries' ids and the page's key.
fn one_page(seed: u8, events: usize) -> (Sim, Vec<String>, String) {
    let mut sim = Sim::new(seed);
    sim.webhook(json!({"url": "https://h.test/"}));
    let ids: Vec<String> = (0..events).flat_map(|_| sim.emit("message_sent")).collect();
    sim.persist();
    let (key, _) = pages(&sim.storage)[0].clone();
    (sim, ids, key)
}

/// A simulation with one webhook and `events` deliveries stored and sent:
/// their first attempts, and the deliveries' ids in that order.
fn sending(seed: u8, events: usize) -> (Sim, Vec<Transmit>, Vec<String>) {
    let (mut sim, _, _) = one_page(seed, events);
    let sent = sim.transmits();
    let ids = sent.iter().map(|t| t.delivery_id.clone()).collect();
    (sim, sent, ids)
}

/// Changes the stored page `key` as another writer could.
fn edit_page(sim: &mut Sim, key: &str, change: impl FnOnce(&mut Vec<Value>)) {
    let mut page: Vec<Value> = serde_json::from_str(&sim.storage[key]).unwrap();
    change(&mut page);
    sim.storage.insert(key.to_string(), serde_json::to_string(&page).unwrap());
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
    let (mut sim, sent, ids) = sending(1, 3);
    assert_eq!(sent.len(), 3);
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
    let (mut sim, sent, ids) = sending(2, 3);
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
    let (mut sim, ids, key) = one_page(5, 2);
    edit_page(&mut sim, &key, |page| page.push(page[0].clone()));
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
    let (mut sim, _, key) = one_page(6, 3);
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
    let (mut sim, ids, key) = one_page(7, 2);
    let (now, finished) = (sim.now.0, ids[0].clone());
    edit_page(&mut sim, &key, |page| {
        page[0]["state"] = json!("delivered");
        page[0]["finishedAt"] = json!(now);
    });
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
