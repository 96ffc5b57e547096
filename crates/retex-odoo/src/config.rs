//! The connector's settings file, for `retex serve --odoo FILE` (pull on a schedule), and the mapping tables
//! (`[locations]`, `[fields]`) it shares with the file `retex odoo pull --mapping FILE` reads.
//!
//! ```toml
//! url = "https://shop.example.com"
//! database = "shop"
//! user = "retex@shop.example.com"
//! password_file = "odoo-password"     # or api_key_file, for Odoo 19's JSON-2 API
//! every_minutes = 5
//! since = "2026-11-01 00:00:00"       # optional: the first pull starts there
//! write_back = true                   # optional: open exceptions become to-do activities in Odoo
//! check_stock = false                 # optional: leave out comparing stock.quant with Retex's stock
//! retex_url = "https://retex.shop"    # optional: the link in each activity's note
//!
//! [locations]
//! S01 = "store"
//!
//! [fields]
//! sku = "barcode"
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use crate::client::Credentials;
use crate::mapping::{FieldNames, Mapping};
use crate::pull::PullOptions;

/// Where the Odoo is, how to log in, and how often to pull.
#[derive(Clone, Debug)]
pub struct OdooConfig {
    pub url: String,
    pub database: String,
    pub user: String,
    pub credentials: Credentials,
    pub every: Duration,
    pub options: PullOptions,
    /// Whether open exceptions about Odoo records become activities there (`retex odoo push` each turn).
    pub write_back: bool,
    /// Retex's address as people reach it, for the activities' links.
    pub retex_url: Option<String>,
}

impl OdooConfig {
    /// Reads the file; a secret file named in it is relative to the file's folder.
    pub fn read(path: &Path) -> Result<Self, String> {
        let name = path.display();
        let text = std::fs::read_to_string(path).map_err(|error| format!("read {name}: {error}"))?;
        let table: toml::Table = toml::from_str(&text).map_err(|error| format!("{name}: not TOML: {error}"))?;
        let text_of = |key: &str| -> Result<String, String> {
            match table.get(key) {
                Some(toml::Value::String(value)) if !value.is_empty() => Ok(value.clone()),
                Some(_) => Err(format!("{name}: {key}: expected a text")),
                None => Err(format!("{name}: {key}: missing")),
            }
        };
        let folder = path.parent().unwrap_or(Path::new("."));
        let secret = |key: &str| -> Result<Option<String>, String> {
            let Some(file) = table.get(key) else {
                return Ok(None);
            };
            let file = file
                .as_str()
                .ok_or_else(|| format!("{name}: {key}: expected a file name"))?;
            let secret = std::fs::read_to_string(folder.join(file))
                .map_err(|error| format!("{name}: {key}: read {file}: {error}"))?;
            let line = secret.lines().next().unwrap_or("").trim().to_owned();
            if line.is_empty() {
                return Err(format!("{name}: {key}: the first line of {file} is empty"));
            }
            Ok(Some(line))
        };
        let credentials = match (secret("password_file")?, secret("api_key_file")?) {
            (Some(password), None) => Credentials::Password(password),
            (None, Some(key)) => Credentials::ApiKey(key),
            _ => return Err(format!("{name}: give password_file or api_key_file, one of them")),
        };
        let every_minutes = match table.get("every_minutes") {
            None => 5,
            Some(toml::Value::Integer(minutes)) if (1..=1440).contains(minutes) => *minutes as u64,
            Some(other) => return Err(format!("{name}: every_minutes: {other} is not 1 to 1440")),
        };
        let since = match table.get("since") {
            None => None,
            Some(_) => Some(text_of("since")?),
        };
        let flag = |key: &str, absent: bool| match table.get(key) {
            None => Ok(absent),
            Some(toml::Value::Boolean(set)) => Ok(*set),
            Some(other) => Err(format!("{name}: {key}: {other} is not true or false")),
        };
        let retex_url = match table.get("retex_url") {
            None => None,
            Some(_) => Some(text_of("retex_url")?),
        };
        for key in table.keys() {
            let known = [
                "url",
                "database",
                "user",
                "password_file",
                "api_key_file",
                "every_minutes",
                "since",
                "write_back",
                "check_stock",
                "retex_url",
                "locations",
                "fields",
            ];
            if !known.contains(&key.as_str()) {
                return Err(format!("{name}: {key}: unknown key; use {}", known.join(", ")));
            }
        }
        Ok(Self {
            url: text_of("url")?,
            database: text_of("database")?,
            user: text_of("user")?,
            credentials,
            every: Duration::from_secs(every_minutes * 60),
            options: PullOptions {
                since,
                mapping: mapping(&table).map_err(|problem| format!("{name}: {problem}"))?,
                skip_stock_check: !flag("check_stock", true)?,
            },
            write_back: flag("write_back", false)?,
            retex_url,
        })
    }

    /// The name of this Odoo database in the cursors' keys.
    pub fn scope(&self) -> String {
        format!("{}/{}", self.url.trim_end_matches('/'), self.database)
    }
}

/// The mapping tables: `[locations]` (warehouse code to location kind) and `[fields]` (which Odoo field holds
/// a value the default mapping reads elsewhere).
pub fn mapping(table: &toml::Table) -> Result<Mapping, String> {
    Ok(Mapping {
        location_kinds: location_kinds(table)?,
        fields: field_names(table)?,
    })
}

/// The table under `key`: none when absent, an error when `key` is not a table.
fn subtable<'a>(table: &'a toml::Table, key: &str) -> Result<Option<&'a toml::Table>, String> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::Table(inner)) => Ok(Some(inner)),
        Some(_) => Err(format!("{key}: expected a table ([{key}])")),
    }
}

fn field_names(table: &toml::Table) -> Result<FieldNames, String> {
    let mut names = FieldNames::default();
    for (key, field) in subtable(table, "fields")?.into_iter().flatten() {
        let Some(slot) = names.get_mut(key) else {
            return Err(format!("fields.{key}: unknown; use {}", FieldNames::KEYS.join(", ")));
        };
        match field.as_str() {
            Some(field) if is_field_name(field) => *slot = field.to_owned(),
            _ => return Err(format!("fields.{key}: {field} is not an Odoo field name")),
        }
    }
    Ok(names)
}

/// Odoo field names are lower-case identifiers (`default_code`, `x_studio_sku`).
fn is_field_name(text: &str) -> bool {
    text.starts_with(|first: char| first.is_ascii_lowercase())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_')
}

fn location_kinds(table: &toml::Table) -> Result<HashMap<String, String>, String> {
    let mut kinds = HashMap::new();
    for (code, kind) in subtable(table, "locations")?.into_iter().flatten() {
        match kind.as_str() {
            Some(kind @ ("store" | "warehouse" | "web")) => kinds.insert(code.clone(), kind.to_owned()),
            _ => return Err(format!("locations.{code}: {kind} is not store, warehouse or web")),
        };
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(settings: &str, secret: Option<&str>) -> Result<OdooConfig, String> {
        let dir = tempfile::tempdir().unwrap();
        if let Some(secret) = secret {
            std::fs::write(dir.path().join("odoo-key"), secret).unwrap();
        }
        let path = dir.path().join("odoo.toml");
        std::fs::write(&path, settings).unwrap();
        OdooConfig::read(&path)
    }

    const SETTINGS: &str = "url = \"https://shop.example.com/\"\ndatabase = \"shop\"\nuser = \"retex\"\n\
                            api_key_file = \"odoo-key\"\nevery_minutes = 2\nwrite_back = true\n\
                            retex_url = \"https://retex.shop\"\n[locations]\nS01 = \"store\"\n\
                            [fields]\nsku = \"barcode\"\n";

    #[test]
    fn the_settings_file_names_its_secret_file_beside_it_and_its_schedule() {
        let config = read(SETTINGS, Some("k3y\n")).unwrap();
        assert!(matches!(&config.credentials, Credentials::ApiKey(key) if key == "k3y"));
        assert_eq!(config.every, Duration::from_secs(120));
        assert_eq!(config.scope(), "https://shop.example.com/shop");
        assert_eq!(
            config.options.mapping.location_kinds.get("S01").map(String::as_str),
            Some("store")
        );
        assert_eq!(config.options.mapping.fields.sku, "barcode");
        assert_eq!(
            config.options.mapping.fields.cost, "standard_price",
            "the rest keep their default"
        );
        assert!(config.write_back);
        assert_eq!(config.retex_url.as_deref(), Some("https://retex.shop"));
    }

    #[test]
    fn a_mistake_is_named_by_its_key() {
        let no_secret = read(SETTINGS, None).unwrap_err();
        assert!(no_secret.contains("api_key_file: read odoo-key"), "{no_secret}");
        let typo = read(&SETTINGS.replace("every_minutes", "every_minute"), Some("k")).unwrap_err();
        assert!(typo.contains("every_minute: unknown key"), "{typo}");
        let kind = read(&SETTINGS.replace("\"store\"", "\"shop\""), Some("k")).unwrap_err();
        assert!(
            kind.contains("locations.S01: \"shop\" is not store, warehouse or web"),
            "{kind}"
        );
        let field = read(&SETTINGS.replace("sku =", "code ="), Some("k")).unwrap_err();
        assert!(
            field.contains("fields.code: unknown; use sku, supplier_code, cost, price, ship_by"),
            "{field}"
        );
        let name = read(&SETTINGS.replace("\"barcode\"", "\"Bar Code\""), Some("k")).unwrap_err();
        assert!(
            name.contains("fields.sku: \"Bar Code\" is not an Odoo field name"),
            "{name}"
        );
    }
}
