//! Incidents people work: the paged list in local times, an incident's page and its actions on every member at
//! once, merge and split from the page and the API, and the few lines an exception's page shows of its incident.

use crate::queue::notice;
use crate::{Server, linked_ids, request};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// S1 in Berlin, S2 with no time zone. A transfer from S2 to S1 overdue at 16:00 UTC (exception 1) and a count
/// short where it goes (2): incident 1. A count short at S2 (3) and a sale beyond the shelf there (4): incident 2.
/// A count over at S1 of another product (5): incident 3, alone.
const WORLD: &str = r#"{"id":"L1","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S1","name":"One","kind":"store","timezone":"Europe/Berlin","hours":"00:00-24:00"}
{"id":"L2","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S2","name":"Two","kind":"store"}
{"id":"SUP","source":"erp","type":"supplier","at":"2026-11-01T00:00:00Z","code":"SUP","name":"S","lead_time_days":3}
{"id":"P1","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":20,"price":45,"supplier":"SUP"}
{"id":"P2","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"K2","name":"Lid","category":"Home/Kitchen","uom":"unit","cost":10,"price":15,"supplier":"SUP"}
{"id":"a1","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S1","sku":"K1","qty":50,"reason":"correction"}
{"id":"a2","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S2","sku":"K1","qty":50,"reason":"correction"}
{"id":"a3","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S2","sku":"K2","qty":5,"reason":"correction"}
{"id":"T1","source":"wms","type":"transfer_shipped","at":"2026-11-02T08:00:00Z","transfer":"T1","from":"S2","to":"S1","expected":"2026-11-02T12:00:00Z","lines":[{"sku":"K1","qty":5}]}
{"id":"c1","source":"t","type":"count","at":"2026-11-02T17:00:00Z","location":"S1","sku":"K1","counted":20}
{"id":"c2","source":"t","type":"count","at":"2026-11-02T17:30:00Z","location":"S2","sku":"K2","counted":0}
{"id":"s9","source":"pos","type":"sale","at":"2026-11-02T18:00:00Z","location":"S2","sku":"K2","qty":2,"unit_price":15,"channel":"pos"}
{"id":"c3","source":"t","type":"count","at":"2026-11-02T18:30:00Z","location":"S1","sku":"K2","counted":9}"#;

fn with_world() -> Server {
    let server = Server::start();
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), WORLD);
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["rejected"], 0, "{}", response.body);
    server
}

/// Posts one of an incident page's forms (`act` or `reshape`) with the session's token; the status and the
/// notice it comes back with, and where to.
fn post(server: &Server, cookie: &str, path: &str, fields: &str) -> (u16, String, String) {
    let csrf = server.csrf(cookie);
    let response = request(
        server.address,
        "POST",
        path,
        &[("cookie", cookie), FORM],
        format!("csrf={csrf}&{fields}"),
    );
    let location = response.header("location").unwrap_or_default().to_owned();
    let told = if location.contains("notice=") {
        notice(&location)
    } else {
        String::new()
    };
    (response.status, told, location.split('?').next().unwrap().to_owned())
}

fn api(server: &Server, cookie: &str, path: &str, body: &str, key: Option<&str>) -> crate::Response {
    let mut headers = vec![
        ("cookie", cookie.to_owned()),
        ("x-csrf-token", server.csrf(cookie)),
        ("content-type", "application/json".into()),
    ];
    if let Some(key) = key {
        headers.push(("idempotency-key", key.to_owned()));
    }
    server.send("POST", path, &headers, body)
}

#[test]
fn the_list_shows_incidents_newest_first_in_the_root_causes_local_time() {
    let server = with_world();
    let cookie = server.login("lead");
    let open = server.page(&cookie, "/incidents");
    assert_eq!(
        linked_ids(&open, "/incidents/"),
        [2, 1],
        "newest first; incident 3 holds one exception"
    );
    assert!(open.contains("1–2 of 2"), "{open}");
    assert!(
        open.contains("2026-11-02 17:00 Europe/Berlin"),
        "16:00 UTC at S1: {open}"
    );
    assert!(open.contains("2026-11-02 17:30 UTC (S2 names no time zone)"), "{open}");
    assert!(
        open.contains("<b>transfer_overdue</b> <span class=\"place\">S1 · T1</span>"),
        "the root cause's type and place: {open}"
    );
    assert!(open.contains("2 exceptions") && open.contains("2 open"), "{open}");

    let s1 = server.login("s1");
    let at_s1 = server.page(&s1, "/incidents");
    assert_eq!(linked_ids(&at_s1, "/incidents/"), [1], "incident 2 is at S2");
    assert_eq!(
        server
            .send("GET", "/incidents/2", &[("cookie", s1.as_str())], "")
            .status,
        403
    );
}

#[test]
fn the_list_comes_in_pages_of_fifty() {
    let server = with_world();
    let mut lines = Vec::new();
    for index in 0..60 {
        lines.push(format!(
            r#"{{"id":"G{index}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"G{index}","name":"G","category":"Home/Garden","uom":"unit","cost":1,"price":3,"supplier":"SUP"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"g{index}","source":"t","type":"count","at":"2026-11-02T19:00:00Z","location":"S1","sku":"G{index}","counted":9}}"#
        ));
        lines.push(format!(
            r#"{{"id":"o{index}","source":"pos","type":"sale","at":"2026-11-02T19:10:00Z","location":"S1","sku":"G{index}","qty":10,"unit_price":3,"channel":"pos"}}"#
        ));
    }
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), lines.join("\n"));
    assert_eq!(response.json()["rejected"], 0, "{}", response.body);
    let cookie = server.login("lead");
    let first = server.page(&cookie, "/incidents");
    assert!(first.contains("1–50 of 62"), "{first}");
    assert_eq!(linked_ids(&first, "/incidents/").first(), Some(&63), "the newest");
    assert!(!first.contains(">Previous<"));
    let second = server.page(&cookie, "/incidents?show=open&page=2");
    assert!(second.contains("51–62 of 62"), "{second}");
    assert_eq!(linked_ids(&second, "/incidents/").last(), Some(&1));
    assert!(!second.contains(">Next<"));
    let api = server
        .send("GET", "/api/v1/incidents?open=true", &[("cookie", cookie.as_str())], "")
        .json();
    assert_eq!(api["total"], 62, "the API counts the same incidents");
}

#[test]
fn an_exception_page_shows_its_incident_in_a_line() {
    let server = with_world();
    let cookie = server.login("lead");
    let member = server.page(&cookie, "/exceptions/2");
    assert!(
        member.contains(
            r#"Part of <a href="/incidents/1">incident #1</a> (root cause transfer_overdue at S1 · T1, 2 exceptions, 2 open)"#
        ),
        "{member}"
    );
    assert!(!member.contains("Trace"), "never the whole incident");
    let root = server.page(&cookie, "/exceptions/1");
    assert!(
        root.contains("(this exception is the root cause, 2 exceptions, 2 open)"),
        "{root}"
    );
    let alone = server.page(&cookie, "/exceptions/5");
    assert!(
        alone.contains(r#"<a href="/incidents/3">Incident #3</a> holds only this exception."#),
        "{alone}"
    );
}

#[test]
fn a_lead_acknowledges_assigns_and_resolves_every_open_exception_of_an_incident() {
    let server = with_world();
    let cookie = server.login("lead");
    let act = |fields: &str| post(&server, &cookie, "/incidents/1/act", fields);
    assert_eq!(
        act("action=acknowledge"),
        (303, "2 acknowledged".into(), "/incidents/1".into())
    );
    assert_eq!(
        act("action=acknowledge").1,
        "incident 1 has no active exception left to acknowledge"
    );
    assert_eq!(act("action=assign&assignee=s1").1, "2 assigned to s1");
    assert_eq!(
        act("action=assign&assignee=nobody").1,
        "0 assigned to nobody; #1, #2 refused: no user nobody"
    );
    assert_eq!(
        act("action=resolve&root_cause=transfer_discipline").1,
        "resolve: note is required"
    );
    assert_eq!(
        act("action=dismiss&reason=noise").1,
        "action: dismiss is not offered for a whole incident"
    );
    let resolved = act("action=resolve&root_cause=transfer_discipline&resolution=corrected&note=late+truck");
    assert_eq!(resolved.1, "2 resolved");
    for id in [1, 2] {
        let exception = server
            .send(
                "GET",
                &format!("/api/v1/exceptions/{id}"),
                &[("cookie", cookie.as_str())],
                "",
            )
            .json();
        assert_eq!(
            (&exception["exception"]["status"], &exception["exception"]["root_cause"]),
            (&"resolved".into(), &"transfer_discipline".into())
        );
    }
    assert_eq!(linked_ids(&server.page(&cookie, "/incidents"), "/incidents/"), [2]);
    let all = server.page(&cookie, "/incidents?show=all");
    assert_eq!(linked_ids(&all, "/incidents/"), [2, 1]);
    assert!(all.contains("closed"), "{all}");

    let lone = server.send(
        "POST",
        "/exceptions/3/act",
        &[("cookie", cookie.as_str()), FORM],
        format!("csrf={}&action=acknowledge", server.csrf(&cookie)),
    );
    assert_eq!(lone.status, 303);
    let rest = post(&server, &cookie, "/incidents/2/act", "action=acknowledge");
    assert_eq!(rest.1, "1 acknowledged", "only the one not acknowledged yet");

    let forged = server.send(
        "POST",
        "/incidents/2/act",
        &[("cookie", cookie.as_str()), FORM],
        "csrf=forged&action=acknowledge",
    );
    assert_eq!(forged.status, 403);
    let viewer = server.login("viewer");
    let watched = server.page(&viewer, "/incidents/2");
    assert!(!watched.contains("Acknowledge all") && !watched.contains("Merge incident"));
    assert_eq!(post(&server, &viewer, "/incidents/2/act", "action=acknowledge").0, 403);
}

#[test]
fn a_lead_merges_and_splits_incidents_from_the_page() {
    let server = with_world();
    let cookie = server.login("lead");
    let reshape = |path: &str, fields: &str| post(&server, &cookie, path, fields);
    assert_eq!(
        reshape("/incidents/2/reshape", "action=merge&incident=%233"),
        (303, "Merged incident 3 into this one".into(), "/incidents/2".into())
    );
    let merged = server.send("GET", "/incidents/3", &[("cookie", cookie.as_str())], "");
    assert_eq!(merged.status, 303);
    assert_eq!(
        notice(merged.header("location").unwrap()),
        "Incident 3 was merged into incident 2"
    );
    let body = server.page(&cookie, "/incidents/2");
    assert!(
        body.contains(r#"<b>lead</b> merged incident <a href="/incidents/3">3</a> into this one: #5"#),
        "{body}"
    );
    assert!(body.contains("1–3 of 3"), "{body}");
    assert_eq!(
        reshape("/incidents/2/reshape", "action=merge&incident=2").1,
        "merge refused: incident 2 cannot be merged into itself"
    );
    assert_eq!(
        reshape("/incidents/2/reshape", "action=merge&incident=99").1,
        "no incident 99"
    );
    assert_eq!(
        reshape("/incidents/2/reshape", "action=split&id=3&id=4&id=5").1,
        "split refused: splitting off all 3 members would leave incident 2 empty: leave at least one"
    );
    assert_eq!(
        reshape("/incidents/2/reshape", "action=split").1,
        "select at least one row"
    );
    assert_eq!(
        reshape("/incidents/2/reshape", "action=split&id=5"),
        (
            303,
            "Split #5 off incident 2 into this one".into(),
            "/incidents/4".into()
        )
    );
    let split = server.page(&cookie, "/incidents/4");
    assert!(
        split.contains(r#"split off incident <a href="/incidents/2">2</a>"#),
        "{split}"
    );
    let member = server.page(&cookie, "/exceptions/5");
    assert!(
        member.contains("<b>lead</b> split <span>incident 2 -&#62; 4</span>"),
        "the timeline says where it went: {member}"
    );

    let s1 = server.login("s1");
    let at_s1 = post(&server, &s1, "/incidents/1/reshape", "action=merge&incident=4");
    assert_eq!(at_s1.1, "Merged incident 4 into this one", "both are at S1 only");
    let across = post(&server, &s1, "/incidents/1/reshape", "action=merge&incident=2");
    assert_eq!(across.0, 403, "incident 2 is at S2, which s1 may not see");
}

#[test]
fn the_api_works_a_whole_incident_and_reshapes_it() {
    let server = with_world();
    let cookie = server.login("lead");
    let acknowledged = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"acknowledge_all"}"#,
        None,
    );
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.body);
    assert_eq!(acknowledged.json()["members"]["done"].to_string(), "[3,4]");
    let merge = r#"{"action":"merge","incident":3}"#;
    let first = api(&server, &cookie, "/api/v1/incidents/2/actions", merge, Some("fold-3"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        (
            first.json()["logged"].as_bool(),
            first.json()["incident"]["exceptions"].to_string()
        ),
        (Some(true), "[3,4,5]".to_owned())
    );
    let again = api(&server, &cookie, "/api/v1/incidents/2/actions", merge, Some("fold-3"));
    assert_eq!(
        (again.status, again.json()["logged"].as_bool()),
        (200, Some(false)),
        "a retry is harmless"
    );
    let merged = server
        .send("GET", "/api/v1/incidents/3", &[("cookie", cookie.as_str())], "")
        .json();
    assert_eq!(
        (merged["merged_into"].as_u64(), merged["exceptions"].to_string()),
        (Some(2), "[]".into())
    );
    let emptied = api(
        &server,
        &cookie,
        "/api/v1/incidents/3/actions",
        r#"{"action":"acknowledge_all"}"#,
        None,
    );
    assert_eq!(
        (emptied.status, emptied.json()["detail"].as_str()),
        (409, Some("incident 3 was merged into incident 2: act on that one"))
    );
    let split = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"split","exceptions":[5]}"#,
        None,
    );
    assert_eq!(split.json()["split_into"], 4, "{}", split.body);
    let itself = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"merge","incident":2}"#,
        None,
    );
    assert_eq!(itself.status, 422, "{}", itself.body);
    assert_eq!(
        itself.json()["detail"],
        "merge refused: incident 2 cannot be merged into itself"
    );
    let all = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"split","exceptions":[3,4]}"#,
        None,
    );
    assert_eq!(all.status, 409, "{}", all.body);
    let stranger = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"split","exceptions":[1]}"#,
        None,
    );
    assert_eq!(
        stranger.json()["detail"],
        "split refused: exception 1 is in incident 1, not 2"
    );
    let blank = api(
        &server,
        &cookie,
        "/api/v1/incidents/2/actions",
        r#"{"action":"resolve_all","root_cause":"other","note":" "}"#,
        None,
    );
    assert_eq!(
        (blank.status, blank.json()["detail"].as_str()),
        (400, Some("note: must not be blank"))
    );
    let unknown = api(
        &server,
        &cookie,
        "/api/v1/incidents/9/actions",
        r#"{"action":"acknowledge_all"}"#,
        None,
    );
    assert_eq!(unknown.status, 404);
    let s1 = server.login("s1");
    let outside = api(
        &server,
        &s1,
        "/api/v1/incidents/2/actions",
        r#"{"action":"merge","incident":1}"#,
        None,
    );
    assert_eq!(outside.status, 403, "{}", outside.body);
    let document = server
        .send("GET", "/api/v1/openapi.json", &[] as &[(&str, &str)], "")
        .json();
    assert!(document["paths"]["/api/v1/incidents/{id}/actions"]["post"].is_object());
}
