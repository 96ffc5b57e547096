//! The web UI's forms and sessions: login and its rate limit, CSRF on forms, and shop-floor entries.

use retex_server::ServerOptions;
use retex_server::state::TlsFiles;

use crate::{PASSWORD, Server};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

#[test]
fn pages_need_a_session_and_come_back_after_login() {
    let server = Server::with_world();
    let anonymous = server.send("GET", "/dashboard", &[] as &[(&str, &str)], "");
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.header("location"), Some("/login?next=/dashboard"));
    let body = format!("name=admin&password={}&next=/dashboard", PASSWORD.replace(' ', "+"));
    let login = server.post_login(&body);
    assert_eq!(login.header("location"), Some("/dashboard"));
    let offsite = format!("name=admin&password={}&next=//evil.example", PASSWORD.replace(' ', "+"));
    assert_eq!(server.post_login(&offsite).header("location"), Some("/queue"));

    let cookie = server.login("admin");
    for path in [
        "/queue",
        "/dashboard",
        "/incidents",
        "/store",
        "/rules",
        "/exceptions/1",
    ] {
        let page = server.send("GET", path, &[("cookie", cookie.as_str())], "");
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains("Log out"), "{path}");
    }
    let dashboard = server
        .send("GET", "/dashboard", &[("cookie", cookie.as_str())], "")
        .body;
    assert!(dashboard.matches("<svg").count() >= 5);
}

#[test]
fn repeated_failed_logins_are_refused_for_a_while() {
    let server = Server::with_world();
    for _ in 0..5 {
        let failed = server.post_login("name=admin&password=wrong");
        assert_eq!(failed.status, 401);
    }
    let body = format!("name=admin&password={}", PASSWORD.replace(' ', "+"));
    let blocked = server.post_login(&body);
    assert_eq!(blocked.status, 429, "even the right password waits its turn");
    let wait: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert_eq!(
        wait, 1,
        "the first wait is short: the real person is slowed, not locked out"
    );
    assert!(blocked.body.contains("try again in 1 s"), "{}", blocked.body);
    std::thread::sleep(std::time::Duration::from_secs(wait));
    let logged_in = server.post_login(&body);
    assert_eq!(logged_in.status, 303, "{}", logged_in.body);
}

#[test]
fn over_tls_every_cookie_is_secure() {
    let tls = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tls");
    let read = |name: &str| std::fs::read(format!("{tls}/{name}")).unwrap();
    let options = ServerOptions {
        tls: Some(TlsFiles {
            certificates: read("localhost.pem"),
            key: read("localhost.key"),
        }),
        ..ServerOptions::engine_clock()
    };
    let server = Server::start_with("", options);
    retex_odoo::install_tls_provider();
    let client = reqwest::Client::builder()
        .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&read("ca.pem")).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://127.0.0.1:{}", server.address.port());
    let (form_cookie, page) = server.block_on(async {
        let form = client.get(format!("{base}/login")).send().await.unwrap();
        assert_eq!(form.status(), 200);
        let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
        (cookie, form.text().await.unwrap())
    });
    assert!(form_cookie.ends_with("; Secure"), "{form_cookie}");
    let token = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let body = format!("name=admin&password={}&csrf={token}", PASSWORD.replace(' ', "+"));
    let session = server.block_on(async {
        let login = client
            .post(format!("{base}/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", form_cookie.split(';').next().unwrap())
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 303);
        login.headers()["set-cookie"].to_str().unwrap().to_owned()
    });
    assert!(
        session.starts_with("retex_session=") && session.ends_with("; Secure"),
        "{session}"
    );
}

#[test]
fn a_login_posted_without_its_form_is_refused() {
    let server = Server::start();
    let body = format!("name=admin&password={}", PASSWORD.replace(' ', "+"));
    let forged = server.send("POST", "/login", &[FORM], &body);
    assert_eq!(forged.status, 403, "no form cookie, no token: another site's form");
    assert!(forged.body.contains("log in again"), "{}", forged.body);
    let form = server.send("GET", "/login", &[] as &[(&str, &str)], "");
    let cookie = form.header("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let wrong_token = format!("{body}&csrf=0123");
    let refused = server.send("POST", "/login", &[FORM, ("cookie", cookie.as_str())], &wrong_token);
    assert_eq!(refused.status, 403);
    assert_eq!(server.post_login(&body).status, 303, "the form itself works");
}

#[test]
fn logging_out_ends_the_session_on_the_server_and_an_idle_one_ends_by_itself() {
    let server = Server::with_world();
    let cookie = server.login("lead");
    let page = |cookie: &str| server.send("GET", "/queue", &[("cookie", cookie)], "").status;
    assert_eq!(page(&cookie), 200);
    let csrf = format!("csrf={}", server.csrf(&cookie));
    let out = server.send("POST", "/logout", &[("cookie", cookie.as_str()), FORM], &csrf);
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(page(&cookie), 303, "the old cookie, kept by a thief, no longer works");

    let idle = server.login("lead");
    assert_eq!(page(&idle), 200);
    let hash = retex_server::auth::token_hash(idle.split_once('=').unwrap().1);
    let nine_hours_ago = chrono::Utc::now().timestamp_millis() - 9 * 3_600_000;
    server
        .block_on(
            server
                .state
                .side_store(move |store| Ok(store.touch_session(&hash, nine_hours_ago)?)),
        )
        .unwrap();
    assert_eq!(page(&idle), 303, "unused for more than 8 hours");
}

#[test]
fn forms_need_the_session_csrf_token() {
    let server = Server::with_world();
    let cookie = server.login("lead");
    let headers = [("cookie", cookie.as_str()), FORM];
    let forged = server.send("POST", "/exceptions/1/act", &headers, "csrf=forged&action=acknowledge");
    assert_eq!(forged.status, 403);
    let csrf = server.csrf(&cookie);
    let acked = server.send(
        "POST",
        "/exceptions/1/act",
        &headers,
        format!("csrf={csrf}&action=acknowledge"),
    );
    assert_eq!(acked.status, 303);
    assert!(
        acked
            .header("location")
            .unwrap()
            .starts_with("/exceptions/1?notice=Done")
    );
    let detail = server
        .send("GET", "/api/v1/exceptions/1", &[("cookie", cookie.as_str())], "")
        .json();
    assert_eq!(detail["exception"]["acknowledged_by"], "lead");
    let page = server
        .send("GET", "/exceptions/1", &[("cookie", cookie.as_str())], "")
        .body;
    assert!(
        page.contains("<b>lead</b> acknowledge"),
        "the timeline shows who acknowledged: {page}"
    );
}

#[test]
fn store_staff_confirm_receipts_and_submit_counts_for_their_store_only() {
    let server = Server::with_world();
    let cookie = server.login("s1");
    let csrf = server.csrf(&cookie);
    let headers = [("cookie", cookie.as_str()), FORM];
    let store_page = server.send("GET", "/store", &[("cookie", cookie.as_str())], "").body;
    assert!(
        store_page.contains("T1"),
        "the inbound transfer is listed: {store_page}"
    );

    let received = server.send(
        "POST",
        "/store/receive",
        &headers,
        format!("csrf={csrf}&location=S1&transfer=T1"),
    );
    assert_eq!(received.status, 303, "{}", received.body);
    let stock = server
        .send("GET", "/api/v1/stock?location=S1", &[("cookie", cookie.as_str())], "")
        .json();
    assert_eq!(stock[0]["in_transit"], 0, "{stock}");

    let counted = server.send(
        "POST",
        "/store/count",
        &headers,
        format!("csrf={csrf}&location=S1&sku=K1&counted=50"),
    );
    assert_eq!(counted.status, 303);
    assert!(
        counted
            .header("location")
            .unwrap()
            .contains("Count%20of%20K1%20%28Kettle%29%20recorded")
    );
    // Under the log's clock an entry from the shop floor is dated at the engine's clock, not the wall clock: it
    // does not move the clock weeks ahead and fire every deadline on the way.
    let dashboard = server
        .send("GET", "/dashboard", &[("cookie", cookie.as_str())], "")
        .body;
    assert!(dashboard.contains("Engine clock 2026-11-02 "), "{dashboard}");
    let unknown = server.send(
        "POST",
        "/store/count",
        &headers,
        format!("csrf={csrf}&location=S1&sku=NOPE&counted=1"),
    );
    assert!(
        unknown.header("location").unwrap().contains("no%20product"),
        "{:?}",
        unknown.header("location")
    );
    let elsewhere = server.send(
        "POST",
        "/store/count",
        &headers,
        format!("csrf={csrf}&location=S2&sku=K1&counted=1"),
    );
    assert_eq!(elsewhere.status, 403);
    for transfer in ["T1", "NOPE"] {
        let receipt = server.send(
            "POST",
            "/store/receive",
            &headers,
            format!("csrf={csrf}&location=S2&transfer={transfer}"),
        );
        assert_eq!(
            receipt.status, 403,
            "the same answer whether {transfer} goes to S2 or not"
        );
        assert!(!receipt.body.contains(transfer), "{}", receipt.body);
    }
}

#[test]
fn a_stock_check_on_the_store_page_shows_the_books_here_and_what_is_on_its_way() {
    let server = Server::with_world();
    let cookie = server.login("s1");
    let headers = [("cookie", cookie.as_str())];
    let page = server.send("GET", "/store?location=S1&check=K1", &headers, "").body;
    for expected in [
        "<p><b>K1 (Kettle)</b></p>",
        "<p>on hand 18, reserved 0, available 18, in transit here 5; last sale 2026-11-02 11:05 UTC</p>",
        "<li>transfer T1 from S2 (Two): 5 shipped 2026-11-02 08:00 UTC, expected 2026-11-02 12:00 UTC</li>",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    let unknown = server.send("GET", "/store?location=S1&check=NOPE", &headers, "").body;
    assert!(
        unknown.contains("NOPE: no product has this SKU or barcode"),
        "{unknown}"
    );
    let elsewhere = server.send("GET", "/store?location=S2&check=K1", &headers, "");
    assert_eq!(elsewhere.status, 403, "another store's books stay its own");
}

#[test]
fn requested_recounts_show_on_the_store_page_until_counted() {
    let rules = "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"request_recount\"\n";
    let server = Server::with_world_and_rules(rules);
    let cookie = server.login("s1");
    let csrf = server.csrf(&cookie);
    let page = server.send("GET", "/store", &[("cookie", cookie.as_str())], "").body;
    assert!(
        page.contains("Counts requested") && page.contains("<b>K1</b>"),
        "{page}"
    );
    let counted = server.send(
        "POST",
        "/store/count",
        &[("cookie", cookie.as_str()), FORM],
        format!("csrf={csrf}&location=S1&sku=K1&counted=20"),
    );
    assert_eq!(counted.status, 303);
    let page = server.send("GET", "/store", &[("cookie", cookie.as_str())], "").body;
    assert!(
        !page.contains("Counts requested"),
        "the count completed the task: {page}"
    );
}

#[test]
fn the_exception_page_suggests_what_worked_and_chooses_it_in_the_resolve_form() {
    let server = Server::with_world();
    let cookie = server.login("lead");
    let csrf = server.csrf(&cookie);
    let page_of = |id: u64| {
        server
            .send("GET", &format!("/exceptions/{id}"), &[("cookie", cookie.as_str())], "")
            .body
    };
    let ids = |location: &str| {
        let path = format!("/api/v1/exceptions?type=count_variance&location={location}");
        let list = server.send("GET", &path, &[("cookie", cookie.as_str())], "").json();
        list["items"][0]["id"].as_u64().unwrap()
    };
    let (s1, s2) = (ids("S1"), ids("S2"));
    assert!(!page_of(s2).contains("Suggested"), "no evidence, no block");

    let resolve = format!("csrf={csrf}&action=resolve&root_cause=theft_or_shrink&resolution=stock_adjusted&note=gone");
    let resolved = server.send(
        "POST",
        &format!("/exceptions/{s1}/act"),
        &[("cookie", cookie.as_str()), FORM],
        resolve,
    );
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    let page = page_of(s2);
    assert!(
        page.contains("<b>theft_or_shrink, stock_adjusted</b>: chosen for 1 similar exception, held 1 (100%)"),
        "{page}"
    );
    assert!(page.contains("(same type, counted short)"), "{page}");
    assert!(page.contains(r#"<option value="theft_or_shrink" selected>"#), "{page}");
    assert!(page.contains(r#"<option value="stock_adjusted" selected>"#), "{page}");
    assert!(!page_of(s1).contains("Suggested"), "not on a resolved exception");
}

#[test]
fn the_assign_form_offers_the_team_on_shift_first() {
    let rules = "[teams.\"store S1\"]\nmembers = [\"zoe\", \"s1\"]\n\n\
                 [shifts.zoe]\ndays = [\"sun\"]\nhours = \"00:00-00:01\"\n";
    let server = Server::with_world_and_rules(rules);
    let cookie = server.login("lead");
    let headers = [("cookie", cookie.as_str())];
    let list = server
        .send(
            "GET",
            "/api/v1/exceptions?location=S1&type=count_variance",
            &headers,
            "",
        )
        .json();
    let at_s1 = list["items"][0]["id"].as_u64().unwrap();
    let page = server.send("GET", &format!("/exceptions/{at_s1}"), &headers, "").body;
    let on_shift = page
        .find(r#"<option value="s1">s1 (on shift, "#)
        .expect("s1, who has no shift, is on shift");
    let off_shift = page
        .find(r#"<option value="zoe">zoe (off shift, "#)
        .expect("zoe works a minute on Sundays");
    assert!(on_shift < off_shift, "on shift first: {page}");

    let list = server
        .send(
            "GET",
            "/api/v1/exceptions?location=S2&type=count_variance",
            &headers,
            "",
        )
        .json();
    let at_s2 = list["items"][0]["id"].as_u64().unwrap();
    let page = server.send("GET", &format!("/exceptions/{at_s2}"), &headers, "").body;
    assert!(
        page.contains(r#"<input name="assignee" required"#),
        "a team without members takes any name: {page}"
    );
}

#[test]
fn store_staff_count_by_barcode_and_receive_line_by_line() {
    let server = Server::with_world();
    let product = r#"{"id":"P1-bar","source":"erp","type":"product","at":"2026-11-02T09:00:00Z","sku":"K1","name":"Kettle","category":"Home/Kitchen","uom":"unit","cost":20,"price":45,"supplier":"SUP","barcode":"4006381333931"}"#;
    let upserted = server.send("POST", "/api/v1/events", &server.bearer_source(), product);
    assert_eq!(upserted.status, 200, "{}", upserted.body);
    let cookie = server.login("s1");
    let csrf = server.csrf(&cookie);
    let headers = [("cookie", cookie.as_str()), FORM];

    let store_page = server.send("GET", "/store", &[("cookie", cookie.as_str())], "").body;
    assert!(store_page.contains(r#"name="arrived.K1" value="5""#), "{store_page}");
    assert!(store_page.contains("<b>K1</b> Kettle"), "{store_page}");
    let open_at = store_page.find("Open exceptions here").unwrap();
    assert!(
        open_at < store_page.find("<h2>Count</h2>").unwrap(),
        "the store's open exceptions come first"
    );

    let scanned = server.send(
        "POST",
        "/store/count",
        &headers,
        format!("csrf={csrf}&location=S1&sku=4006381333931&counted=50"),
    );
    let notice = scanned.header("location").unwrap();
    assert!(notice.contains("Count%20of%20K1%20%28Kettle%29%20recorded"), "{notice}");

    let wrong = server.send(
        "POST",
        "/store/receive",
        &headers,
        format!("csrf={csrf}&location=S1&transfer=T1&arrived.K1=3&damaged.K1=4"),
    );
    assert!(
        wrong
            .header("location")
            .unwrap()
            .contains("K1%3A%204%20damaged%20of%203%20arrived")
    );
    let received = server.send(
        "POST",
        "/store/receive",
        &headers,
        format!("csrf={csrf}&location=S1&transfer=T1&arrived.K1=3&damaged.K1=1"),
    );
    let notice = received.header("location").unwrap();
    assert!(
        notice.contains("Transfer%20T1%20received%3A%20K1%202%20short%2C%201%20damaged"),
        "{notice}"
    );
    let mismatches = server
        .send(
            "GET",
            "/api/v1/exceptions?type=transfer_mismatch&status=all",
            &[("cookie", cookie.as_str())],
            "",
        )
        .json();
    assert_eq!(mismatches["items"].as_array().map(Vec::len), Some(1), "{mismatches}");
    assert_eq!(mismatches["items"][0]["ref"], "T1");
}

/// The browser tests' four-eyes rule: count variances above 500 need an operations lead's approval.
const FOUR_EYES: &str = "[approvals.count_variance]\nabove = 500\nrole = \"operations_lead\"\n";

#[test]
fn the_exception_page_explains_itself_in_names_money_and_local_time() {
    let recount = "[[actions]]\ntype = \"count_variance\"\non = \"open\"\ndo = \"request_recount\"\n";
    let server = Server::with_world_and_rules(&format!("{FOUR_EYES}{recount}"));
    let cookie = server.login("lead");
    let headers = [("cookie", cookie.as_str())];
    let list = server
        .send("GET", "/api/v1/exceptions?location=S2", &headers, "")
        .json();
    let id = list["items"][0]["id"].as_u64().unwrap();
    let page = server.send("GET", &format!("/exceptions/{id}"), &headers, "").body;
    for expected in [
        r#"<dd><span id="where">S2 (Two) · K1 (Kettle)</span> · <a href="/queue?view=all&#38;location=S2" id="location-queue">open exceptions at S2</a></dd>"#,
        r#"<dd id="impact">700.00 EUR</dd>"#,
        "<li>counted 10, ledger 45, variance -35 × 20.00 = 700.00 EUR</li>",
        "<dt>Opened</dt><dd>2026-11-02 10:00 UTC</dd>",
        r#"<li>count <a href="/queue?view=all&#38;status=all&#38;document=c2" title="every exception about c2"><b>c2</b></a></li>"#,
        "<h2>What to do</h2>",
        "Recount the shelf and the back store before changing anything",
        "Needs approval: impact 700.00 EUR above 500.00 EUR (rule for count_variance); approver role \
         operations_lead",
        r#"<span class="badge badge-waiting" id="unacknowledged">not acknowledged</span>"#,
        r#"value="ack">Acknowledge</button>"#,
        r#"<td>count K1 at S2 <span class="muted">· K1 (Kettle)</span></td>"#,
        r#"<p id="stock-books">on hand 9, reserved 0, available 9, in transit here 0; last sale 2026-11-02 11:10 UTC</p>"#,
        "<li>transfer T1 to S1 (One): 5 shipped from here 2026-11-02 08:00 UTC, not received there yet</li>",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    let store_queue = server.send("GET", "/queue?view=all&location=S2", &headers, "").body;
    assert!(store_queue.contains(&format!("/exceptions/{id}\"")), "{store_queue}");
    let other_count = server
        .send("GET", "/api/v1/exceptions?document=C1", &headers, "")
        .json();
    let other_id = other_count["items"][0]["id"]
        .as_u64()
        .expect("S1's count c1 has its exception");
    assert_ne!(other_id, id);
    let document_queue = server
        .send("GET", "/queue?view=all&status=all&document=c2", &headers, "")
        .body;
    assert!(
        document_queue.contains(&format!("/exceptions/{id}\"")),
        "{document_queue}"
    );
    assert!(
        !document_queue.contains(&format!("/exceptions/{other_id}\"")),
        "{document_queue}"
    );
    assert!(
        document_queue.contains("document: c2"),
        "the filter shows as a chip: {document_queue}"
    );
    assert!(
        !page.contains("<time>2026-11-02T") && !page.contains("<dd>2026-11-02T"),
        "no RFC 3339 instants but in the logged events: {page}"
    );
    let detail = server
        .send("GET", &format!("/api/v1/exceptions/{id}"), &headers, "")
        .json();
    assert_eq!(
        detail["brief"]["what_happened"][0],
        "counted 10, ledger 45, variance -35 × 20.00 = 700.00 EUR"
    );
    assert_eq!(detail["brief"]["approval"]["needed"], true);
    assert_eq!(detail["brief"]["documents"][0]["kind"], "count");
    assert_eq!(detail["brief"]["stock"]["on_hand"], 9);
    assert_eq!(detail["brief"]["stock"]["open_documents"][0]["kind"], "transfer out");
    assert_eq!(detail["brief"]["stock"]["open_documents"][0]["qty"], 5);

    let queue = server.send("GET", "/queue?view=all", &headers, "").body;
    assert!(queue.contains(r#"<td class="num">700.00 EUR</td>"#), "{queue}");
    let dashboard = server.send("GET", "/dashboard", &headers, "").body;
    assert!(
        dashboard.contains("<b>1,300.00 EUR</b><span>impact open now</span>"),
        "{dashboard}"
    );

    let plain = Server::with_world();
    let cookie = plain.login("lead");
    let page = plain
        .send("GET", &format!("/exceptions/{id}"), &[("cookie", cookie.as_str())], "")
        .body;
    assert!(
        page.contains(r#"<p id="approval-need">No approval needed</p>"#),
        "{page}"
    );
}

#[test]
fn acknowledging_shows_who_and_refusals_show_as_errors_until_the_approval_is_decided() {
    let server = Server::with_world_and_rules(FOUR_EYES);
    let cookie = server.login("lead");
    let csrf = server.csrf(&cookie);
    let list = server
        .send(
            "GET",
            "/api/v1/exceptions?location=S2",
            &[("cookie", cookie.as_str())],
            "",
        )
        .json();
    let id = list["items"][0]["id"].as_u64().unwrap();
    let act = |cookie: &str, csrf: &str, fields: &str| {
        let response = server.send(
            "POST",
            &format!("/exceptions/{id}/act"),
            &[("cookie", cookie), FORM],
            format!("csrf={csrf}&{fields}"),
        );
        assert_eq!(response.status, 303, "{}", response.body);
        let location = response.header("location").unwrap().to_owned();
        let page = server.send("GET", &location, &[("cookie", cookie)], "").body;
        (location, page)
    };

    let (location, page) = act(&cookie, &csrf, "action=acknowledge");
    assert!(location.contains("notice=Done"), "{location}");
    assert!(
        page.contains(r#"<span class="badge" id="acknowledged">acknowledged by lead at 2026-11-02 "#),
        "{page}"
    );
    assert!(
        !page.contains(r#"value="ack">Acknowledge</button>"#),
        "acknowledged once is enough"
    );

    let resolve = "action=resolve&root_cause=count_inaccuracy&note=recounted";
    let (location, page) = act(&cookie, &csrf, resolve);
    assert!(
        location.contains("error=") && !location.contains("notice="),
        "{location}"
    );
    assert!(
        page.contains(r#"<p class="error" role="alert" id="error">resolve refused: exception"#)
            && page.contains("impact 700.00 EUR is above 500.00 EUR: request approval"),
        "{page}"
    );

    let (_, page) = act(&cookie, &csrf, "action=request_approval&reason=write-off");
    assert!(page.contains("pending, asked by lead at 2026-11-02 "), "{page}");
    assert!(
        !page.contains(r#"value="approve">Approve</button>"#),
        "not to the requester"
    );
    assert!(!page.contains("Request approval</button>"), "one request at a time");
    let (_, page) = act(&cookie, &csrf, resolve);
    assert!(
        page.contains("lead asked for approval, still pending: it must be approved or rejected"),
        "{page}"
    );

    let admin = server.login("admin");
    let admin_csrf = server.csrf(&admin);
    let page = server
        .send("GET", &format!("/exceptions/{id}"), &[("cookie", admin.as_str())], "")
        .body;
    assert!(page.contains(r#"value="approve">Approve</button>"#), "{page}");
    let (_, page) = act(&admin, &admin_csrf, "action=reject&note=");
    assert!(page.contains(r#"id="error">reject: note is required"#), "{page}");
    let (_, page) = act(&admin, &admin_csrf, "action=approve&note=ok");
    assert!(page.contains("approved, asked by lead, decided by admin"), "{page}");
    let (location, page) = act(&cookie, &csrf, resolve);
    assert!(location.contains("notice=Done"), "{location}");
    assert!(page.contains(r#"<span id="status">resolved</span>"#), "{page}");
}
