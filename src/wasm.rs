//! The only browser-facing module: binds the sans-IO [`Engine`] to fetch
//! (web-sys), timers (gloo-timers) and the extension's storage and alarms
//! (through the `Host` object the JS shell passes in). It decides nothing
//! about deliveries or campaigns; besides IO plumbing (reading stored
//! values as text, a bounded read of a response body) it runs the driver
//! loop the engine's contract asks for:
//! send what is due (deliveries once their batch of writes is stored) → arm
//! one timer (and an alarm) → write changes in batches, one write at a time
//! (and those no caller awaits at most every [`WRITE_EVERY_MS`]).

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, spawn_local, JsFuture};
use web_sys::{
    AbortSignal, Headers, ReadableStreamDefaultReader, RequestCredentials, RequestInit, RequestRedirect, Response, ResponseType,
};

use crate::api::{self, Answer, ApiError, Sender};
use crate::campaign::SendCommand;
use crate::engine::{DeliveryState, Driver, Engine, Key, Notice, Outcome, Sealing, Snapshot, Transmit};
use crate::signing::{standard_signature, SecretKey};
use crate::time::Millis;

#[wasm_bindgen]
extern "C" {
    /// Storage, alarms and broadcasts, supplied by the JS shell
    /// (`extension/shared/host.js`).
    pub type Host;

    /// Resolves to everything stored but the log, as three objects of keys
    /// by how each record was stored: `clear`, `unsealed` (sealed, opened)
    /// and `unopenable` (sealed, not opened, as found).
    #[wasm_bindgen(method, catch)]
    async fn load(this: &Host) -> Result<JsValue, JsValue>;

    /// Resolves to the log's records (never sealed), by key: kept apart,
    /// so a start need not read them ([`Key::is_logged`]).
    #[wasm_bindgen(method, catch, js_name = loadLog)]
    async fn load_log(this: &Host) -> Result<JsValue, JsValue>;

    /// In one transaction, sets the keys of the objects `set` and `sealed`
    /// (whose values it encrypts first: they carry credentials) and
    /// `log_set` (in the log's store), then removes the keys listed in
    /// `remove` and `log_remove` (in that order: see
    /// [`crate::engine::Changes`]).
    #[wasm_bindgen(method, catch)]
    async fn save(
        this: &Host,
        set: JsValue,
        sealed: JsValue,
        remove: JsValue,
        log_set: JsValue,
        log_remove: JsValue,
    ) -> Result<JsValue, JsValue>;

    /// Whether this is the first start since the browser itself started:
    /// tab ids from before then may now belong to unrelated tabs.
    #[wasm_bindgen(method, js_name = newBrowserSession)]
    async fn new_browser_session(this: &Host) -> JsValue;

    /// Asks the browser to wake the background at this Unix time in ms,
    /// in case it is stopped before the in-memory timer fires.
    #[wasm_bindgen(method, js_name = wakeAt)]
    fn wake_at(this: &Host, when: f64);

    /// Whether the extension holds host permission for this URL's origin.
    /// Without it the browser would fail the request with a bare CORS error.
    #[wasm_bindgen(method, js_name = canReach)]
    fn can_reach(this: &Host, url: &str) -> bool;

    /// A User Timing mark, once per worker: where a start spends its time,
    /// for the benchmark's cold-start breakdown.
    #[wasm_bindgen(method)]
    fn mark(this: &Host, name: &str);

    /// Tells open pages that state changed.
    #[wasm_bindgen(method)]
    fn changed(this: &Host);

    /// Shows `text` (empty: nothing) on the toolbar badge in `color`.
    #[wasm_bindgen(method, js_name = setBadge)]
    fn set_badge(this: &Host, text: &str, color: &str);

    /// Shows a notification, worded by the shell from its facts
    /// ([`crate::engine::Notification`]).
    #[wasm_bindgen(method)]
    fn notify(this: &Host, notification: JsValue);

    /// `navigator.onLine`: read before every drain, and when a request
    /// fails, to tell a browser that is offline from a receiver that is down.
    #[wasm_bindgen(method, js_name = isOnline)]
    fn is_online(this: &Host) -> bool;

    /// Has the content script in tab `command.tabId` type `command.text`
    /// and send it; resolves to `{ok: true}` or `{ok: false, error}`.
    #[wasm_bindgen(method, js_name = sendToTab)]
    async fn send_to_tab(this: &Host, command: JsValue) -> JsValue;

    /// The global timer, for the wait on a response body and the pause
    /// between writes (a promise rather than a closure kept alive).
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buffer: &mut [u8]);

    /// The global `fetch`: a service worker's in Chrome, an event page's in
    /// Firefox. Called with the URL and an init rather than through
    /// gloo-net, whose builder makes a throwaway `Request` and a `URL` per
    /// request to merge query parameters we never use (~10 % of the worker's
    /// time in a burst), and would re-serialize a signed GET query.
    #[wasm_bindgen(js_name = fetch)]
    fn fetch_with_init(url: &str, init: &RequestInit) -> js_sys::Promise;

    /// The browser's `TextEncoder`, taking the JS string as it is (web-sys's
    /// takes a Rust `&str`): see [`js_text`].
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;

    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;

    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encode)]
    fn encode(this: &Utf8Encoder, text: &JsValue) -> js_sys::Uint8Array;
}

/// A JS string's text, encoded by the browser (`encoder`) and copied in at
/// once. The glue's own way (`JsValue::as_string`) copies it a character
/// at a time in a JS loop until the first non-ASCII one: for the records
/// read at a start (a webhook list is KBs) that loop became hot enough in
/// the first seconds for V8 to compile it with Maglev and then TurboFan,
/// whose code pages then counted in the worker's memory (in 1 to 5 of 12
/// starts in the memory bench's protocol: 26.1-27.0 MB of Chromium's code
/// in PSS against 22.2-22.4; `--js-flags=--trace-opt` named
/// `passStringToWasm0`).
fn js_text(encoder: &Utf8Encoder, value: &JsValue) -> Option<String> {
    value.is_string().then(|| {
        let bytes = encoder.encode(value).to_vec();
        String::from_utf8(bytes).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    })
}

fn now() -> Millis {
    Millis(js_sys::Date::now() as u64)
}

/// Local time's offset east of UTC, in minutes (JS gives it west).
fn utc_offset_minutes() -> i32 {
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    get_random_values(&mut bytes);
    bytes
}

/// A JS `Error` with a `code` the shell can switch on.
fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("AutoHookError");
    // Setting a property on a fresh plain object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// `value` as a plain JS value, through JSON text and the browser's own
/// `JSON.parse`: one string across the boundary instead of serde-wasm-bindgen
/// building the object a property (and a decoded string) at a time, which
/// was ~5 % of the worker's time in a burst (answers, write batches).
fn to_js(value: &impl Serialize) -> JsValue {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL)
}

/// Keys and their stored texts as one JS object, a string per value:
/// through [`to_js`], each text (JSON already) would be escaped into JSON
/// again and parsed back, and a write batch holds every record it stores.
fn texts_object(texts: &BTreeMap<&String, &String>) -> JsValue {
    let object = js_sys::Object::new();
    for (key, text) in texts {
        // Setting a property on a fresh plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(text));
    }
    object.into()
}

/// A message as JSON, read through the browser's `JSON.stringify` for the
/// same reason as [`to_js`].
fn from_js(value: &JsValue) -> Result<Value, String> {
    read_js(value, "the message")
}

/// `value` (`what`, for the error) read as a `T` through its JSON text, as
/// [`from_js`] reads a message: serde_json's reader is in the module anyway,
/// and serde-wasm-bindgen's, for just the tab and a tab's answer, cost 3,261
/// bytes of it (1,863 gzipped).
fn read_js<T: serde::de::DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, String> {
    // `undefined` (no message at all) stringifies to `undefined`, not text.
    let text = js_sys::JSON::stringify(value).map_err(|e| describe(&e))?.as_string();
    serde_json::from_str(&text.ok_or_else(|| format!("{what} is not JSON"))?).map_err(|e| e.to_string())
}

/// The Standard Webhooks `webhook-signature` value for a payload, computed
/// by the same code every delivery uses, so a page (or a receiver's author)
/// can check a signature, and the benchmark can time Wasm HMAC against
/// WebCrypto.
#[wasm_bindgen(js_name = signPayload)]
pub fn sign_payload(secret: &str, id: &str, timestamp: f64, body: &[u8]) -> Result<String, JsValue> {
    let key = SecretKey::parse(secret).map_err(|e| js_error("invalid_input", &format!("secret {e}")))?;
    Ok(standard_signature(&key, id, timestamp as u64, body))
}

/// The background's state: one engine, and the driver's bookkeeping.
struct Runtime {
    engine: RefCell<Engine>,
    host: Host,
    /// Resolvers of answers waiting for a delivery to finish (Test).
    waiters: RefCell<HashMap<String, Vec<js_sys::Function>>>,
    /// Whether a storage write is under way, whether another must follow,
    /// and who waits for it.
    writing: Cell<bool>,
    write_requested: Cell<bool>,
    write_waiters: RefCell<Vec<js_sys::Function>>,
    /// When the last write began, and how to end the pause before the next
    /// one early (see [`WRITE_EVERY_MS`]).
    write_began: Cell<Millis>,
    end_pause: RefCell<Option<js_sys::Function>>,
    timer: RefCell<Option<Timeout>>,
    timer_at: Cell<Option<Millis>>,
}

/// The handle the service worker (or Firefox's event page) holds.
#[wasm_bindgen]
pub struct Background {
    runtime: Rc<Runtime>,
}

#[wasm_bindgen]
impl Background {
    /// Loads stored state and resumes whatever the outbox holds.
    /// Records that do not decode are set aside rather than failing the
    /// start (see [`Snapshot::from_stored`]).
    pub async fn start(host: Host) -> Result<Background, JsValue> {
        let stored = host.load().await.map_err(|e| js_error("storage", &format!("cannot load state: {}", describe(&e))))?;
        let stored = stored_records(&stored);
        host.mark("autohook.texts");
        #[cfg(feature = "test-hooks")]
        test_hooks::on_start(&stored);
        let snapshot = Snapshot::from_store(stored);
        host.mark("autohook.decoded");
        let mut engine = Engine::restore(snapshot, random(), now());
        host.mark("autohook.restored");
        if host.new_browser_session().await.is_truthy() {
            engine.browser_restarted();
        }
        let runtime = Rc::new(Runtime {
            engine: RefCell::new(engine),
            host,
            waiters: RefCell::default(),
            writing: Cell::new(false),
            write_requested: Cell::new(false),
            write_waiters: RefCell::default(),
            write_began: Cell::new(Millis(0)),
            end_pause: RefCell::new(None),
            timer: RefCell::new(None),
            timer_at: Cell::new(None),
        });
        kick(&runtime);
        Ok(Background { runtime })
    }

    /// Answers one message-API request; `sender` is `"page"` or
    /// `"content"`, and for a content script `tab` is its tab (`{id, url}`).
    /// The promise always resolves, to `{ok: true, value}` or `{ok: false, error}`.
    pub fn handle(&self, message: JsValue, sender: String, tab: JsValue) -> js_sys::Promise {
        let runtime = self.runtime.clone();
        future_to_promise(async move { Ok(to_js(&api::answer_json(answer(&runtime, message, &sender, tab).await))) })
    }

    /// Called when an alarm fires: sends whatever is due.
    pub fn wake(&self) {
        kick(&self.runtime);
    }
}

/// Every stored key with its value as JSON text. Values the engine writes
/// are text already; anything else (an object a sync or backup tool, a
/// devtools edit or damage left) becomes text through the browser's
/// `JSON.stringify`, so the core parses it with serde_json's nesting limit instead of walking
/// an arbitrarily deep object, and a value that cannot be text (a cycle, too
/// deep) is still an entry the core sets aside rather than a failed start.
fn stored_texts(stored: &JsValue) -> impl Iterator<Item = (String, Value)> {
    let entries = js_sys::Object::entries(stored.unchecked_ref());
    let encoder = Utf8Encoder::new();
    entries.into_iter().filter_map(move |entry| {
        let entry: js_sys::Array = entry.unchecked_into();
        let (key, value) = (entry.get(0).as_string()?, entry.get(1));
        let text = match js_text(&encoder, &value) {
            Some(text) => text,
            None => match js_sys::JSON::stringify(&value) {
                Ok(text) => js_text(&encoder, &text).unwrap_or_default(),
                Err(error) => format!("(not storable as text: {})", describe(&error)),
            },
        };
        Some((key, Value::String(text)))
    })
}

/// The three objects `Host::load` resolves to, as records with how each
/// was stored. A missing object (a shell from another build) is empty.
fn stored_records(stored: &JsValue) -> Vec<(String, Value, Sealing)> {
    let group = |name: &str, sealing: Sealing| {
        let object =
            js_sys::Reflect::get(stored, &name.into()).ok().filter(JsValue::is_object).unwrap_or_else(|| js_sys::Object::new().into());
        stored_texts(&object).map(move |(key, value)| (key, value, sealing)).collect::<Vec<_>>()
    };
    [("clear", Sealing::Clear), ("unsealed", Sealing::Opened), ("unopenable", Sealing::Unopenable)]
        .into_iter()
        .flat_map(|(name, sealing)| group(name, sealing))
        .collect()
}

/// The tab a content script runs in, as the listener passes it.
#[derive(serde::Deserialize)]
struct Tab {
    id: u32,
    url: String,
}

async fn answer(runtime: &Rc<Runtime>, message: JsValue, sender: &str, tab: JsValue) -> Result<Value, ApiError> {
    // The tab is read only for a content script: failing to read the null a
    // page passes would build a JS Error per event.
    let sender = match sender {
        "page" => Sender::ExtensionPage,
        "content" => match read_js::<Tab>(&tab, "the tab") {
            Ok(tab) => Sender::ContentScript { tab_id: tab.id, url: tab.url },
            Err(error) => return Err(ApiError::BadRequest(format!("content script without a tab: {error}"))),
        },
        _ => return Err(ApiError::BadRequest(format!("unknown sender {sender:?}"))),
    };
    runtime.engine.borrow_mut().set_utc_offset(utc_offset_minutes());
    #[allow(unused_mut)]
    let mut message = from_js(&message).map_err(ApiError::BadRequest)?;
    if api::reads_log(&message) && !runtime.engine.borrow().log_loaded() {
        hand_over_log(runtime).await.map_err(|error| ApiError::LogNotRead(describe(&error)))?;
    }
    #[cfg(feature = "test-hooks")]
    let hold_reply = test_hooks::before(runtime, &mut message).await;
    let read_only = api::is_read_only(&message);
    let answer = api::handle(&mut runtime.engine.borrow_mut(), message, sender, now(), &random())?;
    // Registered before anything awaits: once the write below lands, the
    // delivery may go out and finish before this function runs again. A
    // repeated request may name one that finished already (a restart
    // counted its attempt as interrupted): nothing is left to wait for.
    let finished = match &answer {
        Answer::AfterDelivery(id) if !finished_already(runtime, id) => Some(js_sys::Promise::new(&mut |resolve, _reject| {
            runtime.waiters.borrow_mut().entry(id.clone()).or_default().push(resolve);
        })),
        Answer::AfterDelivery(_) | Answer::Now(_) => None,
    };
    // Whatever the request changed is stored before the answer goes out; a
    // caller told "done" about a change a restart would lose could not
    // know to ask again. A read answers whatever storage did: it changed
    // nothing, and a page must still load while storage refuses writes.
    let saved = persist(runtime).await;
    kick(runtime);
    if !read_only {
        saved.map_err(ApiError::NotSaved)?;
    }
    #[cfg(feature = "test-hooks")]
    if hold_reply {
        std::future::pending::<()>().await;
    }
    if let Some(finished) = finished {
        let _ = JsFuture::from(finished).await;
    }
    match answer {
        Answer::Now(value) => Ok(value),
        Answer::AfterDelivery(id) => api::delivery_result(&runtime.engine.borrow(), &id),
    }
}

/// Whether there is nothing to wait for: the delivery finished, or is gone
/// (set aside as unreadable, or out of the log), and `delivery_result`
/// answers at once.
fn finished_already(runtime: &Runtime, delivery_id: &str) -> bool {
    !runtime.engine.borrow().delivery(delivery_id).is_ok_and(|delivery| delivery.state == DeliveryState::Pending)
}

/// Faults that only a test build (`--features test-hooks`) can trigger, so
/// the end-to-end suite can prove the shell survives a trap in the module
/// and an answer the browser drops. Release builds have none of this.
#[cfg(feature = "test-hooks")]
mod test_hooks {
    use super::*;

    /// Traps while starting as long as storage holds `test.trapOnStart`.
    pub(super) fn on_start(stored: &[(String, Value, Sealing)]) {
        if stored.iter().any(|(key, ..)| key == "test.trapOnStart") {
            panic!("test.trapOnStart: a trap while starting");
        }
    }

    /// `test.trap` traps in the request's first poll; `test.trapLater` after
    /// an await, once a write batch has run (both inside executor tasks:
    /// `handle` only starts one); a message with
    /// `testHoldReply: true` is handled and stored, but never answered (the
    /// returned flag), until the test stops the worker.
    pub(super) async fn before(runtime: &Rc<Runtime>, message: &mut Value) -> bool {
        match message.get("type").and_then(Value::as_str) {
            Some("test.trap") => panic!("test.trap: a trap while answering"),
            Some("test.trapLater") => {
                let _ = persist(runtime).await;
                panic!("test.trapLater: a trap in a task after an await");
            }
            _ => {
                let hold = message.as_object_mut().and_then(|fields| fields.remove("testHoldReply")).is_some();
                // Only the first try is held: the shell's repeat must be answered.
                let kind = message.get("type").and_then(Value::as_str).unwrap_or_default();
                let id = message.get("requestId").and_then(Value::as_str).map(|id| api::request_key(&Sender::ExtensionPage, kind, id));
                hold && !id.is_some_and(|id| runtime.engine.borrow().remembered_answer(&id, now()).is_some())
            }
        }
    }
}

/// Resolves once the write holding everything the engine changed before
/// this call has been made: `Ok` if it landed, else what storage said.
async fn persist(runtime: &Rc<Runtime>) -> Result<(), String> {
    let written = js_sys::Promise::new(&mut |resolve, _reject| runtime.write_waiters.borrow_mut().push(resolve));
    if let Some(end_pause) = runtime.end_pause.take() {
        let _ = end_pause.call0(&JsValue::NULL);
    }
    request_write(runtime);
    // Resolved with `null` once saved, or the error's text.
    match JsFuture::from(written).await.map(|failure| failure.as_string()) {
        Ok(None) => Ok(()),
        Ok(Some(failure)) => Err(failure),
        Err(error) => Err(describe(&error)),
    }
}

/// Makes sure a write of the engine's current changes follows. One write
/// runs at a time; requests arriving during it share the next, so a burst
/// of events costs a few writes, not one each.
fn request_write(runtime: &Rc<Runtime>) {
    runtime.write_requested.set(true);
    if !runtime.writing.replace(true) {
        spawn_local(write_batches(runtime.clone()));
    }
}

/// How often a write that no caller awaits may begin: one of attempt
/// results, stats and the log, written after the fact. A write costs much
/// the same however little it holds (the attempts in flight and the
/// sealed webhooks written again, a transaction), and back to back, in a
/// burst, writes held one to five responses each: 30 to 383 transactions
/// per 1000 events across rounds, 31 to 55 when paced, with less of the
/// browser's time per event (tests/bench/throughput.mjs). A write that a
/// caller awaits (a request's changes, the events it raised) never waits
/// for it, and ends a pause under way. What pacing costs: a worker stopped
/// mid-burst may lose up to this much more of the latest results, whose
/// attempts a restart then counts as interrupted and sends again, as it
/// does the attempts that were in flight; and events raised inside the
/// engine (by a receiver's reply) go out up to this much later.
const WRITE_EVERY_MS: u64 = 50;

async fn write_batches(runtime: Rc<Runtime>) {
    while runtime.write_requested.replace(false) {
        let pause = WRITE_EVERY_MS.saturating_sub(now().since(runtime.write_began.get()));
        if pause > 0 && runtime.write_waiters.borrow().is_empty() {
            // What changes meanwhile joins this write; a caller that awaits
            // one ends the pause (`persist`).
            let paused = js_sys::Promise::new(&mut |resolve, _reject| {
                set_timeout(&resolve, pause as i32);
                runtime.end_pause.replace(Some(resolve));
            });
            let _ = JsFuture::from(paused).await;
            runtime.end_pause.take();
        }
        runtime.write_began.set(now());
        let waiters = std::mem::take(&mut *runtime.write_waiters.borrow_mut());
        let changes = runtime.engine.borrow_mut().take_changes();
        let mut outcome = JsValue::NULL;
        if !changes.is_empty() {
            let (mut set, mut sealed, mut log_set) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
            for (key, text) in &changes.set {
                match Key::parse(key) {
                    Some(parsed) if parsed.is_sealed() => sealed.insert(key, text),
                    Some(parsed) if parsed.is_logged() => log_set.insert(key, text),
                    _ => set.insert(key, text),
                };
            }
            let (log_remove, remove): (Vec<&String>, Vec<&String>) =
                changes.remove.iter().partition(|key| Key::parse(key).is_some_and(|key| key.is_logged()));
            let saved =
                runtime.host.save(texts_object(&set), texts_object(&sealed), to_js(&remove), texts_object(&log_set), to_js(&log_remove));
            match saved.await {
                Ok(_) => {
                    runtime.engine.borrow_mut().changes_saved(changes.batch);
                    runtime.host.changed();
                    // Deliveries this batch made durable can go out now.
                    kick(&runtime);
                }
                // Written again with the next batch, which the next change
                // requests; not retried here, so a full disk is not a busy loop.
                Err(error) => {
                    web_sys::console::error_2(&"AutoHook: saving state failed".into(), &error);
                    runtime.engine.borrow_mut().changes_failed(changes);
                    outcome = describe(&error).into();
                }
            }
        }
        for resolve in waiters {
            let _ = resolve.call1(&JsValue::NULL, &outcome);
        }
    }
    runtime.writing.set(false);
}

/// Hands the engine the log it asked for, then drives it (the log's trim
/// is written with the next batch); if storage refuses, it asks again with
/// a later drain.
async fn read_log(runtime: Rc<Runtime>) {
    if let Err(error) = hand_over_log(&runtime).await {
        web_sys::console::error_2(&"AutoHook: reading the log failed".into(), &error);
        runtime.engine.borrow_mut().log_not_loaded();
        return;
    }
    kick(&runtime);
}

/// Reads the log's store and hands it to the engine (which takes it once).
async fn hand_over_log(runtime: &Runtime) -> Result<(), JsValue> {
    let stored = runtime.host.load_log().await?;
    runtime.engine.borrow_mut().load_log(stored_texts(&stored));
    Ok(())
}

/// One pass of the driver: the engine's drain ([`Engine::drive`]) into
/// fetches, tab messages, answers to Test callers and the timer, then the
/// changes written.
fn kick(runtime: &Rc<Runtime>) {
    let now = now();
    let mut engine = runtime.engine.borrow_mut();
    engine.set_utc_offset(utc_offset_minutes());
    engine.set_online(runtime.host.is_online());
    engine.drive(now, &mut BrowserDriver { runtime, now });
    drop(engine);
    request_write(runtime);
}

/// Where the drain's outputs go in the browser. Nothing here touches the
/// engine, which the drain holds: each output only starts a task (which
/// feeds its result back later) or resolves a waiting caller.
struct BrowserDriver<'a> {
    runtime: &'a Rc<Runtime>,
    now: Millis,
}

impl Driver for BrowserDriver<'_> {
    fn transmit(&mut self, transmit: Transmit) {
        spawn_local(attempt(self.runtime.clone(), transmit));
    }

    fn type_message(&mut self, command: SendCommand) {
        spawn_local(type_in_tab(self.runtime.clone(), command));
    }

    fn notice(&mut self, notice: Notice) {
        match notice {
            Notice::Finished { delivery_id } => {
                for resolve in self.runtime.waiters.borrow_mut().remove(&delivery_id).unwrap_or_default() {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            Notice::Badge(badge) => self.runtime.host.set_badge(&badge.text, badge.color),
            Notice::Notify(notification) => self.runtime.host.notify(to_js(&notification)),
        }
    }

    fn load_log(&mut self) {
        spawn_local(read_log(self.runtime.clone()));
    }

    /// One timer for the next wake-up, and an alarm as a backstop in case
    /// the browser stops the background before it fires.
    fn wake_at(&mut self, next: Option<Millis>) {
        let runtime = self.runtime;
        if next == runtime.timer_at.get() {
            return;
        }
        runtime.timer_at.set(next);
        let Some(at) = next else {
            runtime.timer.replace(None);
            return;
        };
        let delay = u32::try_from(at.since(self.now)).unwrap_or(u32::MAX);
        let again = runtime.clone();
        let timeout = Timeout::new(delay, move || {
            again.timer_at.set(None);
            kick(&again);
        });
        runtime.timer.replace(Some(timeout));
        runtime.host.wake_at(at.0 as f64);
    }
}

async fn attempt(runtime: Rc<Runtime>, transmit: Transmit) {
    let url = &transmit.request.url;
    let outcome = if runtime.host.can_reach(url) { send(&transmit).await } else { Outcome::PermissionMissing { origin: origin(url) } };
    // A request that failed or hung while the browser is offline reached no receiver.
    let outcome = match outcome {
        Outcome::NetworkError { .. } | Outcome::Timeout if !runtime.host.is_online() => Outcome::Offline,
        outcome => outcome,
    };
    runtime.engine.borrow_mut().handle_response(transmit.attempt, outcome, now());
    kick(&runtime);
}

/// One campaign message, typed and sent by the content script.
async fn type_in_tab(runtime: Rc<Runtime>, command: SendCommand) {
    use crate::campaign::SendFailure;
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TabAnswer {
        ok: bool,
        error: Option<String>,
        /// The origin the tab showed instead of `command.site`; nothing was typed.
        wrong_site: Option<String>,
    }
    let answer = read_js::<TabAnswer>(&runtime.host.send_to_tab(to_js(&command)).await, "the answer");
    let result = match answer {
        Ok(TabAnswer { ok: true, .. }) => Ok(command.text),
        Ok(TabAnswer { wrong_site: Some(found), .. }) => Err(SendFailure::WrongSite(found)),
        Ok(TabAnswer { error, .. }) => Err(SendFailure::Failed(error.unwrap_or_else(|| "the chat tab did not send the message".into()))),
        Err(error) => Err(SendFailure::Failed(format!("the chat tab gave an unreadable answer: {error}"))),
    };
    runtime.engine.borrow_mut().campaign_sent(command.seq, result, now());
    kick(&runtime);
}

/// The origin a host permission is granted for (`https://h.test`), or the
/// URL as it is if it does not parse.
fn origin(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_string(), |u| u.origin().ascii_serialization())
}

/// One fetch, aborted after the webhook's timeout; redirects are not
/// followed, and no cookie goes with it: both browsers otherwise send the
/// user's cookies for the receiver's site (seen in Chromium and Firefox
/// ESR), and receivers authenticate by headers or the signature.
async fn send(transmit: &Transmit) -> Outcome {
    let request = &transmit.request;
    // The browser's own timer: no controller, closure or clearTimeout per request.
    let signal = AbortSignal::timeout_with_f64(transmit.timeout_ms as f64);
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_redirect(RequestRedirect::Manual);
    init.set_credentials(RequestCredentials::Omit);
    init.set_signal(Some(&signal));
    let headers = match request_headers(&request.headers) {
        Ok(headers) => headers,
        Err(error) => return Outcome::InvalidHeader { message: describe(&error) },
    };
    init.set_headers(&headers);
    if let Some(body) = &request.body {
        init.set_body(&JsValue::from_str(body));
    }
    let response = match JsFuture::from(fetch_with_init(&request.url, &init)).await {
        Ok(response) => Response::from(response),
        Err(_) if signal.aborted() => return Outcome::Timeout,
        Err(error) => return Outcome::NetworkError { message: describe(&error) },
    };
    if response.type_() == ResponseType::Opaqueredirect {
        // `redirect: "manual"` hides the redirect's status and `Location`.
        return Outcome::Redirect { status: None, location: None };
    }
    let body = start_of_body(&response, transmit.response_bytes).await;
    // Read whatever the status: the engine decides which statuses honour it.
    let retry_after = response.headers().get("retry-after").ok().flatten();
    Outcome::Response { status: response.status(), retry_after, body }
}

/// How long the body may take after the status has arrived. The status
/// decides the outcome; the body is only logged (its first KB), so a
/// receiver that never finishes it must not hold the attempt (and a Test
/// caller) until the timeout.
const BODY_WAIT_MS: i32 = 1000;

/// The first `limit` bytes of the body (what the log keeps, and enough past
/// it to scrub a credential across the cut: [`Transmit::response_bytes`]),
/// read from the stream until that much, the end, or [`BODY_WAIT_MS`]
/// (whichever comes first); then the rest is cancelled, so a large body
/// never enters the worker's memory (`response.text()` would read all of it).
async fn start_of_body(response: &Response, limit: usize) -> String {
    let Some(stream) = response.body() else { return String::new() };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut timer = JsValue::UNDEFINED;
    let waited = js_sys::Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, BODY_WAIT_MS);
    });
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        let next = js_sys::Promise::race(&js_sys::Array::of2(&reader.read(), &waited));
        // The timer resolves with `undefined`; a read with `{done, value}`.
        let Ok(chunk) = JsFuture::from(next).await else { break };
        let field = |name: &str| js_sys::Reflect::get(&chunk, &name.into()).unwrap_or(JsValue::UNDEFINED);
        if chunk.is_undefined() || field("done").is_truthy() {
            break;
        }
        let value = field("value");
        let Some(chunk) = value.dyn_ref::<js_sys::Uint8Array>() else { break };
        let wanted = (limit - bytes.len()).min(chunk.length() as usize);
        bytes.extend(chunk.subarray(0, wanted as u32).to_vec());
    }
    // A body read in time leaves no timer to fire a second later: one per
    // response, a thousand pending tasks after a burst.
    clear_timeout(&timer);
    // Ends the download. Its promise rejects if the stream already failed
    // (aborted at the timeout): nothing to report, but not left unhandled.
    let cancelled = reader.cancel();
    spawn_local(async move {
        let _ = JsFuture::from(cancelled).await;
    });
    text_prefix(bytes)
}

/// The bytes as text, without a character cut in half at the end.
fn text_prefix(mut bytes: Vec<u8>) -> String {
    if let Err(error) = std::str::from_utf8(&bytes) {
        if error.error_len().is_none() {
            bytes.truncate(error.valid_up_to());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The request's headers, handed over as one JSON array of pairs rather
/// than a call and two strings per header. `Headers` still checks each one
/// here, so a bad header fails as such, not as a failed connection.
fn request_headers(pairs: &[(String, String)]) -> Result<Headers, JsValue> {
    Headers::new_with_str_sequence_sequence(&to_js(&pairs))
}

/// What a JS exception says: an `Error`'s message, or the value as text.
fn describe(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => String::from(error.message()),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}
