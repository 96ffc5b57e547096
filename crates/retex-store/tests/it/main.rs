//! The store conformance suite: one set of tests, run against every backend, so SQLite and PostgreSQL keep
//! the same promises (gap-free seqs, idempotent appends, all-or-nothing batches, snapshot retention).
//!
//! A backend takes part by implementing [`Harness`] and invoking [`store_conformance_suite!`] with it, which
//! turns every function of `suite.rs` into a `#[test]`. `sqlite.rs` uses a temporary directory;
//! `postgres.rs` creates a fresh database per test from `RETEX_TEST_POSTGRES_URL`, and skips (with a printed
//! line) when that variable is unset.

use retex_store::{Store, StoreError};

/// One backend under test: a new, empty store per test, and the few ways a test reaches around the store
/// into its database.
pub trait Harness: Sized {
    /// A new, empty store location of its own, or `None` when this backend is not configured here (the test
    /// is then skipped). Panics when the backend is configured but cannot be reached.
    fn create() -> Option<Self>;
    /// Opens a new connection to this harness's store, as a starting process would.
    fn open(&self) -> Result<Box<dyn Store>, StoreError>;
    /// Makes the database fail any insert into the log of an entry with this event id, the way a full disk
    /// or a broken constraint would fail a statement part-way through a batch. The store must be open once
    /// before (the log table must exist).
    fn fail_inserts_of(&self, event_id: &str);
    /// Records in the database a schema version newer than this build knows, as a newer Retex would. The
    /// store must be open once before.
    fn claim_newer_schema(&self);
    /// Runs SQL against the database behind the store's back, as someone tampering with it would.
    fn tamper(&self, sql: &str);
}

/// Turns every conformance test in `suite.rs` into a `#[test]` for one [`Harness`].
macro_rules! store_conformance_suite {
    ($harness:ty) => {
        store_conformance_suite!(@tests $harness;
            seqs_start_at_one_and_have_no_gaps,
            entries_come_back_verbatim_in_batch_order,
            duplicates_across_batches_are_ignored,
            duplicates_inside_a_batch_are_ignored,
            large_batches_match_a_reference_model,
            a_failed_batch_leaves_nothing_behind,
            invalid_requests_change_nothing,
            read_log_pages_through_the_log,
            find_entry_looks_up_the_idempotency_key,
            the_newest_snapshot_wins,
            only_the_newest_snapshots_are_kept,
            snapshots_of_other_format_versions_are_ignored,
            reopening_keeps_everything,
            a_schema_newer_than_this_build_is_refused,
            concurrent_appenders_get_gap_free_seqs,
            accounts_are_found_by_name_and_by_secret,
            accounts_are_listed_disabled_and_changed_with_their_record,
            a_setting_keeps_its_first_value,
            sessions_end_by_logout_by_password_change_and_by_staleness,
            evidence_is_kept_once_under_its_hash,
            a_delivery_attempt_is_claimed_once,
            the_audit_chain_covers_every_append,
            a_changed_entry_breaks_the_audit_chain_at_that_entry,
            a_removed_entry_breaks_the_audit_chain,
            reordered_entries_break_the_audit_chain,
            a_truncated_or_emptied_log_breaks_only_against_its_head,
            a_rewritten_log_with_a_recomputed_chain_breaks_against_its_head,
            links_without_entry_digests_verify_as_before,
            a_live_engine_catches_up_with_another_writer,
            a_large_snapshot_is_written_more_rarely,
            a_snapshot_under_other_rules_is_not_loaded,
            an_incident_command_is_logged_once_and_replayed,
        );
    };
    (@tests $harness:ty; $($test:ident),+ $(,)?) => {
        $(
            #[test]
            fn $test() {
                $crate::suite::$test::<$harness>();
            }
        )+
    };
}

mod postgres;
mod sqlite;
mod suite;
