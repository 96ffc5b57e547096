//! Retex and Odoo: `retex odoo pull` reads a shop's Odoo (warehouses, products and their suppliers, purchase
//! orders and receipts, sale orders and deliveries, till sales) and appends what changed as events, exactly once (see `pull`).
//!
//! `activities` writes open exceptions back as Odoo to-dos, `orders` sends approved replenishment there, `client` speaks Odoo's APIs, `mapping` turns records into events (pure), `pull` runs one incremental pull
//! against a live engine (reading without a lock, then appending), `config` reads the settings file of
//! `retex serve --odoo`.

pub mod activities;
pub mod client;
pub mod config;
pub mod mapping;
pub mod orders;
pub mod pull;

pub use client::{Credentials, OdooClient, OdooError, install_tls_provider};
pub use config::OdooConfig;
pub use pull::{Changes, PullError, PullOptions, PullReport, pull, read_changes, saved_cursors};
