//! The store options every command shares: an SQLite file by default, PostgreSQL by URL.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use retex_store::{LiveEngine, LiveOptions, StoreLocation};

#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// SQLite database file (created when missing).
    #[arg(long, value_name = "PATH", default_value = "retex.db")]
    pub db: PathBuf,
    /// PostgreSQL URL, used instead of the SQLite file.
    #[arg(
        long,
        value_name = "URL",
        env = "RETEX_DATABASE_URL",
        conflicts_with = "db"
    )]
    pub database_url: Option<String>,
}

impl StoreArgs {
    pub fn location(&self) -> StoreLocation {
        match &self.database_url {
            Some(url) => StoreLocation::Postgres(url.clone()),
            None => StoreLocation::Sqlite(self.db.clone()),
        }
    }

    /// Opens the store and brings the engine up to date with its log.
    pub fn open_live(&self) -> anyhow::Result<LiveEngine> {
        let location = self.location();
        let described = match &location {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Postgres(_) => "the PostgreSQL database".to_string(),
        };
        let store =
            retex_store::open(&location).with_context(|| format!("open store {described}"))?;
        LiveEngine::open(store, LiveOptions::default())
            .with_context(|| format!("load engine state from {described}"))
    }
}
