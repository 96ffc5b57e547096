//! Fault injection for the crash tests: when the process that opens stores asks (`retex` reads
//! `RETEX_FAULT_HOLD_BATCH_MS`), every append waits that long between writing its rows and committing them,
//! and says so on standard error, so a test can `kill -9` the process while a batch is in flight and check that
//! none of it survives. Never set in production: it only slows appends.

use std::sync::OnceLock;
use std::time::Duration;

static HOLD: OnceLock<Duration> = OnceLock::new();

/// Holds every append of this process uncommitted for `pause` before it commits.
pub fn hold_batches_for(pause: Duration) {
    let _ = HOLD.set(pause);
}

/// Called by the backends with a batch written and not yet committed.
pub(crate) fn before_commit(entries: usize) {
    if let Some(pause) = HOLD.get() {
        eprintln!(
            "retex: fault injection: holding {entries} entries uncommitted for {} ms",
            pause.as_millis()
        );
        std::thread::sleep(*pause);
    }
}
