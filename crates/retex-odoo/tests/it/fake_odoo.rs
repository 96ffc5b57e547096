//! A fake Odoo for the tests: in-memory models behind Odoo's JSON-RPC (`/jsonrpc`: `common.version`,
//! `common.authenticate`, `common.login`, `object.execute` and `object.execute_kw`; `/web/webclient/version_info`)
//! and JSON-2 (`/json/2/<model>/<method>`) endpoints, answering `search_read`, `search_count`, `create`,
//! `fields_get` and `context_get` with domains in Odoo's prefix notation, `order`, `limit`, `False` for empty
//! fields, and Odoo's error objects (an unknown model, an invalid field, access denied). The `odoorpc` client
//! checks that it answers as Odoo does (`odoorpc_check.py`).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

pub const DATABASE: &str = "shop";
pub const LOGIN: &str = "admin";
pub const PASSWORD: &str = "odoo-password";
pub const API_KEY: &str = "odoo-api-key";
const UID: i64 = 2;

/// Records by model.
pub type Models = BTreeMap<String, Vec<Map<String, Value>>>;

/// The models and their records, shared with the test that changes them.
#[derive(Clone, Default)]
pub struct Data(pub Arc<Mutex<Models>>);

impl Data {
    pub fn insert(&self, model: &str, record: Value) {
        let Value::Object(record) = record else {
            panic!("a record is an object")
        };
        self.0.lock().unwrap().entry(model.to_owned()).or_default().push(record);
    }

    pub fn remove_model(&self, model: &str) {
        self.0.lock().unwrap().remove(model);
    }
}

struct Fake {
    data: Data,
    version: u32,
}

/// Serves on an ephemeral port until the test's runtime ends; `version` is the major version it reports.
pub async fn start(data: Data, version: u32) -> SocketAddr {
    let fake = Arc::new(Fake { data, version });
    let app = Router::new()
        .route("/jsonrpc", post(jsonrpc))
        .route("/web/webclient/version_info", post(version_info))
        .route("/json/2/{model}/{method}", post(json2))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// Odoo's JSON-RPC error object.
fn rpc_error(name: &str, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error",
        "data": {"name": name, "message": message, "arguments": [message], "debug": "Traceback ..."}}})
}

impl Fake {
    fn version(&self) -> Value {
        json!({
            "server_version": format!("{}.0", self.version),
            "server_version_info": [self.version, 0, 0, "final", 0, ""],
            "server_serie": format!("{}.0", self.version),
            "protocol_version": 1
        })
    }
}

async fn version_info(State(fake): State<Arc<Fake>>) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": fake.version()})).into_response()
}

async fn jsonrpc(State(fake): State<Arc<Fake>>, body: String) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap();
    let params = &request["params"];
    let args = params["args"].as_array().cloned().unwrap_or_default();
    let result = match (params["service"].as_str(), params["method"].as_str()) {
        (Some("common"), Some("version")) => Ok(fake.version()),
        (Some("common"), Some("authenticate" | "login")) => {
            let valid = args.first() == Some(&json!(DATABASE))
                && args.get(1) == Some(&json!(LOGIN))
                && args.get(2) == Some(&json!(PASSWORD));
            Ok(if valid { json!(UID) } else { json!(false) })
        }
        (Some("object"), Some(call @ ("execute_kw" | "execute"))) => {
            if args.get(1) != Some(&json!(UID)) || args.get(2) != Some(&json!(PASSWORD)) {
                return axum::Json(rpc_error("odoo.exceptions.AccessDenied", "Access Denied")).into_response();
            }
            let model = args[3].as_str().unwrap_or_default();
            let method = args[4].as_str().unwrap_or_default();
            // `execute` takes the method's arguments as its own; `execute_kw` as a list and a map.
            let (positional, mut kwargs) = match call {
                "execute" => (Value::Array(args[5..].to_vec()), json!({})),
                _ => (
                    args.get(5).cloned().unwrap_or(json!([])),
                    args.get(6).cloned().unwrap_or(json!({})),
                ),
            };
            // Searches take the domain (and the fields) first; other methods take record ids first.
            match method {
                "search_read" | "search_count" | "search" => {
                    for (position, name) in ["domain", "fields"].into_iter().enumerate() {
                        if let Some(value) = positional.get(position) {
                            kwargs[name] = value.clone();
                        }
                    }
                }
                _ => {
                    if let Some(ids) = positional.get(0) {
                        kwargs["ids"] = ids.clone();
                    }
                }
            }
            fake.execute(model, method, &kwargs)
        }
        _ => Err(("builtins.KeyError".to_owned(), "no such service".to_owned())),
    };
    match result {
        Ok(result) => axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": result})).into_response(),
        Err((name, message)) => axum::Json(rpc_error(&name, &message)).into_response(),
    }
}

async fn json2(
    State(fake): State<Arc<Fake>>,
    Path((model, method)): Path<(String, String)>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case(&format!("bearer {API_KEY}")));
    if !authorized {
        let error = json!({"name": "werkzeug.exceptions.Unauthorized", "message": "Invalid apikey"});
        return (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response();
    }
    let kwargs: Value = serde_json::from_str(&body).unwrap();
    match fake.execute(&model, &method, &kwargs) {
        Ok(result) => axum::Json(result).into_response(),
        Err((name, message)) if name == "missing model" => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"name": name, "message": message})),
        )
            .into_response(),
        Err((name, message)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"name": name, "message": message})),
        )
            .into_response(),
    }
}

type Outcome = Result<Value, (String, String)>;

impl Fake {
    fn execute(&self, model: &str, method: &str, kwargs: &Value) -> Outcome {
        let mut data = self.data.0.lock().unwrap();
        match method {
            "create" => {
                let records = data.entry(model.to_owned()).or_default();
                let mut ids = Vec::new();
                for values in kwargs["vals_list"].as_array().cloned().unwrap_or_default() {
                    let Value::Object(mut record) = values else {
                        return Err(("builtins.TypeError".to_owned(), "a record is an object".to_owned()));
                    };
                    let id = records.len() as i64 + 1;
                    record.insert("id".into(), json!(id));
                    let name = match model {
                        "purchase.order" => format!("P{id:05}"),
                        "stock.picking" => format!("WH/INT/{id:05}"),
                        _ => String::new(),
                    };
                    if !name.is_empty() && !record.contains_key("name") {
                        record.insert("name".into(), json!(name));
                    }
                    records.push(record);
                    ids.push(id);
                }
                return Ok(json!(ids));
            }
            "context_get" => return Ok(json!({"lang": "en_US", "tz": "UTC", "uid": UID})),
            "fields_get" => {
                let mut described = Map::new();
                for record in data.get(model).map(Vec::as_slice).unwrap_or_default() {
                    for (field, value) in record {
                        let kind = match value {
                            Value::Bool(_) => "boolean",
                            Value::Number(number) if number.is_i64() => "integer",
                            Value::Number(_) => "float",
                            Value::Array(pair) if pair.len() == 2 && pair[1].is_string() => "many2one",
                            Value::Array(_) => "one2many",
                            _ => "char",
                        };
                        described
                            .entry(field.clone())
                            .or_insert(json!({"type": kind, "string": field}));
                    }
                }
                return Ok(Value::Object(described));
            }
            "action_feedback" if model == "mail.activity" => {
                let ids = kwargs["ids"].as_array().cloned().unwrap_or_default();
                let records = data.entry(model.to_owned()).or_default();
                for record in records.iter_mut().filter(|record| ids.contains(&record["id"])) {
                    record.insert("done".into(), json!(true));
                    record.insert("feedback".into(), kwargs["feedback"].clone());
                }
                return Ok(json!(false));
            }
            _ => {}
        }
        let Some(records) = data.get(model) else {
            let name = if self.version >= 19 {
                "missing model"
            } else {
                "odoo.exceptions.UserError"
            };
            return Err((name.to_owned(), format!("Object {model} doesn't exist")));
        };
        let domain = kwargs["domain"].as_array().cloned().unwrap_or_default();
        let mut matching: Vec<&Map<String, Value>> = records.iter().filter(|record| matches(record, &domain)).collect();
        match method {
            "search_count" => Ok(json!(matching.len())),
            "search_read" => {
                if let Some(order) = kwargs["order"].as_str() {
                    matching.sort_by(|left, right| compare_by(order, left, right));
                }
                if let Some(limit) = kwargs["limit"].as_u64() {
                    matching.truncate(limit as usize);
                }
                let fields: Vec<&str> = kwargs["fields"]
                    .as_array()
                    .map(|fields| fields.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                // A field no record of the model has is not a field of the model.
                let unknown = fields
                    .iter()
                    .find(|field| !records.is_empty() && records.iter().all(|record| !record.contains_key(**field)));
                if let Some(unknown) = unknown {
                    return Err((
                        "builtins.ValueError".to_owned(),
                        format!("Invalid field '{unknown}' on model '{model}'"),
                    ));
                }
                let read: Vec<Value> = matching
                    .into_iter()
                    .map(|record| {
                        let mut projected = Map::new();
                        projected.insert("id".into(), record["id"].clone());
                        for field in &fields {
                            projected.insert((*field).to_owned(), record.get(*field).cloned().unwrap_or(json!(false)));
                        }
                        Value::Object(projected)
                    })
                    .collect();
                Ok(Value::Array(read))
            }
            other => Err(("builtins.AttributeError".to_owned(), format!("no method {other}"))),
        }
    }
}

/// Odoo's domain: terms `[field, operator, value]` and the prefix operators `&`, `|`, `!`, with an implicit
/// `&` between top-level terms.
fn matches(record: &Map<String, Value>, domain: &[Value]) -> bool {
    let mut position = 0;
    let mut all = true;
    while position < domain.len() {
        all &= evaluate(record, domain, &mut position);
    }
    all
}

fn evaluate(record: &Map<String, Value>, domain: &[Value], position: &mut usize) -> bool {
    let item = &domain[*position];
    *position += 1;
    match item.as_str() {
        Some("&") => {
            let left = evaluate(record, domain, position);
            evaluate(record, domain, position) && left
        }
        Some("|") => {
            let left = evaluate(record, domain, position);
            evaluate(record, domain, position) || left
        }
        Some("!") => !evaluate(record, domain, position),
        _ => term(record, item),
    }
}

fn term(record: &Map<String, Value>, term: &Value) -> bool {
    let field = term[0].as_str().unwrap();
    let operator = term[1].as_str().unwrap();
    let wanted = &term[2];
    // A many2one compares by its id, or by its name with a text (as Odoo searches names); an absent field is
    // False.
    let value = match record.get(field) {
        Some(Value::Array(pair)) if pair.len() == 2 && pair[0].is_i64() && wanted.is_string() => pair[1].clone(),
        Some(Value::Array(pair)) if pair.len() == 2 && pair[0].is_i64() => pair[0].clone(),
        Some(value) => value.clone(),
        None if field == "active" => json!(true),
        None => json!(false),
    };
    let order = compare(&value, wanted);
    match operator {
        "=" => value == *wanted,
        "!=" => value != *wanted,
        ">" => order == Ordering::Greater,
        ">=" => order != Ordering::Less,
        "<" => order == Ordering::Less,
        "<=" => order != Ordering::Greater,
        "in" => wanted.as_array().is_some_and(|options| options.contains(&value)),
        "not in" => wanted.as_array().is_none_or(|options| !options.contains(&value)),
        other => panic!("the fake does not know the operator {other}"),
    }
}

fn compare(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => left
            .as_f64()
            .unwrap()
            .partial_cmp(&right.as_f64().unwrap())
            .unwrap_or(Ordering::Equal),
        (Value::String(left), Value::String(right)) => left.cmp(right),
        _ => Ordering::Equal,
    }
}

/// `"write_date asc, id asc"`.
fn compare_by(order: &str, left: &Map<String, Value>, right: &Map<String, Value>) -> Ordering {
    for key in order.split(',') {
        let mut words = key.split_whitespace();
        let field = words.next().unwrap();
        let descending = words
            .next()
            .is_some_and(|direction| direction.eq_ignore_ascii_case("desc"));
        let null = json!(false);
        let ordering = compare(left.get(field).unwrap_or(&null), right.get(field).unwrap_or(&null));
        let ordering = if descending { ordering.reverse() } else { ordering };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}
