//! The options every engine command shares: the store (an SQLite file by default, PostgreSQL by URL) and the
//! rules file the engine runs under.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use retex_core::engine::EngineConfig;
use retex_core::rules::Rules;
use retex_core::rules::file::parse_rules;
use retex_store::{LiveEngine, LiveOptions, StoreLocation};

#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// SQLite database file (created by the commands that write: ingest, import, odoo pull, silence add, serve,
    /// user and token; the others refuse one that does not exist).
    #[arg(long, value_name = "PATH", default_value = "retex.db")]
    pub db: PathBuf,
    /// PostgreSQL URL, used instead of the SQLite file.
    #[arg(long, value_name = "URL", env = "RETEX_DATABASE_URL", conflicts_with = "db")]
    pub database_url: Option<String>,
    /// Rules file (TOML); without one, the defaults of exceptions.md hold. Use the same file for every command
    /// on a store: other rules re-derive the exceptions from the whole log.
    #[arg(long, value_name = "FILE", env = "RETEX_RULES", visible_alias = "config")]
    pub rules: Option<PathBuf>,
}

impl StoreArgs {
    pub fn location(&self) -> StoreLocation {
        match &self.database_url {
            Some(url) => StoreLocation::Postgres(url.clone()),
            None => StoreLocation::Sqlite(self.db.clone()),
        }
    }

    pub fn engine_config(&self) -> anyhow::Result<EngineConfig> {
        let rules = match &self.rules {
            Some(path) => load_rules(path)?,
            None => Rules::default(),
        };
        Ok(EngineConfig {
            rules: Arc::new(rules),
            insight: Some(Arc::new(retex_insight::EmbeddedInsight)),
        })
    }

    /// Refuses an SQLite file that does not exist, for the commands that only read or act on a store: a
    /// mistyped path would otherwise create an empty store and answer from it.
    pub fn require_existing(&self) -> anyhow::Result<()> {
        if self.database_url.is_none() && !self.db.exists() {
            return Err(anyhow::Error::new(MissingStore(self.db.clone())));
        }
        Ok(())
    }

    /// Opens an existing store ([`Self::require_existing`]) and brings the engine up to date with its log.
    pub fn open_existing_live(&self) -> anyhow::Result<LiveEngine> {
        self.require_existing()?;
        self.open_live()
    }

    /// Opens the store and brings the engine up to date with its log.
    pub fn open_live(&self) -> anyhow::Result<LiveEngine> {
        let config = self.engine_config()?;
        let location = self.location();
        let described = match &location {
            StoreLocation::Sqlite(path) => path.display().to_string(),
            StoreLocation::Postgres(_) => "the PostgreSQL database".to_string(),
        };
        let store = retex_store::open(&location).with_context(|| format!("open store {described}"))?;
        LiveEngine::open(store, config, LiveOptions::default())
            .with_context(|| format!("load engine state from {described}"))
    }
}

/// An SQLite store named that does not exist; the CLI exits 2 on it.
#[derive(Debug, thiserror::Error)]
#[error("no store at {}: give --db the file `retex ingest` or `retex serve` created (or --database-url)", .0.display())]
pub struct MissingStore(pub PathBuf);

/// Reads and checks a rules file; every problem is reported as `FILE:LINE: key: problem`.
pub fn load_rules(path: &Path) -> anyhow::Result<Rules> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read rules file {}", path.display()))?;
    parse_rules(&text).map_err(|errors| {
        let mut message = format!("{} has {} problem(s)", path.display(), errors.len());
        for error in errors {
            message.push_str(&format!(
                "\n{}:{}: {}: {}",
                path.display(),
                error.line,
                error.key,
                error.problem
            ));
        }
        anyhow::anyhow!(message)
    })
}
