//! Seeded schedules of emits, edits, campaigns and faults (worker stops,
//! failed writes, a receiver that refuses, hangs or answers late, clock
//! jumps) run against the engine through the shared harness's fault world
//! (`common::faults`), with the invariants checked after every step:
//! nothing accepted is lost, the stats equal the outcomes, no request is
//! made twice except an interrupted attempt, and in the end the outbox
//! drains. A failing schedule is shrunk and printed as the `Step` list that
//! replays it (paste it into `replays_a_schedule`).
//!
//! `SIM_CASES` sets how many schedules run (default 1,000).

use std::collections::BTreeMap;

use autohook::{Control, DeliveryState};
use proptest::prelude::*;

use crate::common::faults::{self, Mode, Step, World, WEBHOOKS};
use crate::common::regressions;

fn step() -> impl Strategy<Value = Step> {
    let control = prop_oneof![Just(Control::Start), Just(Control::Pause), Just(Control::Resume), Just(Control::Stop)];
    let mode = prop_oneof![
        (prop_oneof![Just(200u16), Just(204), Just(400), Just(410), Just(429), Just(500), Just(503)], 0..9_000u16)
            .prop_map(|(status, after)| Mode::Answers(status, after)),
        Just(Mode::Refuses),
        Just(Mode::Hangs),
        Just(Mode::Redirects),
        Just(Mode::Unreachable),
    ];
    prop_oneof![
        6 => any::<u8>().prop_map(Step::Emit),
        1 => any::<u8>().prop_map(Step::Test),
        1 => any::<u8>().prop_map(Step::Redeliver),
        1 => any::<u8>().prop_map(Step::Toggle),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(which, seconds)| Step::Retime(which, seconds)),
        2 => control.prop_map(Step::Campaign),
        6 => prop_oneof![0..2_000u32, 0..120_000u32].prop_map(Step::Wait),
        1 => prop_oneof![-3_600_000..3_600_000i32, -60_000..60_000i32].prop_map(Step::Jump),
        2 => Just(Step::Stop),
        1 => Just(Step::StopMidWrite),
        1 => any::<u8>().prop_map(Step::FailWrites),
        2 => mode.prop_map(Step::Receiver),
    ]
}

/// Runs `schedule`, checking the invariants after each step and at the end.
fn run(schedule: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new();
    for (number, step) in schedule.iter().enumerate() {
        world.step(step);
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
    let engine = &world.sim.engine;
    // Nothing accepted is lost.
    for id in &world.accepted {
        engine.delivery(id).map_err(|_| format!("accepted delivery {id} is gone"))?;
    }
    // The stats equal the outcomes.
    for id in &world.webhooks {
        let stats = &engine.webhook(id).map_err(|e| e.to_string())?.stats;
        let of_it = || engine.deliveries().filter(|d| &d.webhook_id == id);
        let count = |state| of_it().filter(|d| d.state == state).count() as u64;
        let tried = of_it().filter(|d| !d.attempts.is_empty()).count() as u64;
        let counted = (stats.triggers, stats.successes, stats.failures);
        let outcomes = (tried, count(DeliveryState::Delivered), count(DeliveryState::Failed));
        if counted != outcomes {
            return Err(format!("{id}: stats (triggers, successes, failures) {counted:?}, deliveries say {outcomes:?}"));
        }
    }
    // No request is made twice, except an attempt the stop interrupted;
    // and none at all after a success that was written.
    let mut earlier: BTreeMap<&str, &faults::Sent> = BTreeMap::new();
    let mut delivered: BTreeMap<&str, &str> = BTreeMap::new();
    for sent in &world.sent {
        // A delivery is written before its first attempt, so a restart
        // can never lose one the receiver has seen.
        if !sent.durable {
            return Err(format!("attempt {} went out before its delivery was in storage", sent.attempt));
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
        if sent.saved && !sent.interrupted && sent.outcome.status().is_some_and(|s| (200..300).contains(&s)) {
            delivered.insert(&sent.delivery_id, &sent.attempt);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("SIM_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(1000),
        max_shrink_iters: 10_000,
        failure_persistence: regressions(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_schedule_of_faults_keeps_deliveries_stats_and_attempts_true(schedule in prop::collection::vec(step(), 1..60)) {
        run(&schedule)?;
    }
}

#[test]
fn replays_a_schedule() {
    // A worker stop with a request in flight and writes failing around it.
    let schedule = [
        Step::Emit(0),
        Step::Receiver(Mode::Answers(500, 3_000)),
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
