//! The conformance suite on PostgreSQL: each test creates a database of its own on the server named by
//! `RETEX_TEST_POSTGRES_URL`, and drops it at the end, also when the test fails.
//!
//! Without the variable the tests print that they are skipped and pass; with it, an unreachable server fails
//! them, so a misconfigured CI cannot pass by skipping.

use std::sync::atomic::{AtomicUsize, Ordering};

use postgres::{Client, NoTls};
use retex_store::{ChainVerdict, Leadership, NewEntry, Store, StoreError, StoreLocation, verify_chain};

use crate::Harness;

const URL_VARIABLE: &str = "RETEX_TEST_POSTGRES_URL";

/// Numbers the databases of one test process; with the process id it makes their names unique.
static DATABASES_CREATED: AtomicUsize = AtomicUsize::new(0);

/// A database of its own on the test server, dropped with the harness.
pub struct PostgresHarness {
    /// The URL from the environment, for creating and dropping databases.
    server_url: String,
    database: String,
    /// `server_url` pointing at `database`.
    database_url: String,
}

impl PostgresHarness {
    /// A connection of the test's own to its database, beside the store's.
    fn connect(&self) -> Client {
        Client::connect(&self.database_url, NoTls).expect("connect to the test database")
    }
}

impl Harness for PostgresHarness {
    fn create() -> Option<Self> {
        let Ok(server_url) = std::env::var(URL_VARIABLE) else {
            println!("skipped: {URL_VARIABLE} is not set, so the postgresql store is not tested");
            return None;
        };
        let mut server = Client::connect(&server_url, NoTls)
            .unwrap_or_else(|error| panic!("{URL_VARIABLE} is set but its server cannot be reached: {error:?}"));
        let number = DATABASES_CREATED.fetch_add(1, Ordering::Relaxed);
        let database = format!("retex_store_test_{}_{number}", std::process::id());
        // A database of this name can only be left over from a killed run whose process id was reused.
        server
            .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .expect("drop a leftover test database");
        server
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .expect("create the test database");
        let database_url = url_with_database(&server_url, &database);
        Some(PostgresHarness {
            server_url,
            database,
            database_url,
        })
    }

    fn open(&self) -> Result<Box<dyn Store>, StoreError> {
        retex_store::open(&StoreLocation::Postgres(self.database_url.clone()))
    }

    fn fail_inserts_of(&self, event_id: &str) {
        let event_id = event_id.replace('\'', "''");
        let trigger = format!(
            "CREATE FUNCTION fail_inserts() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.event_id = '{event_id}' THEN RAISE EXCEPTION 'insert failed on purpose'; END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER fail_inserts BEFORE INSERT ON log FOR EACH ROW EXECUTE FUNCTION fail_inserts();"
        );
        self.connect()
            .batch_execute(&trigger)
            .expect("create the failing trigger");
    }

    fn claim_newer_schema(&self) {
        self.connect()
            .batch_execute("INSERT INTO retex_schema_migrations (version, name) VALUES (1000, 'from the future')")
            .expect("record a newer schema version");
    }

    fn tamper(&self, sql: &str) {
        self.connect().batch_execute(sql).expect("tamper with the database");
    }
}

impl Drop for PostgresHarness {
    fn drop(&mut self) {
        let dropped = Client::connect(&self.server_url, NoTls).and_then(|mut server| {
            server.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database))
        });
        if let Err(error) = dropped {
            eprintln!("could not drop test database {}: {error:?}", self.database);
        }
    }
}

/// `url` with its database (the URL path) replaced by `database`, keeping any `?` parameters.
fn url_with_database(url: &str, database: &str) -> String {
    let (base, parameters) = match url.split_once('?') {
        Some((base, parameters)) => (base, Some(parameters)),
        None => (url, None),
    };
    let authority_start = base
        .find("://")
        .map(|index| index + 3)
        .unwrap_or_else(|| panic!("{URL_VARIABLE} must be a postgres:// url"));
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |index| authority_start + index);
    let mut database_url = format!("{}/{database}", &base[..path_start]);
    if let Some(parameters) = parameters {
        database_url.push('?');
        database_url.push_str(parameters);
    }
    database_url
}

store_conformance_suite!(PostgresHarness);

#[test]
fn the_test_url_points_at_the_test_database() {
    assert_eq!(
        url_with_database("postgres://u@h:1/postgres", "t"),
        "postgres://u@h:1/t"
    );
    assert_eq!(url_with_database("postgres://u@h", "t"), "postgres://u@h/t");
    assert_eq!(
        url_with_database("postgres://u@h/db?sslmode=disable", "t"),
        "postgres://u@h/t?sslmode=disable"
    );
}

#[test]
fn an_unreachable_server_is_unavailable_and_named() {
    // Port 1 on the loopback interface: nothing listens there, so the connection is refused at once.
    let error = retex_store::connect_postgres("postgres://retex:secret@127.0.0.1:1/retex")
        .err()
        .expect("nothing listens on port 1");
    assert!(matches!(error, StoreError::Unavailable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:1/retex"), "{message}");
    assert!(!message.contains("secret"), "{message}");
}

#[test]
fn one_replica_leads_and_another_takes_over_when_its_connection_ends() {
    let Some(harness) = PostgresHarness::create() else {
        return;
    };
    drop(harness.open().unwrap());
    let location = StoreLocation::Postgres(harness.database_url.clone());
    let mut first = Leadership::for_location(&location).unwrap();
    let mut second = Leadership::for_location(&location).unwrap();
    assert!(first.check(), "the first replica to check leads");
    assert!(!second.check(), "a second replica follows");
    assert!(first.check(), "the leader keeps leading");
    drop(first);
    // The server releases the lock when it notices the connection gone: at once for a closed socket.
    let took_over = (0..50).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        second.check()
    });
    assert!(took_over, "the follower leads once the leader's connection ended");
}

/// Runs one of PostgreSQL's client programs, failing the test with its own words when it fails.
fn run_client_program(program: &str, args: &[&str]) {
    let output = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{program} must be on PATH where {URL_VARIABLE} is set: {error}"));
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// docs/operations.md's PostgreSQL backup, as written there: `pg_dump --format=custom`, then `pg_restore` into
/// an empty database, gives a store with the same log and an intact audit chain, which goes on appending.
#[test]
fn pg_dump_and_pg_restore_carry_the_log_and_its_chain() {
    let Some(original) = PostgresHarness::create() else {
        return;
    };
    let restored = PostgresHarness::create().expect("a second test database");
    let mut store = original.open().unwrap();
    let bodies: Vec<String> = (0..500).map(|n| format!(r#"{{"id":"s{n}"}}"#)).collect();
    let ids: Vec<String> = (0..500).map(|n| format!("s{n}")).collect();
    for chunk in (0..500).collect::<Vec<usize>>().chunks(100) {
        let batch: Vec<NewEntry<'_>> = chunk
            .iter()
            .map(|&n| NewEntry {
                source: "pos",
                event_id: &ids[n],
                kind: "sale",
                at_ms: 1_750_000_000_000 + n as i64,
                body: &bodies[n],
            })
            .collect();
        store.append(&batch).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("retex.dump");
    let dump = dump.to_str().unwrap();
    run_client_program(
        "pg_dump",
        &["--format=custom", "--file", dump, "--dbname", &original.database_url],
    );
    run_client_program("pg_restore", &["--no-owner", "--dbname", &restored.database_url, dump]);

    let mut copy = restored.open().expect("open the restored database as a store");
    let everything = |store: &mut dyn Store| store.read_log(0, 10_000).unwrap();
    assert_eq!(everything(copy.as_mut()), everything(store.as_mut()));
    let (ChainVerdict::Intact { entries, .. }, ChainVerdict::Intact { head, .. }) = (
        verify_chain(copy.as_mut(), None).unwrap(),
        verify_chain(store.as_mut(), None).unwrap(),
    ) else {
        panic!("both chains verify");
    };
    assert_eq!(entries, 500);
    assert!(
        matches!(
            verify_chain(copy.as_mut(), head.as_ref()).unwrap(),
            ChainVerdict::Intact { .. }
        ),
        "the copy's chain passes through the original's head"
    );
    let later = NewEntry {
        source: "pos",
        event_id: "after-restore",
        kind: "sale",
        at_ms: 1_750_000_001_000,
        body: "{}",
    };
    assert_eq!(copy.append(&[later]).unwrap().seqs, vec![Some(501)]);
}
