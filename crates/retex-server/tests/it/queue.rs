//! The queue page: saved views, filters whatever their case shown as removable chips, sorting by a column either
//! way, pages with totals both ways, and bulk actions on the selected rows, each row's command logged on its own
//! and each refusal named in the notice.

use crate::{Server, linked_ids, request};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// A third store with `count` SKUs counted short at 10:30, by 10 units and one more for each index (so the
/// impact grows with it, from 10): the world's two exceptions are 1 and 2, these 3, 4, ... in index order.
fn store_s3(count: usize) -> String {
    let mut lines = vec![
        r#"{"id":"L3","source":"erp","type":"location","at":"2026-11-01T00:00:00Z","code":"S3","name":"Three","kind":"store","region":"west","timezone":"UTC","hours":"00:00-24:00"}"#.to_owned(),
    ];
    for index in 0..count {
        let category = if index % 2 == 0 {
            "Home/Garden"
        } else {
            "Grocery/Drinks"
        };
        lines.push(format!(
            r#"{{"id":"P3-{index}","source":"erp","type":"product","at":"2026-11-01T00:00:00Z","sku":"G{index}","name":"G","category":"{category}","uom":"unit","cost":1,"price":3,"supplier":"SUP"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"a3-{index}","source":"t","type":"adjustment","at":"2026-11-02T07:00:00Z","location":"S3","sku":"G{index}","qty":100,"reason":"correction"}}"#
        ));
        lines.push(format!(
            r#"{{"id":"c3-{index}","source":"t","type":"count","at":"2026-11-02T10:30:00Z","location":"S3","sku":"G{index}","counted":{}}}"#,
            90 - index % 90
        ));
    }
    lines.join("\n")
}

fn with_store_s3(count: usize) -> Server {
    let server = Server::with_world();
    let response = server.send("POST", "/api/v1/events", &server.bearer_source(), store_s3(count));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["rejected"], 0, "{}", response.body);
    server
}

/// The first link on the page whose text is `label`.
fn link(body: &str, label: &str) -> String {
    let end = body
        .find(&format!(r#"">{label}</a>"#))
        .unwrap_or_else(|| panic!("no link {label}"));
    let start = body[..end].rfind("href=\"").unwrap() + "href=\"".len();
    let href = body[start..].split('"').next().unwrap();
    href.replace("&#38;", "&")
}

#[test]
fn filters_match_whatever_the_case_and_show_as_chips_that_remove_them() {
    let server = with_store_s3(4);
    let cookie = server.login("lead");
    let at_s3 = server.page(&cookie, "/queue?view=all&location=s3");
    assert_eq!(
        linked_ids(&at_s3, "/exceptions/"),
        [6, 5, 4, 3],
        "next due first; equal dues, larger impact first"
    );
    assert!(at_s3.contains("1–4 of 4"), "{at_s3}");
    assert!(at_s3.contains(">location: s3 <span"), "the filter in force: {at_s3}");

    let garden = "/queue?view=all&location=s3&category=HOME&sku=g2";
    let body = server.page(&cookie, garden);
    assert_eq!(linked_ids(&body, "/exceptions/"), [5], "G2 is in Home/Garden");
    let without_sku = link(&body, "sku: g2 <span aria-hidden=\"true\">×</span>");
    assert!(!without_sku.contains("sku="), "{without_sku}");
    assert_eq!(
        linked_ids(&server.page(&cookie, &without_sku), "/exceptions/"),
        [5, 3],
        "every garden product at S3"
    );

    let team = server.page(&cookie, "/queue?view=all&team=STORE%20s1&older_than=1h");
    assert_eq!(
        linked_ids(&team, "/exceptions/"),
        [1],
        "S1's team; opened 09:00, the clock at 11:10"
    );
    let young = server.page(&cookie, "/queue?view=all&older_than=3h");
    assert!(
        linked_ids(&young, "/exceptions/").is_empty(),
        "nothing opened before 08:10"
    );
    let refused = server.send(
        "GET",
        "/queue?view=all&older_than=soon",
        &[("cookie", cookie.as_str())],
        "",
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("older_than"), "{}", refused.body);
}

#[test]
fn a_column_header_sorts_by_it_and_again_the_other_way() {
    let server = with_store_s3(4);
    let cookie = server.login("lead");
    let by_due = server.page(&cookie, "/queue?view=all");
    assert!(
        by_due.contains(
            r#"<th class="due" aria-sort="ascending"><a href="/queue?view=all&#38;sort=-sla_risk">Due ▲</a>"#
        ),
        "{by_due}"
    );
    let by_impact = server.page(&cookie, &link(&by_due, "Impact"));
    // The world's two are 600 and 700; S3's grow from 10 to 13.
    assert_eq!(linked_ids(&by_impact, "/exceptions/"), [2, 1, 6, 5, 4, 3]);
    assert!(by_impact.contains("sorted by impact, largest first"));
    let smallest_first = server.page(&cookie, &link(&by_impact, "Impact ▼"));
    assert_eq!(linked_ids(&smallest_first, "/exceptions/"), [3, 4, 5, 6, 1, 2]);
    let by_place = server.page(&cookie, "/queue?view=all&sort=-place");
    assert_eq!(
        linked_ids(&by_place, "/exceptions/"),
        [6, 5, 4, 3, 2, 1],
        "S3 G3 down to S1 K1"
    );
}

#[test]
fn pages_show_their_rows_among_the_total_and_go_both_ways() {
    let server = with_store_s3(150);
    let cookie = server.login("lead");
    let first = server.page(&cookie, "/queue?view=all&sort=oldest");
    assert!(first.contains("1–100 of 152"), "{first}");
    assert_eq!(linked_ids(&first, "/exceptions/"), (1..=100).collect::<Vec<u64>>());
    assert!(!first.contains(">Previous<") && !first.contains(">First<"));
    let second = server.page(&cookie, &link(&first, "Next"));
    assert!(second.contains("101–152 of 152"), "{second}");
    assert_eq!(linked_ids(&second, "/exceptions/"), (101..=152).collect::<Vec<u64>>());
    assert!(!second.contains(">Next<"));
    let back = server.page(&cookie, &link(&second, "Previous"));
    assert_eq!(linked_ids(&back, "/exceptions/"), linked_ids(&first, "/exceptions/"));
    assert_eq!(link(&second, "First"), "/queue?view=all&sort=oldest");
}

/// Posts the bulk form as the queue page sends it, and returns where it sends the browser back to.
fn bulk(server: &Server, cookie: &str, fields: &str) -> (u16, String) {
    let csrf = server.csrf(cookie);
    let back = "%2Fqueue%3Fview%3Dall%26sort%3Doldest";
    let response = request(
        server.address,
        "POST",
        "/queue/act",
        &[("cookie", cookie), FORM],
        format!("csrf={csrf}&back={back}&{fields}"),
    );
    let location = response.header("location").unwrap_or_default().to_owned();
    (response.status, location)
}

pub fn notice(location: &str) -> String {
    let encoded = location.split("notice=").nth(1).expect("a notice");
    let mut decoded = Vec::new();
    let mut bytes = encoded.bytes();
    while let Some(byte) = bytes.next() {
        if byte == b'%' {
            let hex: String = [bytes.next().unwrap(), bytes.next().unwrap()]
                .iter()
                .map(|&b| b as char)
                .collect();
            decoded.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            decoded.push(byte);
        }
    }
    String::from_utf8(decoded).unwrap()
}

#[test]
fn bulk_actions_log_one_command_a_row_and_name_each_refusal() {
    let server = with_store_s3(3);
    let cookie = server.login("lead");
    let acknowledged = server.send(
        "POST",
        "/exceptions/3/act",
        &[("cookie", cookie.as_str()), FORM],
        format!("csrf={}&action=acknowledge", server.csrf(&cookie)),
    );
    assert_eq!(acknowledged.status, 303);

    let (status, location) = bulk(&server, &cookie, "action=acknowledge&id=3&id=4&id=5");
    assert_eq!(status, 303);
    assert!(
        location.starts_with("/queue?view=all&sort=oldest&notice="),
        "back to the same rows: {location}"
    );
    let told = notice(&location);
    assert!(
        told.starts_with("2 acknowledged; #3 refused: already acknowledged by lead at "),
        "{told}"
    );

    let (_, location) = bulk(&server, &cookie, "action=assign&assignee=s1&id=4&id=5");
    assert_eq!(notice(&location), "2 assigned to s1");
    let (_, location) = bulk(&server, &cookie, "action=assign&assignee=nobody&id=4&id=5");
    assert_eq!(
        notice(&location),
        "0 assigned to nobody; #4, #5 refused: no user nobody"
    );
    let (_, location) = bulk(&server, &cookie, "action=snooze&hours=4&id=5");
    assert!(notice(&location).starts_with("1 snoozed until "), "{location}");
    let (_, location) = bulk(&server, &cookie, "action=resolve&root_cause=count_inaccuracy&id=4");
    assert_eq!(notice(&location), "resolve: note is required");
    let (_, location) = bulk(&server, &cookie, "action=resolve&root_cause=&note=recounted&id=4");
    assert_eq!(
        notice(&location),
        "resolve: root_cause is required",
        "no root cause is chosen for the person"
    );
    let (_, location) = bulk(
        &server,
        &cookie,
        "action=resolve&root_cause=count_inaccuracy&note=recounted&id=4",
    );
    assert_eq!(notice(&location), "1 resolved");
    let (_, location) = bulk(&server, &cookie, "action=acknowledge");
    assert_eq!(notice(&location), "select at least one row");
    let (_, location) = bulk(&server, &cookie, "action=dismiss&reason=noise&id=5");
    assert_eq!(notice(&location), "action: dismiss is not offered for selected rows");

    let timeline = server
        .send("GET", "/api/v1/exceptions/5", &[("cookie", cookie.as_str())], "")
        .json()["timeline"]
        .clone();
    let by_lead: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["actor"] == "lead")
        .map(|entry| entry["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_lead,
        ["acknowledge", "assign", "snooze"],
        "one entry for each command, none for refusals"
    );

    let queue = server.page(&cookie, "/queue?view=mine");
    assert!(
        linked_ids(&queue, "/exceptions/").is_empty(),
        "lead assigned nothing to themself"
    );
    let s1 = server.login("s1");
    let at_s1 = notice(&bulk(&server, &s1, "action=acknowledge&id=1").1);
    assert_eq!(at_s1, "1 acknowledged", "s1 may act at S1");
    let outside = notice(&bulk(&server, &s1, "action=acknowledge&id=2").1);
    assert_eq!(
        outside,
        "0 acknowledged; #2 refused: exception 2 is outside the locations s1 may see"
    );
}

#[test]
fn a_bulk_form_needs_its_token_and_a_role_that_acts() {
    let server = with_store_s3(1);
    let cookie = server.login("lead");
    let headers = [("cookie", cookie.as_str()), FORM];
    let forged = server.send("POST", "/queue/act", &headers, "csrf=forged&action=acknowledge&id=1");
    assert_eq!(forged.status, 403);
    let viewer = server.login("viewer");
    let (status, _) = bulk(&server, &viewer, "action=acknowledge&id=1");
    assert_eq!(status, 403);
    let queue = server.page(&viewer, "/queue?view=all");
    assert!(!queue.contains("name=\"id\""), "no checkboxes for a viewer");
}

#[test]
fn the_views_are_the_persons_own() {
    let server = with_store_s3(2);
    let s1 = server.login("s1");
    let body = server.page(&s1, "/queue");
    assert!(
        body.contains(">My store</a>") && !body.contains(">Everything</a>"),
        "{body}"
    );
    assert_eq!(
        linked_ids(&body, "/exceptions/"),
        Vec::<u64>::new(),
        "s1's team, store_team, owns nothing yet"
    );
    assert_eq!(linked_ids(&server.page(&s1, "/queue?view=store"), "/exceptions/"), [1]);
    let everything = server.page(&s1, "/queue?view=all");
    assert!(
        everything.contains(r#"aria-current="page">My store</a>"#),
        "{everything}"
    );
    let lead = server.login("lead");
    let body = server.page(&lead, "/queue?view=all");
    assert!(body.contains(">Everything</a>") && !body.contains(">My store</a>"));
    let active = server
        .send(
            "GET",
            "/api/v1/exceptions?sort=oldest",
            &[("cookie", lead.as_str())],
            "",
        )
        .json();
    let missed_a_target: Vec<u64> = active["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["ack_breached"] == true || item["resolve_breached"] == true)
        .map(|item| item["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        missed_a_target,
        [1, 2],
        "the world's two are high: acknowledge within an hour"
    );
    let breached = server.page(&lead, "/queue?view=breached&sort=oldest");
    assert_eq!(linked_ids(&breached, "/exceptions/"), missed_a_target);
}

/// The ids a CSV export lists, in order, after checking its header.
fn exported_ids(server: &Server, cookie: &str, path: &str) -> Vec<u64> {
    let response = server.send("GET", path, &[("cookie", cookie)], "");
    assert_eq!(response.status, 200, "{path}: {}", response.body);
    assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        response
            .header("content-disposition")
            .is_some_and(|value| value.starts_with("attachment; filename=\"retex-queue-")),
        "{:?}",
        response.header("content-disposition")
    );
    let mut reader = csv::Reader::from_reader(response.body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(
        header.join(","),
        "id,type,category,severity,status,location,sku,ref,place,impact,currency,team,assignee,opened_at,ack_due,\
         resolve_due,acknowledged_at,resolved_at,breached,escalation_level,root_cause,link"
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            assert_eq!(record.len(), header.len(), "{record:?}");
            assert_eq!(record[21], format!("/exceptions/{}", &record[0]));
            record[0].parse().unwrap()
        })
        .collect()
}

#[test]
fn the_queue_downloads_as_csv_with_every_row_its_filters_select_in_its_order() {
    let server = with_store_s3(150);
    let lead = server.login("lead");
    let everything = exported_ids(&server, &lead, "/queue?view=all&format=csv");
    assert_eq!(everything.len(), 152, "both pages of the world's 2 and S3's 150");

    let path = "/queue?view=all&location=s3&sort=-impact";
    let page = server.page(&lead, path);
    assert!(
        page.contains(r#"href="/queue?view=all&#38;sort=-impact&#38;location=s3&#38;format=csv""#),
        "{page}"
    );
    let exported = exported_ids(&server, &lead, &format!("{path}&format=csv"));
    assert_eq!(exported.len(), 150);
    assert_eq!(
        exported[..100],
        linked_ids(&page, "/exceptions/")[..],
        "the page's rows first, in its order"
    );

    let s1 = server.login("s1");
    assert_eq!(
        exported_ids(&server, &s1, "/queue?view=all&format=csv"),
        [1],
        "a store's user exports their store"
    );
}
