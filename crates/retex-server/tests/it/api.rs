//! The JSON API: ingest, roles, location scope, pages, commands, errors and the OpenAPI document.

use retex_server::ServerOptions;

use crate::{Server, WORLD};

fn exception_ids(server: &Server, cookie_or_token: &[(&str, String)], query: &str) -> Vec<u64> {
    let response = server.send("GET", &format!("/api/v1/exceptions?{query}"), cookie_or_token, "");
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_u64().unwrap())
        .collect()
}

/// Posts NDJSON as the source and returns the report with its accepted and rejected counts.
fn post_events(server: &Server, body: impl AsRef<[u8]>) -> (serde_json::Value, Option<u64>, Option<u64>) {
    let report = server
        .send("POST", "/api/v1/events", &server.bearer_source(), body)
        .json();
    let counts = (report["accepted"].as_u64(), report["rejected"].as_u64());
    (report, counts.0, counts.1)
}

fn cookie_header(cookie: &str) -> Vec<(&'static str, String)> {
    vec![("cookie", cookie.to_owned())]
}

#[test]
fn an_event_from_the_future_is_rejected_and_the_engine_clock_is_shown_against_the_wall_clock() {
    let server = Server::start();
    let first = WORLD.lines().next().unwrap();
    let ahead = r#"{"id":"ahead","source":"pos","type":"sale","at":"2099-01-01T00:00:00Z","location":"S1","sku":"A","qty":1,"unit_price":1,"channel":"pos"}"#;
    let (report, accepted, rejected) = post_events(&server, format!("{first}\n{ahead}"));
    assert_eq!((accepted, rejected), (Some(1), Some(1)), "{report}");
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(report["errors"][0]["field"], "at");
    assert!(
        report["errors"][0]["problem"]
            .as_str()
            .unwrap()
            .contains(" s in the future"),
        "{report}"
    );
    let metrics = server.send("GET", "/metrics", &[] as &[(&str, &str)], "").body;
    let gauge = |name: &str| {
        (metrics.lines())
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} in\n{metrics}"))
    };
    let lag = gauge("retex_engine_clock_lag_seconds");
    assert!(lag > 0.0, "the engine stays behind the wall clock: {lag}");
    assert!((gauge("retex_wall_clock_seconds") - gauge("retex_engine_clock_seconds") - lag).abs() < 1e-3);
}

/// One incident across locations: a product without a supplier (master data, no location) feeds the late POs
/// of stores S1 and S2.
const INCIDENT_ACROSS_STORES: &str = r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store"}
{"id":"SUP","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"Supplier","lead_time_days":3}
{"id":"P","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K1","name":"Kettle","category":"home/kitchen","uom":"each","cost":5,"price":10}
{"id":"PO1","source":"erp","type":"purchase_order","at":"2026-11-01T01:00:00Z","po":"PO1","supplier":"SUP","location":"S1","expected":"2026-11-03T00:00:00Z","lines":[{"sku":"K1","qty":10}]}
{"id":"PO2","source":"erp","type":"purchase_order","at":"2026-11-01T02:00:00Z","po":"PO2","supplier":"SUP","location":"S2","expected":"2026-11-03T00:00:00Z","lines":[{"sku":"K1","qty":10}]}
{"id":"later","source":"store","type":"adjustment","at":"2026-11-04T00:00:00Z","location":"S1","sku":"X","qty":1,"reason":"correction"}"#;

#[test]
fn a_scoped_user_sees_only_the_incident_members_at_their_locations() {
    let server = Server::start();
    let report = server
        .send(
            "POST",
            "/api/v1/events",
            &server.bearer_source(),
            INCIDENT_ACROSS_STORES,
        )
        .json();
    assert_eq!(report["accepted"], 7, "{report}");
    let everyone = cookie_header(&server.login("admin"));
    let whole = server.send("GET", "/api/v1/incidents/1", &everyone, "").json();
    assert_eq!(
        (whole["exceptions"].to_string(), whole["elsewhere"].as_u64()),
        ("[1,2,3]".to_owned(), Some(0))
    );

    let s1 = cookie_header(&server.login("s1"));
    let seen = server.send("GET", "/api/v1/incidents/1", &s1, "").json();
    assert_eq!(
        (seen["exceptions"].to_string(), seen["elsewhere"].as_u64()),
        ("[2]".to_owned(), Some(2))
    );
    assert_eq!(seen["types"].to_string(), r#"["po_late"]"#);
    let listed = server.send("GET", "/api/v1/incidents?min_exceptions=1", &s1, "").json();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["items"][0]["exceptions"].to_string(), "[2]");
    assert_eq!(listed["total"], 1);
    let detail = server.send("GET", "/api/v1/exceptions/2", &s1, "").json();
    assert_eq!(detail["incident"]["exceptions"].to_string(), "[2]");
    let page = server.send("GET", "/incidents/1", &s1, "").body;
    assert!(page.contains("and 2 elsewhere"), "{page}");
    assert!(
        !page.contains("PO2") && !page.contains("S2"),
        "another store's document or code: {page}"
    );
    let other = server.send("GET", "/api/v1/exceptions/3", &s1, "");
    assert_eq!(other.status, 403);
    assert!(
        !other.body.contains("S2"),
        "a refusal does not say where: {}",
        other.body
    );
}

#[test]
fn ingest_keeps_valid_lines_and_names_each_rejected_one() {
    let server = Server::start();
    let body = format!(
        "{}\n{{\"id\":\"x\",\"source\":\"t\",\"type\":\"sale\"}}\n\n{}",
        WORLD.lines().take(3).collect::<Vec<_>>().join("\n"),
        WORLD.lines().next().unwrap()
    );
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), &body);
    assert_eq!(response.status, 200, "{}", response.body);
    let report = response.json();
    assert_eq!(report["accepted"], 3);
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["rejected"], 1);
    assert_eq!(report["errors"][0]["line"], 4);
    assert!(!report["errors"][0]["field"].as_str().unwrap().is_empty(), "{report}");

    let array = format!("[{}]", WORLD.lines().skip(3).collect::<Vec<_>>().join(","));
    let mut headers = server.bearer_source();
    headers.push(("content-type", "application/json".into()));
    let report = server.send("POST", "/api/v1/events", &headers, &array).json();
    assert_eq!(report["accepted"], WORLD.lines().count() - 3);
    assert_eq!(report["rejected"], 0);

    let metrics = server.send("GET", "/metrics", &[] as &[(&str, &str)], "").body;
    assert!(
        metrics.contains(&format!("retex_events_accepted_total {}", WORLD.lines().count())),
        "{metrics}"
    );
    assert!(metrics.contains("retex_events_rejected_total 1"));
    assert!(
        metrics.contains("retex_exceptions_open{type=\"count_variance\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("retex_http_request_duration_seconds_count{route=\"/api/v1/events\",status=\"200\"} 2"));
}

#[test]
fn a_line_too_long_or_not_utf8_costs_only_itself_and_a_contradicting_repeat_names_the_logged_event() {
    let server = Server::start();
    let mut lines = WORLD.lines();
    let (first, second) = (lines.next().unwrap(), lines.next().unwrap());
    let long = format!(r#"{{"id":"long","note":"{}"}}"#, "x".repeat(1 << 20));
    let mut body = format!("{first}\n").into_bytes();
    body.extend_from_slice(b"{\"id\":\"\xff\"}\n");
    body.extend_from_slice(format!("{long}\n{second}\n").as_bytes());
    let (report, accepted, rejected) = post_events(&server, &body);
    assert_eq!((accepted, rejected), (Some(2), Some(2)), "{report}");
    assert_eq!(
        (
            report["errors"][0]["line"].as_u64(),
            report["errors"][0]["problem"].as_str()
        ),
        (Some(2), Some("not valid UTF-8 (byte 8)"))
    );
    assert_eq!(report["errors"][1]["line"], 3);
    assert!(
        report["errors"][1]["problem"]
            .as_str()
            .unwrap()
            .contains("longer than 1 MiB"),
        "{report}"
    );

    let changed = first.replacen(r#""name":"One""#, r#""name":"Uno""#, 1);
    let report = server
        .send(
            "POST",
            "/api/v1/events",
            &server.bearer_source(),
            format!("{second}\n{changed}"),
        )
        .json();
    assert_eq!(report["duplicates"], 2, "{report}");
    let conflict = &report["conflicts"][0];
    assert_eq!(
        (conflict["line"].as_u64(), conflict["logged_seq"].as_u64()),
        (Some(2), Some(1)),
        "{report}"
    );
    let logged_at = serde_json::from_str::<serde_json::Value>(first).unwrap()["at"].clone();
    assert_eq!(conflict["logged_at"], logged_at, "{report}");
}

/// Requests posted at once share transactions (group commit), and each is answered for its own events: a
/// repeat of an event another request logged is a duplicate, a contradicting one a conflict on its own line.
#[test]
fn concurrent_requests_are_each_answered_for_their_own_events() {
    let server = Server::start();
    let source = server.bearer_source();
    let sale = |id: &str, qty: u32| {
        format!(
            r#"{{"id":"{id}","source":"pos","type":"sale","at":"2026-11-02T10:00:00Z","location":"S1","sku":"K1","qty":{qty},"unit_price":2,"channel":"pos"}}"#
        )
    };
    let answers: Vec<Vec<serde_json::Value>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..8)
            .map(|client| {
                let (server, source, sale) = (&server, &source, &sale);
                scope.spawn(move || {
                    let mut answers = Vec::new();
                    for n in 0..20 {
                        let body = sale(&format!("c{client}-{n}"), 1);
                        answers.push(server.send("POST", "/api/v1/events", source, &body).json());
                    }
                    // Every client sends the same shared event once, the last one with another quantity.
                    let shared = sale("shared", if client == 7 { 2 } else { 1 });
                    answers.push(
                        server
                            .send("POST", "/api/v1/events", source, format!("\n{shared}"))
                            .json(),
                    );
                    answers
                })
            })
            .collect();
        clients.into_iter().map(|client| client.join().unwrap()).collect()
    });
    let all: Vec<&serde_json::Value> = answers.iter().flatten().collect();
    let total = |field: &str| all.iter().map(|answer| answer[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!(total("accepted"), 8 * 20 + 1, "{all:?}");
    assert_eq!(total("duplicates"), 7);
    for client in &answers {
        assert!(client[..20].iter().all(|answer| answer["accepted"] == 1), "{client:?}");
    }
    let conflicts: Vec<&serde_json::Value> = all
        .iter()
        .flat_map(|answer| answer["conflicts"].as_array().unwrap())
        .collect();
    // The version with another quantity contradicts the logged one, or every other contradicts it.
    let other_logged = answers[7][20]["accepted"] == 1;
    assert_eq!(conflicts.len(), if other_logged { 7 } else { 1 }, "{conflicts:?}");
    assert!(
        conflicts
            .iter()
            .all(|conflict| conflict["line"] == 2 && conflict["id"] == "shared"),
        "{conflicts:?}"
    );
}

#[test]
fn an_unauthenticated_form_reads_no_more_than_a_form() {
    let server = Server::start();
    let huge = format!("name=admin&password={}", "p".repeat(1 << 20));
    let form = [("content-type", "application/x-www-form-urlencoded")];
    assert_eq!(server.send("POST", "/login", &form, huge).status, 413);
    assert!(!server.login("admin").is_empty(), "a real login still works");
}

#[test]
fn every_answer_carries_the_security_headers_and_metrics_may_need_a_token() {
    let options = ServerOptions {
        metrics_token: Some("m3trics".into()),
        ..ServerOptions::engine_clock()
    };
    let server = Server::start_with("", options);
    let none: &[(&str, &str)] = &[];
    let login = server.send("GET", "/login", none, "");
    let policy = login.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(login.header("referrer-policy"), Some("same-origin"));
    let refused = server.send("GET", "/api/v1/kpis", none, "");
    assert_eq!(
        (refused.status, refused.header("x-content-type-options")),
        (401, Some("nosniff"))
    );

    assert_eq!(server.send("GET", "/metrics", none, "").status, 401);
    let wrong = [("authorization", "Bearer m3tric")];
    assert_eq!(server.send("GET", "/metrics", &wrong, "").status, 401);
    let right = [("authorization", "Bearer m3trics")];
    let metrics = server.send("GET", "/metrics", &right, "");
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("retex_log_seq"), "{}", metrics.body);
}

#[test]
fn roles_limit_what_a_caller_may_do() {
    let server = Server::with_world();
    let as_source = server.send("GET", "/api/v1/exceptions", &server.bearer_source(), "");
    assert_eq!(as_source.status, 403);
    assert_eq!(as_source.json()["code"], "forbidden");
    assert!(as_source.json()["detail"].as_str().unwrap().contains("source"));

    let viewer = vec![("authorization", format!("Bearer {}", server.viewer_token))];
    assert_eq!(server.send("POST", "/api/v1/events", &viewer, WORLD).status, 403);
    assert_eq!(server.send("GET", "/api/v1/kpis", &viewer, "").status, 200);
    let acted = server.send(
        "POST",
        "/api/v1/exceptions/1/actions",
        &viewer,
        r#"{"action":"acknowledge"}"#,
    );
    assert_eq!(acted.status, 403, "{}", acted.body);

    let unknown = vec![("authorization", "Bearer rtx_nope".to_owned())];
    assert_eq!(server.send("GET", "/api/v1/kpis", &unknown, "").status, 401);
    assert_eq!(
        server.send("GET", "/api/v1/kpis", &[] as &[(&str, &str)], "").status,
        401
    );
}

#[test]
fn errors_are_problem_details_and_an_unknown_api_path_is_one_too() {
    let server = Server::start();
    let none: &[(&str, &str)] = &[];
    let unknown = server.send("GET", "/api/v1/exceptionz", none, "");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.header("content-type"), Some("application/problem+json"));
    let problem = unknown.json();
    assert_eq!(
        (
            problem["type"].as_str(),
            problem["title"].as_str(),
            problem["status"].as_u64(),
            problem["code"].as_str()
        ),
        (Some("about:blank"), Some("Not Found"), Some(404), Some("not_found"))
    );
    assert!(problem["detail"].as_str().unwrap().contains("/api/v1/openapi.json"));
    let unauthorized = server.send("GET", "/api/v1/exceptions", none, "");
    assert_eq!(
        (unauthorized.status, unauthorized.header("content-type")),
        (401, Some("application/problem+json"))
    );
}

#[test]
fn a_read_carries_an_entity_tag_and_an_unchanged_one_is_not_sent_again() {
    let server = Server::with_world();
    let viewer = vec![("authorization", format!("Bearer {}", server.viewer_token))];
    let first = server.send("GET", "/api/v1/exceptions", &viewer, "");
    let tag = first.header("etag").expect("an entity tag").to_owned();
    let mut polling = viewer.clone();
    polling.push(("if-none-match", tag.clone()));
    let unchanged = server.send("GET", "/api/v1/exceptions", &polling, "");
    assert_eq!((unchanged.status, unchanged.body.as_str()), (304, ""));
    assert_eq!(unchanged.header("etag"), Some(tag.as_str()));
    let count = r#"{"id":"etag-count","source":"t","type":"count","at":"2026-11-02T12:00:00Z","location":"S1","sku":"K1","counted":1}"#;
    assert_eq!(
        server
            .send("POST", "/api/v1/events", &server.bearer_source(), count)
            .status,
        200
    );
    let changed = server.send("GET", "/api/v1/exceptions", &polling, "");
    assert_eq!(changed.status, 200, "the queue moved: the answer is sent again");
    assert_ne!(changed.header("etag"), Some(tag.as_str()));
}

#[test]
fn incidents_come_in_pages() {
    let server = Server::with_world();
    let viewer = vec![("authorization", format!("Bearer {}", server.viewer_token))];
    let first = server
        .send("GET", "/api/v1/incidents?min_exceptions=1&limit=1", &viewer, "")
        .json();
    assert_eq!(
        (first["items"].as_array().map(Vec::len), first["total"].as_u64()),
        (Some(1), Some(2)),
        "{first}"
    );
    let after = first["next_after"].as_u64().expect("a next page");
    let second = server
        .send(
            "GET",
            &format!("/api/v1/incidents?min_exceptions=1&limit=1&after={after}"),
            &viewer,
            "",
        )
        .json();
    assert_eq!(second["items"].as_array().map(Vec::len), Some(1), "{second}");
    assert_ne!(second["items"][0]["id"], first["items"][0]["id"]);
    assert!(second.get("next_after").is_none(), "the last page: {second}");
}

#[test]
fn an_exception_is_assigned_only_to_someone_who_exists() {
    let server = Server::with_world();
    let lead = server.login("lead");
    let headers = vec![
        ("cookie", lead.clone()),
        ("x-csrf-token", server.csrf(&lead)),
        ("content-type", "application/json".into()),
    ];
    let assign = |assignee: &str| {
        let body = format!(r#"{{"action":"assign","assignee":"{assignee}"}}"#);
        server.send("POST", "/api/v1/exceptions/1/actions", &headers, body)
    };
    let ghost = assign("ghost");
    assert_eq!(ghost.status, 422, "{}", ghost.body);
    assert!(ghost.body.contains("assign refused: no user ghost"), "{}", ghost.body);
    let real = assign("s1");
    assert_eq!(real.status, 200, "{}", real.body);
}

#[test]
fn a_store_user_sees_and_acts_on_their_store_only() {
    let server = Server::with_world();
    let admin = cookie_header(&server.login("admin"));
    let everything = exception_ids(&server, &admin, "status=all&location=S2");
    assert!(!everything.is_empty());
    let s1_cookie = server.login("s1");
    let s1 = cookie_header(&s1_cookie);
    let visible = exception_ids(&server, &s1, "status=all&limit=100");
    assert!(!visible.is_empty());
    assert!(
        visible.iter().all(|id| !everything.contains(id)),
        "S1 user sees an S2 exception"
    );

    let other = everything[0];
    let response = server.send("GET", &format!("/api/v1/exceptions/{other}"), &s1, "");
    assert_eq!(response.status, 403);
    let message = response.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        message.contains("outside the locations s1 may see") && !message.contains("S2"),
        "a refusal does not say where the exception is: {message}"
    );
    let mut headers = s1.clone();
    headers.push(("x-csrf-token", server.csrf(&s1_cookie)));
    headers.push(("content-type", "application/json".into()));
    let acted = server.send(
        "POST",
        &format!("/api/v1/exceptions/{other}/actions"),
        &headers,
        r#"{"action":"acknowledge"}"#,
    );
    assert_eq!(acted.status, 403, "{}", acted.body);
    let stock = server.send("GET", "/api/v1/stock?location=S2", &s1, "");
    assert_eq!(stock.status, 403);
    let own_stock = server.send("GET", "/api/v1/stock", &s1, "").json();
    assert!(own_stock.as_array().unwrap().iter().all(|row| row["location"] == "S1"));
}

#[test]
fn commands_by_cookie_need_the_csrf_header_and_keys_make_retries_harmless() {
    let server = Server::with_world();
    let cookie = server.login("lead");
    let id = exception_ids(&server, &cookie_header(&cookie), "type=count_variance&location=S1")[0];
    let path = format!("/api/v1/exceptions/{id}/actions");
    let mut headers = cookie_header(&cookie);
    headers.push(("content-type", "application/json".into()));
    let refused = server.send("POST", &path, &headers, r#"{"action":"acknowledge"}"#);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("x-csrf-token"));

    headers.push(("x-csrf-token", server.csrf(&cookie)));
    headers.push(("idempotency-key", "ack-once".into()));
    let first = server
        .send("POST", &path, &headers, r#"{"action":"acknowledge"}"#)
        .json();
    assert_eq!(first["logged"], true);
    assert_eq!(first["exception"]["acknowledged_by"], "lead");
    let retry = server
        .send("POST", &path, &headers, r#"{"action":"acknowledge"}"#)
        .json();
    assert_eq!(retry["logged"], false, "a retry under the same key changes nothing");
    let comment = r#"{"action":"comment","text":"seen"}"#;
    let reused = server.send("POST", &path, &headers, comment);
    assert_eq!(reused.status, 409, "{}", reused.body);
    assert!(
        reused.body.contains("idempotency key was used for another command"),
        "{}",
        reused.body
    );
    let admin = server.login("admin");
    let mut other_user = cookie_header(&admin);
    other_user.push(("content-type", "application/json".into()));
    other_user.push(("x-csrf-token", server.csrf(&admin)));
    other_user.push(("idempotency-key", "ack-once".into()));
    let theirs = server.send("POST", &path, &other_user, comment).json();
    assert_eq!(theirs["logged"], true, "another person's key is their own: {theirs}");
    let other_exception = exception_ids(&server, &cookie_header(&cookie), "status=open")
        .into_iter()
        .find(|&other| other != id)
        .unwrap();
    let elsewhere = server
        .send(
            "POST",
            &format!("/api/v1/exceptions/{other_exception}/actions"),
            &headers,
            r#"{"action":"acknowledge"}"#,
        )
        .json();
    assert_eq!(elsewhere["logged"], true, "the key counts per exception: {elsewhere}");
    headers.pop();
    let again = server.send("POST", &path, &headers, r#"{"action":"acknowledge"}"#);
    assert_eq!(again.status, 409, "acknowledging twice is refused: {}", again.body);

    let no_cause = server.send("POST", &path, &headers, r#"{"action":"resolve","note":"recounted"}"#);
    assert_eq!(no_cause.status, 400);
    assert!(
        no_cause.json()["detail"].as_str().unwrap().contains("root_cause"),
        "{}",
        no_cause.body
    );
    let resolved = server.send(
        "POST",
        &path,
        &headers,
        r#"{"action":"resolve","root_cause":"count_inaccuracy","note":"recounted"}"#,
    );
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    assert_eq!(resolved.json()["exception"]["status"], "resolved");
    let detail = server
        .send("GET", &format!("/api/v1/exceptions/{id}"), &headers, "")
        .json();
    let actions: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions[actions.len() - 3..],
        ["acknowledge", "comment", "resolve"],
        "{actions:?}"
    );
    let resolution = detail["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(resolution["actor"], "lead");
    assert_eq!(
        resolution["detail"], "open -> resolved; root cause count_inaccuracy: recounted",
        "the audit trail shows before and after"
    );
    assert_eq!(detail["exception"]["root_cause"], "count_inaccuracy");
}

#[test]
fn an_active_exception_carries_what_people_chose_for_similar_resolved_ones() {
    let server = Server::with_world();
    let cookie = server.login("lead");
    let mut headers = cookie_header(&cookie);
    headers.push(("content-type", "application/json".into()));
    headers.push(("x-csrf-token", server.csrf(&cookie)));
    let s1 = exception_ids(&server, &headers, "type=count_variance&location=S1")[0];
    let s2 = exception_ids(&server, &headers, "type=count_variance&location=S2")[0];
    let detail = |id: u64| {
        server
            .send("GET", &format!("/api/v1/exceptions/{id}"), &headers, "")
            .json()
    };
    assert_eq!(detail(s2)["suggestions"], serde_json::json!([]), "no evidence yet");

    let resolve = r#"{"action":"resolve","root_cause":"count_inaccuracy","resolution":"recounted","note":"recounted"}"#;
    let resolved = server.send("POST", &format!("/api/v1/exceptions/{s1}/actions"), &headers, resolve);
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    assert_eq!(
        detail(s2)["suggestions"],
        serde_json::json!([{
            "root_cause": "count_inaccuracy",
            "resolution": "recounted",
            "chosen": 1,
            "held": 1,
            "similar_by": "type",
            "similar_to": "same type, counted short",
        }]),
        "one example is too few to ask for more than the type"
    );
    assert_eq!(
        detail(s1)["suggestions"],
        serde_json::json!([]),
        "a resolved exception needs none"
    );
}

#[test]
fn cursor_pages_cover_every_exception_once() {
    let server = Server::with_world();
    let admin = cookie_header(&server.login("admin"));
    let all = exception_ids(&server, &admin, "status=all&limit=1000&sort=oldest");
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = server
            .send(
                "GET",
                &format!("/api/v1/exceptions?status=all&sort=oldest&limit=1{cursor}"),
                &admin,
                "",
            )
            .json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["id"].as_u64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
        assert_eq!(page["total"].as_u64().unwrap() as usize, all.len());
    }
    assert_eq!(seen, all);
}

#[test]
fn the_list_takes_the_queues_filters_and_sorts() {
    let server = Server::with_world();
    let admin = cookie_header(&server.login("admin"));
    assert_eq!(exception_ids(&server, &admin, "location=s2&sku=k1&category=HOME"), [2]);
    assert_eq!(exception_ids(&server, &admin, "category=kitchen"), Vec::<u64>::new());
    assert_eq!(
        exception_ids(&server, &admin, "team=Store%20S1&acknowledged=false"),
        [1]
    );
    assert_eq!(exception_ids(&server, &admin, "sort=-place"), [2, 1]);
    assert_eq!(exception_ids(&server, &admin, "sort=place&limit=1"), [1]);
    // Opened at 09:00 and 10:00; the engine's clock reads 11:10.
    assert_eq!(exception_ids(&server, &admin, "older_than=2h&sort=opened"), [1]);
    assert_eq!(exception_ids(&server, &admin, "older_than=1d"), Vec::<u64>::new());
    assert_eq!(exception_ids(&server, &admin, "breached=true&sort=oldest"), [1, 2]);

    let first = server
        .send("GET", "/api/v1/exceptions?sort=type&limit=1", &admin, "")
        .json();
    let cursor = first["next_cursor"].as_str().unwrap();
    assert!(cursor.contains("_x"), "a cursor on names carries the name: {cursor}");
    let next = exception_ids(&server, &admin, &format!("sort=type&limit=1&cursor={cursor}"));
    assert_eq!(next, [2]);
}

#[test]
fn errors_are_json_and_name_the_field() {
    let server = Server::with_world();
    let admin = cookie_header(&server.login("admin"));
    for (query, field) in [
        ("sort=loudest", "sort"),
        ("severity=urgent", "severity"),
        ("opened_from=yesterday", "opened_from"),
        ("limit=0", "limit"),
        ("cursor=zzz", "cursor"),
        ("cursor=1_2_3_x4", "cursor"),
        ("sort=--type", "sort"),
        ("older_than=2w", "older_than"),
        ("acknowledged=maybe", "acknowledged"),
        ("colour=red", "colour"),
    ] {
        let response = server.send("GET", &format!("/api/v1/exceptions?{query}"), &admin, "");
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.json()["code"], "bad_request");
        assert!(
            response.json()["detail"].as_str().unwrap().contains(field),
            "{query}: {}",
            response.body
        );
    }
    let missing = server.send("GET", "/api/v1/exceptions/999", &admin, "");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["code"], "not_found");
    let not_a_number = server.send("GET", "/api/v1/exceptions/abc", &admin, "");
    assert_eq!(not_a_number.status, 400);
    assert!(not_a_number.json()["detail"].as_str().unwrap().starts_with("path:"));
    let empty = server.send("POST", "/api/v1/events", &server.bearer_source(), "\n");
    assert_eq!(empty.status, 400);
    assert!(empty.json()["detail"].as_str().unwrap().contains("no events"));
    let blank_filters = server.send("GET", "/api/v1/exceptions?status=&sort=&location=", &admin, "");
    assert_eq!(
        blank_filters.status, 200,
        "an empty value is an absent parameter: {}",
        blank_filters.body
    );
}

#[test]
fn the_openapi_document_lists_every_route_and_each_is_served() {
    let server = Server::start();
    let document = server
        .send("GET", "/api/v1/openapi.json", &[] as &[(&str, &str)], "")
        .json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    assert!(paths.len() >= 9, "{paths:?}");
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "1");
            let response = server.send(&method.to_uppercase(), &concrete, &[] as &[(&str, &str)], "");
            assert_eq!(
                response.status, 401,
                "{method} {concrete} is documented but answers {}",
                response.status
            );
        }
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in ["ExceptionView", "Action", "Kpis", "IngestReport"] {
        assert!(schemas.contains_key(name), "no schema {name}: {:?}", schemas.keys());
    }
}

#[test]
fn health_and_readiness_answer_without_credentials() {
    let server = Server::start();
    let none: &[(&str, &str)] = &[];
    assert_eq!(server.send("GET", "/healthz", none, "").status, 200);
    assert_eq!(
        server.send("GET", "/readyz", none, "").body,
        "ready: leader, 0 log entries to apply"
    );
}

#[test]
fn evidence_is_checked_kept_and_served_to_those_who_may_see_it() {
    let server = Server::with_world();
    let s1_cookie = server.login("s1");
    let id = exception_ids(&server, &cookie_header(&s1_cookie), "location=S1&type=count_variance")[0];
    let mut headers = cookie_header(&s1_cookie);
    headers.push(("x-csrf-token", server.csrf(&s1_cookie)));
    headers.push(("x-file-name", "shelf.txt".into()));
    headers.push(("content-type", "text/plain".into()));
    let path = format!("/api/v1/exceptions/{id}/evidence");
    let attached = server.send("POST", &path, &headers, "shelf empty at 09:10, photo on the way");
    assert_eq!(attached.status, 200, "{}", attached.body);
    let evidence = attached.json()["exception"]["evidence"][0].clone();
    assert_eq!(evidence["name"], "shelf.txt");
    assert_eq!(evidence["by"], "s1");
    let sha256 = evidence["sha256"].as_str().unwrap().to_owned();

    let file = server.send("GET", &format!("{path}/{sha256}"), &cookie_header(&s1_cookie), "");
    assert_eq!(file.status, 200);
    assert_eq!(file.body, "shelf empty at 09:10, photo on the way");
    assert_eq!(file.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(
        file.header("content-disposition"),
        Some("attachment; filename=\"shelf.txt\""),
        "evidence is a download, never a page of this site"
    );

    headers.pop();
    headers.push(("content-type", "image/png".into()));
    let lying = server.send("POST", &path, &headers, "not a picture");
    assert_eq!(lying.status, 400);
    assert!(
        lying.json()["detail"]
            .as_str()
            .unwrap()
            .contains("not the declared image/png")
    );

    let other = exception_ids(&server, &cookie_header(&server.login("admin")), "location=S2")[0];
    let elsewhere = server.send("POST", &format!("/api/v1/exceptions/{other}/evidence"), &headers, "x");
    assert_eq!(elsewhere.status, 403);
}

#[test]
fn approvals_need_another_person_with_the_role() {
    let server = Server::with_world();
    let act = |cookie: &str, id: u64, body: &str| {
        let mut headers = cookie_header(cookie);
        headers.push(("x-csrf-token", server.csrf(cookie)));
        headers.push(("content-type", "application/json".into()));
        server.send("POST", &format!("/api/v1/exceptions/{id}/actions"), &headers, body)
    };
    let s1 = server.login("s1");
    let id = exception_ids(&server, &cookie_header(&s1), "location=S1&type=count_variance")[0];
    let requested = act(
        &s1,
        id,
        r#"{"action":"request_approval","reason":"write-off after recount"}"#,
    );
    assert_eq!(requested.status, 200, "{}", requested.body);
    assert_eq!(requested.json()["exception"]["approval"]["state"], "pending");
    let own = act(&s1, id, r#"{"action":"approve","note":""}"#);
    assert_eq!(own.status, 409);
    assert!(own.body.contains("four eyes"), "{}", own.body);
    let lead = server.login("lead");
    let resolve = r#"{"action":"resolve","root_cause":"count_inaccuracy","note":"recounted"}"#;
    let held = act(&lead, id, resolve);
    assert_eq!(held.status, 409, "no rule, but a pending request holds it for everyone");
    assert!(
        held.json()["detail"].as_str().unwrap().ends_with(
            "s1 asked for approval, still pending: it must be approved or rejected before the exception is resolved"
        ),
        "{}",
        held.body
    );
    let approved = act(&lead, id, r#"{"action":"approve","note":"checked"}"#);
    assert_eq!(approved.status, 200, "{}", approved.body);
    let approval = &approved.json()["exception"]["approval"];
    assert_eq!(approval["state"], "approved");
    assert_eq!(approval["decided_by"], "lead");
}

#[test]
fn automated_actions_reach_their_webhook_and_teams() {
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", receiver.local_addr().unwrap());
    let (bodies, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in receiver.incoming() {
            let mut stream = stream.unwrap();
            let mut request = vec![0u8; 8192];
            let read = std::io::Read::read(&mut stream, &mut request).unwrap();
            let text = String::from_utf8_lossy(&request[..read]).into_owned();
            std::io::Write::write_all(&mut stream, b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").unwrap();
            let _ = bodies.send(text);
        }
    });
    let rules = format!(
        "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"notify_webhook\"\ntarget = \"{hook}\"\n\
         [[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"request_recount\"\n"
    );
    let server = Server::with_world_and_rules(&rules);
    let first = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a webhook call");
    assert!(first.starts_with("POST /hook HTTP/1.1"), "{first}");
    assert!(first.contains("count_variance"), "{first}");
    let second = received
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("a second webhook call");
    assert!(second.contains("count_variance"));

    let admin = cookie_header(&server.login("admin"));
    let delivered = (0..50).find_map(|_| {
        let tasks = server
            .send("GET", "/api/v1/tasks?kind=notify_webhook", &admin, "")
            .json()["items"]
            .clone();
        let all_done = tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|task| task["status"] == "delivered");
        if all_done {
            return Some(tasks);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        None
    });
    let delivered = delivered.expect("both deliveries logged");
    assert_eq!(delivered.as_array().unwrap().len(), 2);
    assert!(delivered[0]["detail"].as_str().unwrap().contains("HTTP 204"));

    let s1_cookie = server.login("s1");
    let recounts = server
        .send("GET", "/api/v1/tasks?kind=recount", &cookie_header(&s1_cookie), "")
        .json();
    let recounts = recounts["items"].as_array().unwrap();
    assert_eq!(
        recounts.len(),
        1,
        "the store user sees their store's recount only: {recounts:?}"
    );
    assert_eq!(recounts[0]["location"], "S1");
    assert_eq!(recounts[0]["status"], "open");
    let exception = recounts[0]["exception"].as_u64().unwrap();
    let task = recounts[0]["id"].as_u64().unwrap();
    let mut headers = cookie_header(&s1_cookie);
    headers.push(("x-csrf-token", server.csrf(&s1_cookie)));
    let body = format!(r#"{{"action":"decide_task","task":{task},"approve":true,"note":"counted, 20 on the shelf"}}"#);
    let decided = server.send(
        "POST",
        &format!("/api/v1/exceptions/{exception}/actions"),
        &headers,
        &body,
    );
    assert_eq!(decided.status, 200, "{}", decided.body);
    let detail = server
        .send("GET", &format!("/api/v1/exceptions/{exception}"), &headers, "")
        .json();
    let statuses: Vec<&str> = detail["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|task| task["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"done"), "{statuses:?}");
}

#[test]
fn one_position_answers_with_its_books_and_the_documents_open_on_it_within_the_callers_locations() {
    let server = Server::with_world();
    let lead = cookie_header(&server.login("lead"));
    let position = server
        .send("GET", "/api/v1/stock/position?location=S1&product=K1", &lead, "")
        .json();
    assert_eq!(position["location"], "S1");
    assert_eq!(position["sku"], "K1");
    assert_eq!(position["product"], "K1 (Kettle)");
    assert_eq!(
        (position["on_hand"].as_u64(), position["in_transit"].as_u64()),
        (Some(18), Some(5)),
        "{position}"
    );
    assert_eq!(position["last_sale"], "2026-11-02 11:05 UTC");
    assert_eq!(position["open_documents"][0]["kind"], "transfer in");
    assert_eq!(position["open_documents"][0]["number"], "T1");
    assert_eq!(position["more_open_documents"], 0);

    let unknown = server.send("GET", "/api/v1/stock/position?location=S1&product=NOPE", &lead, "");
    assert_eq!(unknown.status, 404);
    assert!(
        unknown
            .body
            .contains("product: NOPE: no product has this SKU or barcode"),
        "{}",
        unknown.body
    );
    let nowhere = server.send("GET", "/api/v1/stock/position?location=S9&product=K1", &lead, "");
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.body.contains("location: no location S9"), "{}", nowhere.body);
    let store_user = cookie_header(&server.login("s1"));
    let elsewhere = server.send("GET", "/api/v1/stock/position?location=S2&product=K1", &store_user, "");
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
}
