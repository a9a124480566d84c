//! Seeded schedules of emits, edits, campaigns and faults (worker stops,
//! failed writes, clock jumps, a receiver that refuses, hangs, answers late
//! or answers whatever the schedule says, and a writer that is not the
//! background changing the stored records) run against the engine through
//! the shared harness's fault world (`common::faults`), with the invariants
//! checked after every step: nothing accepted is lost, the stats equal the
//! outcomes, no request is made twice except an interrupted attempt, no
//! request goes where a webhook does not take it, the campaign keeps its
//! pace whatever replies say, and a record another writer spoiled is set
//! aside, not used; and in the end the outbox drains. A failing schedule
//! is shrunk and printed as the `Step` list that replays it (paste it into
//! `replays_a_schedule`).
//!
//! `SIM_CASES` sets how many schedules run (default 1,000).

use std::collections::{BTreeMap, BTreeSet};

use autohook::{Control, DeliveryState, Status};
use proptest::prelude::*;

use crate::common::faults::{
    self, Answer, Body, Mark, Mode, Step, Tamper, World, DAILY_LIMIT, FORGED_PHRASE, INTERVAL_MS, REPLY_TEXT, URLS, WEBHOOKS,
};
use crate::common::regressions;

/// The longest wait a receiver's `Retry-After` can ask for
/// (`.github/SECURITY.md`, "What a receiver can and cannot do").
const RETRY_AFTER_CAP_MS: u64 = 3_600_000;

/// `Retry-After` values receivers send: seconds, huge and past `u64`,
/// dates past and far ahead, and words.
const RETRY_AFTERS: [&str; 9] = [
    "0", "2", "3600", "86400", "18446744073709551615", "99999999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 GMT", "soon",
];

fn step() -> impl Strategy<Value = Step> {
    let control = || prop_oneof![Just(Control::Start), Just(Control::Pause), Just(Control::Resume), Just(Control::Stop)];
    // Mostly what a reply may ask (a start it may not), so that replies move the campaign often.
    let asked = prop_oneof![1 => Just(None), 1 => Just(Some(Control::Start)), 6 => control().prop_map(Some)];
    let body = prop_oneof![
        1 => Just(Body::Plain),
        4 => (asked, any::<bool>()).prop_map(|(control, reply)| Body::Asks(control, reply)),
        2 => any::<bool>().prop_map(Body::InTurn),
        1 => any::<u8>().prop_map(Body::Garbage),
    ];
    let status = prop_oneof![3 => Just(200u16), 1 => prop::sample::select(vec![204u16, 400, 410, 429, 500, 503])];
    let retry_after = prop_oneof![3 => Just(None), 1 => prop::sample::select(RETRY_AFTERS.to_vec()).prop_map(Some)];
    let after = prop_oneof![0..500u16, 0..9_000u16];
    let answer =
        (status, after, retry_after, body).prop_map(|(status, after, retry_after, body)| Answer { status, after, retry_after, body });
    let mode = prop_oneof![
        5 => answer.prop_map(Mode::Answers),
        1 => Just(Mode::Refuses),
        1 => Just(Mode::Hangs),
        1 => Just(Mode::Redirects),
        1 => Just(Mode::Unreachable),
    ];
    let tamper = prop_oneof![
        2 => any::<u8>().prop_map(Tamper::InTheClear),
        2 => any::<u8>().prop_map(Tamper::Unopenable),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(which, share)| Tamper::Truncated(which, share)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(which, age)| Tamper::Replayed(which, age)),
        1 => any::<u8>().prop_map(Tamper::Copied),
        3 => (any::<u8>(), any::<u8>(), any::<bool>()).prop_map(|(webhook, kind, test)| Tamper::Forged { webhook, kind, test }),
    ];
    prop_oneof![
        6 => any::<u8>().prop_map(Step::Emit),
        1 => any::<u8>().prop_map(Step::Test),
        1 => any::<u8>().prop_map(Step::Redeliver),
        1 => any::<u8>().prop_map(Step::Toggle),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(which, seconds)| Step::Retime(which, seconds)),
        2 => control().prop_map(Step::Campaign),
        6 => prop_oneof![0..2_000u32, 0..120_000u32].prop_map(Step::Wait),
        1 => prop_oneof![-3_600_000..3_600_000i32, -60_000..60_000i32].prop_map(Step::Jump),
        2 => Just(Step::Stop),
        1 => Just(Step::StopMidWrite),
        1 => any::<u8>().prop_map(Step::FailWrites),
        6 => (any::<u8>(), mode).prop_map(|(which, mode)| Step::Receiver(which, mode)),
        1 => any::<bool>().prop_map(Step::Chat),
        1 => tamper.prop_map(Step::Tamper),
    ]
}

/// Runs `schedule`, checking the invariants after each step and at the end.
fn run(schedule: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new();
    for (number, step) in schedule.iter().enumerate() {
        world.step(step);
        // The checks read every delivery, as a page asking for the log
        // does: it is handed over first (a restart in the step left it unread).
        world.sim.load_log();
        check(&world).map_err(|why| TestCaseError::fail(format!("after step {number} ({step:?}): {why}")))?;
    }
    prop_assert!(world.settle(), "the outbox did not drain within a week of healthy receiver and storage");
    check(&world).map_err(|why| TestCaseError::fail(format!("after settling: {why}")))?;
    let pending: Vec<&str> = world.sim.engine.deliveries().filter(|d| d.state.is_unfinished()).map(|d| d.id.as_str()).collect();
    prop_assert!(pending.is_empty(), "still pending after settling: {pending:?}");
    Ok(())
}

/// The invariants that hold after every step.
fn check(world: &World) -> Result<(), String> {
    check_storage(world)?;
    check_requests(world)?;
    check_replies(world)?;
    check_campaign(world)?;
    // Every change the engine made survives a stop.
    if let Some(forgotten) = &world.forgotten {
        return Err(forgotten.clone());
    }
    if world.rewritten {
        return Ok(());
    }
    let engine = &world.sim.engine;
    // Nothing accepted is lost.
    for id in &world.accepted {
        engine.delivery(id).map_err(|_| format!("accepted delivery {id} is gone"))?;
    }
    // The stats equal the outcomes.
    for webhook in engine.webhooks() {
        let (id, stats) = (&webhook.id, &webhook.stats);
        let of_it = || engine.deliveries().filter(|d| &d.webhook_id == id);
        let count = |state| of_it().filter(|d| d.state == state).count() as u64;
        let tried = of_it().filter(|d| !d.attempts.is_empty()).count() as u64;
        let counted = (stats.triggers, stats.successes, stats.failures);
        let outcomes = (tried, count(DeliveryState::Delivered), count(DeliveryState::Failed));
        if counted != outcomes {
            return Err(format!("{id}: stats (triggers, successes, failures) {counted:?}, deliveries say {outcomes:?}"));
        }
    }
    Ok(())
}

/// What another writer left: every record the start had to refuse is set
/// aside, listed as `storage.unreadable` lists it, never loaded; and no
/// retry is parked longer than a receiver may ask.
fn check_storage(world: &World) -> Result<(), String> {
    let engine = &world.sim.engine;
    for refused in &world.refused {
        let listed =
            engine.unreadable().any(|(_, r)| r.origin == refused.origin && r.text == refused.text && r.unopenable == refused.unopenable);
        if !listed {
            return Err(format!("{} was not set aside (unopenable: {})", refused.origin, refused.unopenable));
        }
    }
    for delivery in engine.deliveries().filter(|d| d.state.is_unfinished()) {
        let Some(ended) = delivery.attempts.last().and_then(|a| Some(a.started_at.plus(a.duration_ms?))) else { continue };
        if delivery.next_at > ended.plus(RETRY_AFTER_CAP_MS) {
            return Err(format!(
                "{} waits until {:?}, past an hour after its last attempt ended at {ended:?}",
                delivery.id, delivery.next_at
            ));
        }
    }
    Ok(())
}

/// Every request went to a webhook that takes it, at the URL the user
/// gave, after its delivery was stored; none is made twice, except an
/// attempt a stop interrupted, and none at all after a success that was
/// written.
fn check_requests(world: &World) -> Result<(), String> {
    let mut earlier: BTreeMap<&str, &faults::Sent> = BTreeMap::new();
    let mut delivered: BTreeMap<&str, &str> = BTreeMap::new();
    for sent in &world.sent {
        if let Some(why) = &sent.unwanted {
            return Err(format!("attempt {} went out though {why}", sent.attempt));
        }
        if !URLS.contains(&sent.url.as_str()) {
            return Err(format!("attempt {} went to {}, a URL no webhook was given", sent.attempt, sent.url));
        }
        // A delivery is written before its first attempt, so a restart
        // can never lose one the receiver has seen.
        if !sent.durable {
            return Err(format!("attempt {} went out before its delivery was in storage", sent.attempt));
        }
        if world.rewritten {
            continue;
        }
        if let Some(first) = earlier.get(sent.attempt.as_str()) {
            if !first.interrupted {
                return Err(format!("attempt {} was made twice, the first not interrupted", sent.attempt));
            }
        }
        if let Some(success) = delivered.get(sent.delivery_id.as_str()) {
            return Err(format!("{} was sent again after {success} succeeded and was written", sent.attempt));
        }
        earlier.insert(&sent.attempt, sent);
        if sent.saved && !sent.interrupted && is_success(sent) {
            delivered.insert(&sent.delivery_id, &sent.attempt);
        }
    }
    Ok(())
}

/// What answers did: only a 2xx to a webhook that acts on replies, for a
/// delivery that is not a Test and whose events no acted-on reply caused,
/// changes the campaign, and only as it asked; every such answer is
/// logged on its delivery, a control not obeyed with why; answers to
/// other webhooks are neither acted on nor logged.
fn check_replies(world: &World) -> Result<(), String> {
    for sent in &world.sent {
        let Some(answered) = &sent.answered else { continue };
        let (before, after) = &answered.campaign;
        let asked = match sent.body {
            Some(Body::Asks(Some(control), _)) if control != Control::Start => Some(control),
            _ => None,
        };
        let may_act = is_success(sent) && sent.acts_on_replies;
        if before != after {
            if !may_act || sent.test || sent.reply_caused {
                let why = format!("acts on replies: {}, Test: {}, reply-caused: {}", sent.acts_on_replies, sent.test, sent.reply_caused);
                return Err(format!("the answer to {} moved the campaign from {before:?} to {after:?} ({why})", sent.attempt));
            }
            if asked.map(obeyed) != Some(after.clone()) {
                return Err(format!("the answer to {} asked {asked:?}, and the campaign went from {before:?} to {after:?}", sent.attempt));
            }
        }
        if !answered.reached {
            continue;
        }
        // A control not obeyed says why: not acted on at all, or `campaign not paused: …`.
        let says_why = |action: &str| action.starts_with("not acted on: ") || action.contains("campaign not ");
        match (may_act, &answered.reply_action) {
            (true, None) => return Err(format!("the answer to {} (an acting webhook's) is not in its delivery's log", sent.attempt)),
            (false, Some(action)) => return Err(format!("the answer to {} was acted on ({action}), its webhook does not", sent.attempt)),
            (true, Some(action)) if asked.is_some() && before == after && !says_why(action) => {
                return Err(format!("the answer to {} asked {asked:?}, not obeyed, and its log says {action:?}", sent.attempt));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The campaign, whatever replies say: it types only its phrases and
/// replies an acting webhook got for events of an outside cause, never a
/// forged phrase; and unless the writer rewrote its history, no faster
/// than its interval (but for the user starting or resuming it), no more
/// than its daily limit, each reply once, a reply's change at most once
/// per interval (a clock set back forgets the last), and after a reply's
/// resume nothing before a whole interval.
fn check_campaign(world: &World) -> Result<(), String> {
    for mark in &world.campaign {
        let Mark::Typed { text, .. } = mark else { continue };
        if text == FORGED_PHRASE {
            return Err("the chat typed a forged phrase".into());
        }
        let Some(attempt) = text.strip_prefix(REPLY_TEXT) else { continue };
        let answered = world
            .sent
            .iter()
            .filter(|s| s.attempt == attempt)
            .any(|s| matches!(s.body, Some(Body::Asks(_, true))) && is_success(s) && s.acts_on_replies && !s.test && !s.reply_caused);
        if !answered {
            return Err(format!("the chat typed {text:?}, no answer that may be acted on asked for it"));
        }
    }
    if world.rewritten {
        return Ok(());
    }
    let (mut last_typed, mut resumed_at, mut last_control) = (None, None, None);
    let mut today = 0;
    let mut replies_typed = BTreeSet::new();
    for mark in &world.campaign {
        match mark {
            Mark::Typed { text, at, interrupted } => {
                if let Some(last) = last_typed.filter(|last| at.since(*last) < INTERVAL_MS) {
                    return Err(format!("typed {text:?} {} ms after the last message", at.since(last)));
                }
                if let Some(resumed) = resumed_at.take().filter(|resumed| at.since(*resumed) < INTERVAL_MS) {
                    return Err(format!("typed {text:?} {} ms after a reply resumed the campaign", at.since(resumed)));
                }
                // The campaign may have forgotten it, and rightly type again.
                last_typed = (!interrupted).then_some(*at);
                if *interrupted {
                    continue;
                }
                today += 1;
                if today > DAILY_LIMIT {
                    return Err(format!("typed {today} messages in a day, the limit is {DAILY_LIMIT}"));
                }
                let delivery = text.strip_prefix(REPLY_TEXT).and_then(|attempt| attempt.rsplit_once('.')).map(|(delivery, _)| delivery);
                if let Some(delivery) = delivery.filter(|delivery| !replies_typed.insert(*delivery)) {
                    return Err(format!("typed a second reply to {delivery}"));
                }
            }
            Mark::UserGo => (last_typed, resumed_at) = (None, None),
            Mark::SetBack => last_control = None,
            Mark::NewDay => today = 0,
            Mark::ReplyControl { sent, at, to } => {
                if let Some(last) = last_control.filter(|last| at.since(*last) < INTERVAL_MS) {
                    return Err(format!("a reply changed the campaign {} ms after another did", at.since(last)));
                }
                last_control = (!world.sent[*sent].interrupted).then_some(*at);
                if *to == Status::Running {
                    resumed_at = Some(*at);
                }
            }
        }
    }
    Ok(())
}

/// The status a reply's control leaves the campaign in.
fn obeyed(control: Control) -> Status {
    match control {
        Control::Pause => Status::Paused,
        Control::Resume | Control::Start => Status::Running,
        Control::Stop => Status::Idle,
    }
}

fn is_success(sent: &faults::Sent) -> bool {
    sent.outcome.status().is_some_and(|s| (200..300).contains(&s))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("SIM_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000),
        max_shrink_iters: 10_000,
        failure_persistence: regressions(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_schedule_of_faults_keeps_deliveries_stats_attempts_and_the_campaign_true(schedule in prop::collection::vec(step(), 1..60)) {
        run(&schedule)?;
    }
}

#[test]
fn replays_a_schedule() {
    // A worker stop with a request in flight and writes failing around it.
    let schedule = [
        Step::Emit(0),
        Step::Receiver(0, Mode::Answers(Answer { status: 500, after: 3_000, retry_after: None, body: Body::Plain })),
        Step::Wait(10),
        Step::FailWrites(2),
        Step::Emit(1),
        Step::Stop,
        Step::Wait(5_000),
        Step::Jump(-60_000),
        Step::Campaign(Control::Start),
        Step::Wait(30_000),
        Step::Toggle(WEBHOOKS as u8),
    ];
    run(&schedule).unwrap();
}

#[test]
fn a_day_that_ends_while_the_campaign_rests_survives_a_stop() {
    // Sent today before midnight, stopped, then a stop in the new day: the
    // count the engine starts again from must be the one it showed.
    let schedule =
        [Step::Wait(5_000), Step::Campaign(Control::Stop), Step::Jump(3_600_000), Step::Jump(3_600_000), Step::Wait(10), Step::Stop];
    run(&schedule).unwrap();
}

#[test]
fn a_scheduled_start_that_passes_while_the_campaign_rests_survives_a_stop() {
    // Paused with a schedule, the campaign lets its scheduled time pass
    // (it starts only while stopped) and moves to the next: a stop must
    // not lose the start it moved to. The schedule goes before the end,
    // whose week of settling would otherwise start it again and again.
    let schedule = [
        Step::Schedule(true),
        Step::Wait(10),
        Step::Campaign(Control::Pause),
        Step::Jump(1_200_000),
        Step::Wait(10),
        Step::Stop,
        Step::Schedule(false),
    ];
    run(&schedule).unwrap();
}
