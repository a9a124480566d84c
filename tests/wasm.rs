//! The Wasm build in a real browser (a service worker, where it runs in the
//! extension): the adapter's boundary — replies, error codes, persistence
//! through the host — and the crypto crates compiled to wasm32.
#![cfg(target_arch = "wasm32")]

use autohook::{sign_payload, standard_signature, Background, Host, SecretKey};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_service_worker);

#[wasm_bindgen(inline_js = r#"
export function memoryHost(initial, reachable = true) {
  // Shallow copies: stored values are strings, or objects a test built to
  // be hostile (too deep for structuredClone) that must reach the core as they are.
  const stored = { ...initial };
  // The names saved sealed, handed back as opened; the rest (the initial
  // records among them) as stored in the clear.
  const sealedNames = new Set();
  const typed = [];
  // The log's store, which a start does not read.
  const log = {};
  return {
    stored,
    log,
    typed,
    // A chat tab whose send button vanished after the second message.
    sendToTab: async (command) => {
      typed.push(command);
      return typed.length <= 2 ? { ok: true } : { ok: false, error: 'Failed to find send button' };
    },
    canReach: () => reachable,
    load: async () => {
      const sorted = { clear: {}, unsealed: {}, unopenable: {} };
      for (const [key, value] of Object.entries(stored)) sorted[sealedNames.has(key) ? 'unsealed' : 'clear'][key] = value;
      return sorted;
    },
    // Sealing is the real host's work (shared/seal.js); here it is kept plain.
    loadLog: async () => ({ ...log }),
    save: async (set, sealed, remove, logSet, logRemove) => {
      Object.assign(stored, structuredClone(set), structuredClone(sealed));
      Object.keys(sealed).forEach((key) => sealedNames.add(key));
      for (const key of remove) {
        delete stored[key];
        sealedNames.delete(key);
      }
      Object.assign(log, structuredClone(logSet));
      for (const key of logRemove) delete log[key];
    },
    newBrowserSession: async () => false,
    wakeAt() {},
    mark() {},
    changed() {},
    setBadge() {},
    notify() {},
    isOnline: () => true,
  };
}
export function storedOf(host) { return host.stored; }
export function logOf(host) { return host.log; }
export function deepObject(depth) {
  let value = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}
export function typedOf(host) { return host.typed; }
"#)]
extern "C" {
    fn memoryHost(initial: JsValue) -> Host;
    #[wasm_bindgen(js_name = memoryHost)]
    fn memory_host_without_access(initial: JsValue, reachable: bool) -> Host;
    fn storedOf(host: &Host) -> JsValue;
    fn logOf(host: &Host) -> JsValue;
    fn typedOf(host: &Host) -> JsValue;
    fn deepObject(depth: u32) -> JsValue;
}

/// Plain JS objects, as extension storage and messages hold (the default
/// serializer would make ES `Map`s).
fn js(value: Value) -> JsValue {
    use serde::Serialize;
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

fn rust(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).unwrap()
}

/// What the host stored under `key`, parsed from the JSON text written there.
fn stored(host: &Host, key: &str) -> Option<Value> {
    let text = rust(storedOf(host)).get(key)?.as_str().expect("stored values are JSON text").to_string();
    Some(serde_json::from_str(&text).unwrap())
}

async fn ask(background: &Background, message: Value, sender: &str) -> Value {
    let tab = if sender == "content" { js(json!({"id": 5, "url": "https://chat.test/"})) } else { JsValue::NULL };
    rust(JsFuture::from(background.handle(js(message), sender.into(), tab)).await.unwrap())
}

#[wasm_bindgen_test]
fn signing_matches_the_standard_webhooks_vector_in_wasm() {
    let key = SecretKey::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    assert_eq!(
        standard_signature(&key, "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, body),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

#[wasm_bindgen_test]
fn sign_payload_export_matches_the_vector_and_names_a_bad_secret() {
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let signature = sign_payload("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553.0, body);
    assert_eq!(signature.unwrap(), "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
    let error: js_sys::Error = sign_payload("whsec_!!", "id", 0.0, b"").unwrap_err().dyn_into().unwrap();
    assert_eq!(js_sys::Reflect::get(&error, &"code".into()).unwrap(), "invalid_input");
    assert!(String::from(error.message()).starts_with("secret"));
}

#[wasm_bindgen_test]
async fn a_created_webhook_is_saved_through_the_host_without_its_secret_in_replies() {
    let host = memoryHost(js(json!({})));
    let background = Background::start(host.clone().unchecked_into()).await.unwrap();
    let reply =
        ask(&background, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in", "secret": "s3cret"}}), "page").await;
    assert_eq!(reply["ok"], true);
    assert_eq!(reply["value"]["hasSecret"], true);
    assert!(!reply.to_string().contains("s3cret"));
    assert_eq!(stored(&host, "webhooks").unwrap()[0]["url"], "https://h.test/in");
}

#[wasm_bindgen_test]
async fn invalid_input_replies_with_code_and_field_and_stores_nothing() {
    let host = memoryHost(js(json!({})));
    let background = Background::start(host.clone().unchecked_into()).await.unwrap();
    let reply = ask(&background, json!({"type": "webhooks.create", "webhook": {"url": "ftp://h.test/"}}), "page").await;
    assert_eq!(
        reply,
        json!({"ok": false, "error": {"code": "invalid_input", "field": "url", "message": "url must use http or https, not ftp"}})
    );
    assert_eq!(stored(&host, "webhooks"), None);
}

#[wasm_bindgen_test]
async fn a_message_that_is_not_json_gets_a_bad_request_reply() {
    let background = Background::start(memoryHost(js(json!({})))).await.unwrap();
    for message in [JsValue::UNDEFINED, js_sys::Function::new_no_args("").into()] {
        let reply = rust(JsFuture::from(background.handle(message, "page".into(), JsValue::NULL)).await.unwrap());
        assert_eq!(reply["error"]["code"], "bad_request", "{reply}");
    }
}

#[wasm_bindgen_test]
async fn content_scripts_may_not_emit_events() {
    let background = Background::start(memoryHost(js(json!({})))).await.unwrap();
    let reply = ask(&background, json!({"type": "events.emit", "event": "error"}), "content").await;
    assert_eq!(reply["error"]["code"], "not_allowed");
}

#[wasm_bindgen_test]
async fn a_test_to_an_origin_without_host_permission_fails_with_that_reason() {
    let background = Background::start(memory_host_without_access(js(json!({})), false)).await.unwrap();
    let created = ask(&background, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in"}}), "page").await;
    let id = created["value"]["id"].clone();
    let reply = ask(&background, json!({"type": "webhooks.test", "id": id}), "page").await;
    assert_eq!(reply["value"]["ok"], false);
    assert_eq!(reply["value"]["failure"], "permission");
    assert_eq!(reply["value"]["error"], "permission missing: AutoHook may not reach https://h.test; grant access on the settings page");
}

#[wasm_bindgen_test]
async fn a_finished_delivery_is_kept_in_the_log_store_which_a_start_reads_only_when_asked() {
    let host = memory_host_without_access(js(json!({})), false);
    let background = Background::start(host.clone().unchecked_into()).await.unwrap();
    let created = ask(&background, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in"}}), "page").await;
    let reply = ask(&background, json!({"type": "webhooks.test", "id": created["value"]["id"]}), "page").await;
    let id = reply["value"]["deliveryId"].as_str().unwrap().to_string();
    // The result is written after the fact (no caller awaits it), within 50 ms.
    for _ in 0..20 {
        if rust(logOf(&host)).to_string().contains(&id) {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    assert!(rust(logOf(&host)).to_string().contains(&id), "in a page of the log's store");
    assert_eq!(stored(&host, &format!("pending/{id}")), None, "no longer in the outbox's page");

    let restarted = Background::start(host.clone().unchecked_into()).await.unwrap();
    let listed = ask(&restarted, json!({"type": "deliveries.list"}), "page").await;
    assert_eq!(listed["value"][0]["id"], id.as_str(), "read when a page asks");
}

#[wasm_bindgen_test]
async fn a_campaign_types_through_the_host_and_pauses_when_the_tab_reports_an_error() {
    let host = memoryHost(js(json!({})));
    let background = Background::start(host.clone().unchecked_into()).await.unwrap();
    let pick = ask(&background, json!({"type": "campaign.beginPick", "tabId": 5, "url": "https://chat.test/"}), "page").await;
    let target = json!({"type": "campaign.setTarget", "input": "#msg", "button": "#send", "token": pick["value"]["token"]});
    assert_eq!(ask(&background, target, "content").await["ok"], true);
    let settings = json!({"phrases": ["one"], "intervalMinSeconds": 1, "intervalMaxSeconds": 1, "sendBy": "button", "dailyLimit": 0});
    ask(&background, json!({"type": "campaign.configure", "settings": settings}), "page").await;
    assert_eq!(ask(&background, json!({"type": "campaign.start"}), "page").await["value"]["status"], "running");
    let mut campaign = Value::Null;
    for _ in 0..50 {
        gloo_timers::future::TimeoutFuture::new(100).await;
        campaign = ask(&background, json!({"type": "campaign.get"}), "page").await["value"].clone();
        if campaign["status"] == "paused" {
            break;
        }
    }
    assert_eq!(campaign["status"], "paused", "{campaign}");
    assert_eq!(campaign["totalMessagesSent"], 2);
    assert_eq!(campaign["lastError"], "Failed to find send button");
    let typed = rust(typedOf(&host));
    assert_eq!(
        typed[0],
        json!({"seq": 1, "tabId": 5, "site": "https://chat.test", "text": "one", "input": "#msg", "button": "#send", "sendBy": "button"})
    );
    assert_eq!(stored(&host, "campaign").unwrap()["status"], "paused");
}

#[wasm_bindgen_test]
async fn a_profile_with_unreadable_deep_or_unsealed_records_starts_and_sets_them_aside() {
    let initial = js_sys::Object::new();
    let set = |key: &str, value: JsValue| js_sys::Reflect::set(&initial, &key.into(), &value).unwrap();
    set("settings", JsValue::from_str("{\"enabled\": tr"));
    set("inflight", deepObject(100_000));
    set("delivery/dlv_deep", deepObject(500));
    // Handed over as stored in the clear, where the background seals it.
    set("campaign", JsValue::from_str("{}"));
    let host = memoryHost(initial.into());
    let background = Background::start(host.clone().unchecked_into()).await.unwrap();
    let listed = ask(&background, json!({"type": "storage.unreadable"}), "page").await["value"].clone();
    let mut origins: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["origin"].as_str().unwrap()).collect();
    origins.sort();
    assert_eq!(origins, ["campaign", "delivery/dlv_deep", "inflight", "settings"]);
    let created = ask(&background, json!({"type": "webhooks.create", "webhook": {"url": "https://h.test/in"}}), "page").await;
    assert_eq!(created["ok"], true, "everything else works: {created}");
    assert!(stored(&host, "unreadable/settings").is_some(), "set aside under its own key");
}
