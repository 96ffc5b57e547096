//! KPIs over a period: the API's `period`, `from` and `to`, the dashboard's period picker, and the report as a
//! page and as CSV.

use crate::Server;

#[test]
fn the_api_takes_a_period_and_refuses_half_of_one() {
    let server = Server::with_world();
    let cookie = server.login("admin");
    let headers = [("cookie", cookie.as_str())];
    let all_time = server.send("GET", "/api/v1/kpis", &headers, "").json();
    assert!(all_time.get("period").is_none() && all_time.get("previous").is_none());
    let total = all_time["total"].as_u64().unwrap();
    assert!(total > 0);

    let november = server.send("GET", "/api/v1/kpis?period=2026-11", &headers, "").json();
    assert_eq!(november["period"]["from"], "2026-11-01T00:00:00Z");
    assert_eq!(november["period"]["to"], "2026-12-01T00:00:00Z");
    assert_eq!(november["total"].as_u64(), Some(total), "the world happens in November");
    assert_eq!(november["previous"]["total"], 0);
    let by_type: u64 = november["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["total"].as_u64().unwrap())
        .sum();
    assert_eq!(by_type, total);

    let october = server
        .send("GET", "/api/v1/kpis?from=2026-10-01&to=2026-10-31", &headers, "")
        .json();
    assert_eq!(
        (october["total"].as_u64(), october["open"].as_u64()),
        (Some(0), all_time["open"].as_u64())
    );

    for (query, problem) in [
        ("from=2026-11-01", "from and to go together"),
        ("period=2026-13", "is not a month"),
        (
            "period=2026-11&from=2026-11-01&to=2026-11-02",
            "either period or from and to",
        ),
        ("from=2026-11-05&to=2026-11-01", "end after it starts"),
    ] {
        let refused = server.send("GET", &format!("/api/v1/kpis?{query}"), &headers, "");
        assert_eq!(refused.status, 400, "{query}");
        assert!(refused.body.contains(problem), "{query}: {}", refused.body);
    }
}

#[test]
fn the_dashboard_shows_its_period_beside_the_one_before() {
    let server = Server::with_world();
    let cookie = server.login("admin");
    let headers = [("cookie", cookie.as_str())];
    let week = server.send("GET", "/dashboard", &headers, "").body;
    assert!(
        week.contains("before: "),
        "the default week is compared with the week before"
    );
    assert!(week.contains(r#"aria-current="page">Last 7 days"#), "{week}");
    assert!(
        week.contains(r#"<td><a href="/queue?view=all&#38;location=S2">S2</a></td>"#),
        "each store leads to its open exceptions: {week}"
    );
    let all = server.send("GET", "/dashboard?period=all", &headers, "").body;
    assert!(all.contains("Exceptions opened at any time"));
    assert!(!all.contains("before: "));
    assert!(all.contains(r#"<table id="by-type">"#));
    let wrong = server.send("GET", "/dashboard?period=soon", &headers, "");
    assert_eq!(wrong.status, 400);
}

#[test]
fn a_report_is_a_printable_page_and_a_csv_file() {
    let server = Server::with_world();
    let cookie = server.login("admin");
    let headers = [("cookie", cookie.as_str())];
    let page = server.send("GET", "/reports?period=2026-11", &headers, "");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Exceptions report, 2026-11-01 to 2026-11-30"));
    assert!(page.body.contains("Download CSV"));

    let csv = server.send("GET", "/reports?period=2026-11&format=csv", &headers, "");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let mut lines = csv.body.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("from,to,type,category,opened,closed,")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,all,,"),
        "{}",
        csv.body
    );
    assert!(lines.all(|line| line.split(',').count() == 13), "{}", csv.body);
}

#[test]
fn the_dashboard_lists_open_recurring_problems() {
    let server = Server::with_world_and_rules("[types.recurring_problem]\nrepeats = 1\n");
    let cookie = server.login("admin");
    let headers = [("cookie", cookie.as_str())];
    let before = server.send("GET", "/dashboard", &headers, "").body;
    assert!(before.contains("No recurring problem is open"), "{before}");
    let resolve = r#"{"action":"resolve","root_cause":"count_inaccuracy","note":"recounted"}"#;
    let csrf = server.csrf(&cookie);
    let json_headers = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/json"),
        ("x-csrf-token", csrf.as_str()),
    ];
    let resolved = server.send("POST", "/api/v1/exceptions/1/actions", &json_headers, resolve);
    assert_eq!(resolved.status, 200, "{}", resolved.body);
    let after = server.send("GET", "/dashboard", &headers, "").body;
    let table = after
        .split(r#"<table id="problems">"#)
        .nth(1)
        .expect("the problems are listed");
    assert!(
        table.contains("count inaccuracy") && table.contains("1 exceptions resolved as count_inaccuracy"),
        "{table}"
    );
}
