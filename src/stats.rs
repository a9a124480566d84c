//! Per-webhook delivery counters. Changed only by the engine, one event at a
//! time, so counts stay exact however many deliveries run at once.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// What happened to a webhook's deliveries since its stats were last cleared.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stats {
    /// Deliveries whose first attempt started.
    pub triggers: u64,
    /// Deliveries that ended with a 2xx.
    pub successes: u64,
    /// Deliveries that ended without one (retries exhausted or not retryable).
    pub failures: u64,
    /// When the last attempt started.
    pub last_triggered: Option<Millis>,
    /// HTTP status of the last finished attempt; `None` if none came (a
    /// network error, a timeout, a redirect whose status the browser hid).
    pub last_status: Option<u16>,
    /// Sum of finished attempts' durations, for the mean.
    pub latency_total_ms: u64,
    /// Finished attempts counted in `latency_total_ms`.
    pub latency_samples: u64,
}

/// Stats as the UI shows them, with the derived figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    /// Deliveries started.
    pub triggers: u64,
    /// Deliveries that succeeded.
    pub successes: u64,
    /// Deliveries that failed.
    pub failures: u64,
    /// Last attempt start.
    pub last_triggered: Option<Millis>,
    /// Last HTTP status.
    pub last_status: Option<u16>,
    /// successes / (successes + failures), absent before the first result.
    pub success_rate: Option<f64>,
    /// Mean attempt duration in whole milliseconds.
    pub mean_latency_ms: Option<u64>,
}

impl Stats {
    /// Records a finished attempt's duration and status.
    pub fn record_attempt(&mut self, duration_ms: u64, status: Option<u16>) {
        self.latency_total_ms += duration_ms;
        self.latency_samples += 1;
        self.last_status = status;
    }

    /// The counters with success rate and mean latency worked out.
    pub fn view(&self) -> StatsView {
        let finished = self.successes + self.failures;
        StatsView {
            triggers: self.triggers,
            successes: self.successes,
            failures: self.failures,
            last_triggered: self.last_triggered,
            last_status: self.last_status,
            success_rate: (finished > 0).then(|| self.successes as f64 / finished as f64),
            mean_latency_ms: self.latency_total_ms.checked_div(self.latency_samples),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_derives_rate_and_mean_latency() {
        let mut stats = Stats { successes: 3, failures: 1, ..Stats::default() };
        stats.record_attempt(100, Some(200));
        stats.record_attempt(51, Some(500));
        let view = stats.view();
        assert_eq!(view.success_rate, Some(0.75));
        assert_eq!(view.mean_latency_ms, Some(75));
        assert_eq!(view.last_status, Some(500));
    }

    #[test]
    fn empty_stats_have_no_rate_or_latency() {
        let view = Stats::default().view();
        assert_eq!(view.success_rate, None);
        assert_eq!(view.mean_latency_ms, None);
    }
}
