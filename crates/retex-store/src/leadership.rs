//! Which replica of a deployment leads: the one that runs the engine's clock (deadlines, escalations) and sends
//! what leaves it (webhooks, e-mail, approved drafts, the exception feed). Every replica serves reads, takes writes
//! and follows the shared log; only the leader acts on its own.
//!
//! On PostgreSQL the leader holds a session advisory lock on a connection of its own. PostgreSQL releases the lock
//! the moment that connection ends, so a leader that stops, even by `kill -9`, hands over at another replica's
//! next check. On SQLite one process serves a database file, and it leads.

use postgres::{Client, Config, NoTls};

use crate::postgres::parse_url;
use crate::{StoreError, StoreLocation};

/// The advisory lock the leading replica holds ("RETEXLDR" in ASCII).
const LEADER_LOCK_KEY: i64 = 0x5245_5445_584c_4452;

pub enum Leadership {
    /// The only server of an SQLite file.
    Sole,
    /// One of the replicas on a PostgreSQL database.
    Contended(Box<LeaderLock>),
}

impl Leadership {
    pub fn for_location(location: &StoreLocation) -> Result<Self, StoreError> {
        Ok(match location {
            StoreLocation::Sqlite(_) => Self::Sole,
            StoreLocation::Postgres(url) => Self::Contended(Box::new(LeaderLock::new(url)?)),
        })
    }

    /// Whether this replica leads now: it keeps a lock it holds while the lock's connection answers, and tries to
    /// take a free one.
    pub fn check(&mut self) -> bool {
        match self {
            Self::Sole => true,
            Self::Contended(lock) => lock.check(),
        }
    }
}

/// The leader's session advisory lock, on a connection that holds nothing else.
pub struct LeaderLock {
    config: Config,
    /// The lock's connection, and whether it holds the lock.
    connection: Option<(Client, bool)>,
}

impl LeaderLock {
    fn new(url: &str) -> Result<Self, StoreError> {
        Ok(Self {
            config: parse_url(url)?,
            connection: None,
        })
    }

    fn check(&mut self) -> bool {
        if let Some((client, true)) = &mut self.connection {
            if client.simple_query("SELECT 1").is_ok() {
                return true;
            }
            // The connection is gone, and the lock with it: another replica may hold it by now.
            self.connection = None;
        }
        if self.connection.is_none() {
            self.connection = self.config.connect(NoTls).ok().map(|client| (client, false));
        }
        let Some((client, held)) = &mut self.connection else {
            return false;
        };
        match client.query_one("SELECT pg_try_advisory_lock($1)", &[&LEADER_LOCK_KEY]) {
            Ok(row) => {
                *held = row.get(0);
                *held
            }
            Err(_) => {
                self.connection = None;
                false
            }
        }
    }
}
