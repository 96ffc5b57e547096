//! Which replica of a deployment leads: the one that runs the engine's clock (deadlines, escalations) and sends
//! what leaves it (webhooks, e-mail, approved drafts, the exception feed). Every replica serves reads, takes writes
//! and follows the shared log; only the leader acts on its own.
//!
//! On PostgreSQL the leader holds a session advisory lock on a connection of its own. PostgreSQL releases the lock
//! the moment that connection ends, so a leader that stops, even by `kill -9`, hands over at another replica's
//! next check. On SQLite one process serves a database file, and it leads.

use crate::postgres::LeaderLock;
use crate::{StoreError, StoreLocation};

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
