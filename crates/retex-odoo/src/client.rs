//! Speaking to Odoo: JSON-RPC (`/jsonrpc`, `execute_kw`, Odoo 16 to 18, with a password or an API key in its
//! place) or the JSON-2 API (`/json/2/<model>/<method>`, Odoo 19, with an API key). Either way a call is a model,
//! a method and named arguments, and an error comes back as one [`OdooError`] that says what to fix.

use std::time::Duration;

use serde_json::{Map, Value, json};

/// An Odoo record as the API returns it: field name to value (`false` for an empty field).
pub type Record = Map<String, Value>;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Makes ring the process's TLS provider for every HTTP client (Odoo, webhooks), unless one is already
/// installed. Ring builds with no C toolchain beyond `cc` and quickly; the post-quantum key exchange it lacks
/// matters for long-lived secrets in transit, not for these calls.
#[expect(deprecated, reason = "ring has no post-quantum key exchange; see above")]
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// How Retex logs in.
#[derive(Clone, Debug)]
pub enum Credentials {
    /// A password (or an API key used as one) over JSON-RPC.
    Password(String),
    /// An API key over the JSON-2 API (Odoo 19 and later).
    ApiKey(String),
}

#[derive(Debug, thiserror::Error)]
pub enum OdooError {
    #[error("cannot reach Odoo at {url}: {cause}")]
    Unreachable { url: String, cause: String },
    #[error(
        "Odoo refused the login of {login} to database {database}: check the user, the password or API key, and the database"
    )]
    AccessDenied { login: String, database: String },
    #[error("Odoo has no model {model} (is its app installed?)")]
    MissingModel { model: String },
    #[error("Odoo's {model} has no field {field} (another Odoo version, or a module missing?)")]
    MissingField { model: String, field: String },
    #[error("Odoo answered {model}.{method} with an error: {message}")]
    Server {
        model: String,
        method: String,
        message: String,
    },
    #[error("Odoo's answer to {what} is not what Odoo sends: {problem}")]
    Protocol { what: String, problem: String },
}

enum Protocol {
    JsonRpc { uid: i64, password: String },
    Json2 { api_key: String },
}

/// A logged-in connection to one Odoo database.
pub struct OdooClient {
    http: reqwest::Client,
    url: String,
    database: String,
    protocol: Protocol,
    /// The server's major version (16, 17, ...): field names changed between them.
    pub version: u32,
}

impl OdooClient {
    /// Logs in: over JSON-RPC with a password, over JSON-2 with an API key.
    pub async fn connect(url: &str, database: &str, login: &str, credentials: Credentials) -> Result<Self, OdooError> {
        install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .user_agent(concat!("retex/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| OdooError::Unreachable {
                url: url.to_owned(),
                cause: error.to_string(),
            })?;
        let mut client = Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            database: database.to_owned(),
            protocol: Protocol::Json2 { api_key: String::new() },
            version: 19,
        };
        let denied = || OdooError::AccessDenied {
            login: login.to_owned(),
            database: database.to_owned(),
        };
        match credentials {
            Credentials::Password(password) => {
                let version = client.rpc("common", "version", json!([])).await?;
                client.version = major_version(&version)?;
                let uid = client
                    .rpc("common", "authenticate", json!([database, login, password, {}]))
                    .await?;
                let uid = uid.as_i64().ok_or_else(denied)?;
                client.protocol = Protocol::JsonRpc { uid, password };
            }
            Credentials::ApiKey(api_key) => {
                client.protocol = Protocol::Json2 { api_key };
                // A cheap call that needs the key: whoever it is may read their own user.
                client
                    .call(
                        "res.users",
                        "search_read",
                        json!({"domain": [], "fields": ["id"], "limit": 1}),
                    )
                    .await
                    .map_err(|error| match error {
                        OdooError::AccessDenied { .. } => denied(),
                        other => other,
                    })?;
            }
        }
        Ok(client)
    }

    /// Records of `model` matching `domain`, in `order`, one page.
    pub async fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
        order: &str,
        limit: usize,
    ) -> Result<Vec<Record>, OdooError> {
        let kwargs = json!({"domain": domain, "fields": fields, "order": order, "limit": limit});
        records(self.call(model, "search_read", kwargs).await?, model)
    }

    /// The id of the first record of `model` matching `domain`, if any.
    pub async fn first_id(&self, model: &str, domain: Value) -> Result<Option<i64>, OdooError> {
        let found = self.search_read(model, domain, &["id"], "id asc", 1).await?;
        Ok(found
            .first()
            .and_then(|record| record.get("id"))
            .and_then(Value::as_i64))
    }

    /// Records by id (at most a page's worth at a time is the caller's concern).
    pub async fn read(&self, model: &str, ids: &[i64], fields: &[&str]) -> Result<Vec<Record>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let kwargs = json!({"domain": [["id", "in", ids]], "fields": fields});
        records(self.call(model, "search_read", kwargs).await?, model)
    }

    /// Creates a record; its id.
    pub async fn create(&self, model: &str, values: Value) -> Result<i64, OdooError> {
        let created = self.call(model, "create", json!({"vals_list": [values]})).await?;
        created
            .as_i64()
            .or_else(|| created.get(0).and_then(Value::as_i64))
            .ok_or_else(|| OdooError::Protocol {
                what: format!("{model}.create"),
                problem: format!("expected the new id, got {created}"),
            })
    }

    /// Calls a method on records (`action_feedback` on activities, say).
    pub async fn call_on(&self, model: &str, method: &str, ids: &[i64], kwargs: Value) -> Result<Value, OdooError> {
        let mut kwargs = kwargs;
        kwargs["ids"] = json!(ids);
        self.call(model, method, kwargs).await
    }

    /// How many records of `model` match `domain`.
    pub async fn search_count(&self, model: &str, domain: Value) -> Result<u64, OdooError> {
        let count = self.call(model, "search_count", json!({"domain": domain})).await?;
        count.as_u64().ok_or_else(|| OdooError::Protocol {
            what: format!("{model}.search_count"),
            problem: format!("expected a count, got {count}"),
        })
    }

    /// One model method with named arguments.
    async fn call(&self, model: &str, method: &str, kwargs: Value) -> Result<Value, OdooError> {
        let result = match &self.protocol {
            Protocol::JsonRpc { uid, password } => {
                // JSON-RPC takes the record ids as the first positional argument; JSON-2 as `ids`.
                let mut kwargs = kwargs;
                let positional = match kwargs.as_object_mut().and_then(|named| named.remove("ids")) {
                    Some(ids) => json!([ids]),
                    None => json!([]),
                };
                let args = json!([self.database, uid, password, model, method, positional, kwargs]);
                self.rpc("object", "execute_kw", args).await
            }
            Protocol::Json2 { api_key } => self.json2(api_key, model, method, kwargs).await,
        };
        result.map_err(|error| in_context(error, model, method))
    }

    async fn rpc(&self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
        let answer = self.post(&format!("{}/jsonrpc", self.url), None, &body).await?;
        let (_, mut answer) = answer;
        if let Some(error) = answer.get("error") {
            return Err(rpc_error(error));
        }
        answer
            .get_mut("result")
            .map(Value::take)
            .ok_or_else(|| OdooError::Protocol {
                what: format!("{service}.{method}"),
                problem: "neither a result nor an error".into(),
            })
    }

    async fn json2(&self, api_key: &str, model: &str, method: &str, kwargs: Value) -> Result<Value, OdooError> {
        let url = format!("{}/json/2/{model}/{method}", self.url);
        let (status, answer) = self.post(&url, Some(api_key), &kwargs).await?;
        match status {
            200 => Ok(answer),
            401 | 403 => Err(OdooError::AccessDenied {
                login: String::new(),
                database: self.database.clone(),
            }),
            404 => Err(OdooError::MissingModel {
                model: model.to_owned(),
            }),
            _ => Err(server_error(
                answer
                    .get("message")
                    .and_then(Value::as_str)
                    .or(answer.as_str())
                    .unwrap_or("no message"),
            )),
        }
    }

    async fn post(&self, url: &str, api_key: Option<&str>, body: &Value) -> Result<(u16, Value), OdooError> {
        let unreachable = |cause: String| OdooError::Unreachable {
            url: self.url.clone(),
            cause,
        };
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header("x-odoo-database", &self.database)
            .body(body.to_string());
        if let Some(key) = api_key {
            request = request.header(reqwest::header::AUTHORIZATION, format!("bearer {key}"));
        }
        let response = request.send().await.map_err(|error| unreachable(root_cause(&error)))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| unreachable(root_cause(&error)))?;
        let answer = serde_json::from_slice(&bytes).map_err(|_| {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
            unreachable(format!("HTTP {status}, not JSON: {start:?} (is this Odoo's address?)"))
        })?;
        Ok((status, answer))
    }
}

fn records(value: Value, model: &str) -> Result<Vec<Record>, OdooError> {
    let Value::Array(items) = value else {
        return Err(OdooError::Protocol {
            what: format!("{model}.search_read"),
            problem: "expected a list of records".into(),
        });
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(record) => Ok(record),
            other => Err(OdooError::Protocol {
                what: format!("{model}.search_read"),
                problem: format!("expected a record, got {other}"),
            }),
        })
        .collect()
}

/// `common.version`'s `server_version_info`: `[17, 0, 0, "final", 0, ""]`.
fn major_version(version: &Value) -> Result<u32, OdooError> {
    version
        .get("server_version_info")
        .and_then(|info| info.get(0))
        .and_then(Value::as_u64)
        .and_then(|major| u32::try_from(major).ok())
        .ok_or_else(|| OdooError::Protocol {
            what: "common.version".into(),
            problem: format!("no server_version_info in {version}"),
        })
}

/// A JSON-RPC error object: `{"code": 200, "message": "Odoo Server Error", "data": {"name": ..., "message": ...}}`.
fn rpc_error(error: &Value) -> OdooError {
    let data = error.get("data");
    let name = data
        .and_then(|data| data.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = data
        .and_then(|data| data.get("message"))
        .or_else(|| error.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("no message");
    if name.ends_with("AccessDenied") {
        return OdooError::AccessDenied {
            login: String::new(),
            database: String::new(),
        };
    }
    server_error(message)
}

/// An error message, recognised as a missing model or field where Odoo's wording says so.
fn server_error(message: &str) -> OdooError {
    if let Some(field) = message.split("Invalid field").nth(1) {
        let field = field.split(['\'', '"']).nth(1).unwrap_or(field.trim());
        return OdooError::MissingField {
            model: String::new(),
            field: field.to_owned(),
        };
    }
    if message.contains("doesn't exist") || message.contains("does not exist") {
        return OdooError::MissingModel { model: String::new() };
    }
    OdooError::Server {
        model: String::new(),
        method: String::new(),
        message: message.to_owned(),
    }
}

/// Names the model and method the error came from.
fn in_context(error: OdooError, model: &str, method: &str) -> OdooError {
    match error {
        OdooError::MissingModel { .. } => OdooError::MissingModel {
            model: model.to_owned(),
        },
        OdooError::MissingField { field, .. } => OdooError::MissingField {
            model: model.to_owned(),
            field,
        },
        OdooError::Server { message, .. } => OdooError::Server {
            model: model.to_owned(),
            method: method.to_owned(),
            message,
        },
        other => other,
    }
}

fn root_cause(error: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = error;
    while let Some(cause) = root.source() {
        root = cause;
    }
    root.to_string()
}
