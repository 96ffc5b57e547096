//! The administration page: only admins see and use it; people added, changed, disabled and given new
//! passwords; tokens created and revoked; silences set; rules files checked; every change on the record.

use crate::{Response, Server};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// Posts an administration form as `cookie`'s admin, with the session's CSRF token.
fn post(server: &Server, cookie: &str, path: &str, fields: &str) -> Response {
    let csrf = server.csrf(cookie);
    server.send(
        "POST",
        path,
        &[("cookie", cookie), FORM],
        format!("csrf={csrf}&{fields}"),
    )
}

fn admin_page(server: &Server, cookie: &str) -> String {
    let page = server.send("GET", "/admin", &[("cookie", cookie)], "");
    assert_eq!(page.status, 200, "{}", page.body);
    page.body
}

/// The value a page shows once, in the `<code>` of its `shown-once` section.
fn shown_once(page: &str) -> String {
    let section = page.split("id=\"shown-once\"").nth(1).expect("a secret shown once");
    let code = section.split("<code>").nth(1).expect("the secret's code");
    code.split("</code>").next().unwrap().to_owned()
}

#[test]
fn only_admins_see_the_page_and_its_link_and_may_post_its_forms() {
    let server = Server::start();
    let admin = server.login("admin");
    let page = admin_page(&server, &admin);
    assert!(page.contains("href=\"/admin\""), "the nav links it");
    assert!(
        page.contains(") leads: it runs the clock and sends notifications") && page.contains("up to entry 0."),
        "the one server of an SQLite store leads, and says how far it has applied the log: {page}"
    );
    for name in ["lead", "viewer"] {
        let cookie = server.login(name);
        let queue = server.send("GET", "/queue", &[("cookie", cookie.as_str())], "");
        assert!(!queue.body.contains("href=\"/admin\""), "no link for {name}");
        let page = server.send("GET", "/admin", &[("cookie", cookie.as_str())], "");
        assert_eq!(page.status, 403, "{name}");
        assert!(page.body.contains("may not administer Retex"), "{}", page.body);
        let added = post(
            &server,
            &cookie,
            "/admin/users",
            "name=mallory&role=admin&password=long+enough+pw",
        );
        assert_eq!(added.status, 403, "{name} may not add people");
    }
    assert!(
        server
            .block_on(server.state.account("mallory".into()))
            .unwrap()
            .is_none()
    );
    let forged = server.send(
        "POST",
        "/admin/users",
        &[("cookie", admin.as_str()), FORM],
        "csrf=forged&name=eve&role=viewer",
    );
    assert_eq!(forged.status, 403, "a form without the session's token is refused");
}

#[test]
fn an_admin_adds_a_person_who_logs_in_until_disabled_and_after_a_new_password() {
    let server = Server::start();
    let admin = server.login("admin");
    let added = post(
        &server,
        &admin,
        "/admin/users",
        "name=nina&role=team_member&team=store_team&locations=S2%2C+S1&email=nina%40shop.example&password=",
    );
    assert_eq!(
        added.status, 200,
        "a drawn password is shown on the page: {}",
        added.body
    );
    let password = shown_once(&added.body);
    assert_eq!(password.len(), 16);
    let login = |password: &str| server.post_login(&format!("name=nina&password={password}"));
    let first = login(&password);
    assert_eq!(first.status, 303, "{}", first.body);
    let nina = first
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = admin_page(&server, &admin);
    assert!(page.contains("<b>nina</b> · team_member · team store_team"), "{page}");
    assert!(page.contains("locations S1, S2"), "{page}");
    assert!(!page.contains(&password), "the password is shown once only");

    let again = post(&server, &admin, "/admin/users", "name=nina&role=viewer");
    assert_eq!(again.status, 303);
    let location = again.header("location").unwrap();
    assert!(location.starts_with("/admin?error=nina%20is%20already"), "{location}");

    let disabled = post(&server, &admin, "/admin/users/nina/disable", "");
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    let queue = server.send("GET", "/queue", &[("cookie", nina.as_str())], "");
    assert_eq!(queue.status, 303, "her session ended");
    let refused = login(&password);
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("This account is disabled"), "{}", refused.body);

    assert_eq!(post(&server, &admin, "/admin/users/nina/enable", "").status, 303);
    let short = post(&server, &admin, "/admin/users/nina/password", "password=short");
    assert!(
        short.header("location").unwrap().contains("error=password"),
        "too short"
    );
    let reset = post(
        &server,
        &admin,
        "/admin/users/nina/password",
        "password=a+new+long+phrase",
    );
    assert_eq!(reset.status, 303);
    assert_eq!(login(&password).status, 401, "the old password no longer works");
    assert_eq!(login("a+new+long+phrase").status, 303);

    let changed = post(
        &server,
        &admin,
        "/admin/users/nina",
        "role=viewer&team=&locations=S3&email=",
    );
    assert_eq!(changed.status, 303);
    let account = server.block_on(server.state.account("nina".into())).unwrap().unwrap();
    assert_eq!(
        (account.role.as_str(), account.locations),
        ("viewer", vec!["S3".to_owned()])
    );
    assert!(account.last_login_ms.is_some(), "her last login is known");

    let page = admin_page(&server, &admin);
    let changes = page.split("id=\"change-list\"").nth(1).unwrap();
    for action in [
        "user added",
        "user disabled",
        "user enabled",
        "password reset",
        "user changed",
    ] {
        assert!(
            changes.contains(&format!("<td>admin</td><td>{action}</td><td>nina</td>")),
            "{action}: {changes}"
        );
    }
    assert!(!changes.contains("a+new+long+phrase") && !changes.contains(&password));
}

#[test]
fn an_admin_cannot_lock_themselves_out() {
    let server = Server::start();
    let admin = server.login("admin");
    let disabled = post(&server, &admin, "/admin/users/admin/disable", "");
    assert!(
        disabled
            .header("location")
            .unwrap()
            .contains("error=you%20cannot%20disable%20yourself")
    );
    let demoted = post(&server, &admin, "/admin/users/admin", "role=viewer");
    assert!(
        demoted
            .header("location")
            .unwrap()
            .contains("error=you%20cannot%20take")
    );
    assert_eq!(
        server.send("GET", "/admin", &[("cookie", admin.as_str())], "").status,
        200
    );
}

#[test]
fn a_created_token_is_accepted_by_the_api_until_revoked() {
    let server = Server::with_world();
    let admin = server.login("admin");
    let created = post(
        &server,
        &admin,
        "/admin/tokens",
        "name=till-feed&role=viewer&locations=",
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let token = shown_once(&created.body);
    assert!(token.starts_with("rtx_"), "{token}");
    let bearer = [("authorization", format!("Bearer {token}"))];
    assert_eq!(server.send("GET", "/api/v1/exceptions", &bearer, "").status, 200);

    let revoked = post(&server, &admin, "/admin/tokens/till-feed/revoke", "");
    assert_eq!(revoked.status, 303);
    let refused = server.send("GET", "/api/v1/exceptions", &bearer, "");
    assert_eq!(refused.status, 401, "{}", refused.body);
    let page = admin_page(&server, &admin);
    assert!(
        page.contains("<td>admin</td><td>token revoked</td><td>till-feed</td>"),
        "{page}"
    );
    assert!(!page.contains(&token), "the token is shown once only");
}

#[test]
fn a_silence_set_here_is_logged_listed_and_recorded() {
    let server = Server::with_world();
    let admin = server.login("admin");
    let set = post(
        &server,
        &admin,
        "/admin/silences",
        "exception_type=count_variance&location=S2&sku=&hours=24&comment=stocktake+this+week",
    );
    assert_eq!(set.status, 303, "{}", set.body);
    assert!(
        set.header("location")
            .unwrap()
            .contains("notice=count_variance%20silenced")
    );
    let unknown = post(
        &server,
        &admin,
        "/admin/silences",
        "exception_type=nope&hours=2&comment=x",
    );
    assert!(unknown.header("location").unwrap().contains("error=silence%20refused"));
    let page = admin_page(&server, &admin);
    let list = page.split("id=\"silence-list\"").nth(1).unwrap();
    assert!(
        list.contains("<td>count_variance</td><td>S2</td>") && list.contains("stocktake this week"),
        "{list}"
    );
    assert!(list.contains("<td>active</td>"), "{list}");
    assert!(page.contains("<td>silence added</td><td>count_variance</td>"), "{page}");

    let no_reason = post(&server, &admin, "/admin/silences/1/end", "comment=+");
    assert!(
        no_reason.header("location").unwrap().contains("error="),
        "a reason is required"
    );
    let ended = post(&server, &admin, "/admin/silences/1/end", "comment=stocktake+done");
    assert!(
        ended.header("location").unwrap().contains("notice=silence%201%20ended"),
        "{:?}",
        ended.header("location")
    );
    let page = admin_page(&server, &admin);
    let list = page.split("id=\"silence-list\"").nth(1).unwrap();
    assert!(list.contains("<td>ended</td>") && !list.contains("End now"), "{list}");
    assert!(
        page.contains("<td>silence ended early</td><td>silence 1</td>"),
        "{page}"
    );
}

/// A multipart form as a browser sends the rules check.
fn rules_upload(server: &Server, cookie: &str, file: &str) -> Response {
    let boundary = "retexrules3";
    let csrf = server.csrf(cookie);
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"next.toml\"\r\n\
         Content-Type: text/plain\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    server.send(
        "POST",
        "/admin/rules/check",
        &[("cookie", cookie), ("content-type", content_type.as_str())],
        body,
    )
}

#[test]
fn checking_a_rules_file_shows_each_problem_with_its_line_or_what_differs() {
    let server = Server::start();
    let admin = server.login("admin");
    let broken = rules_upload(
        &server,
        &admin,
        "[types.count_variance]\ntolerance_units = -1\n\n[teems]\n",
    );
    assert_eq!(broken.status, 200, "{}", broken.body);
    let errors = broken.body.split("id=\"rules-errors\"").nth(1).expect("the problems");
    assert!(
        errors.contains("<td>2</td><td><code>types.count_variance.tolerance_units</code></td>"),
        "{errors}"
    );
    assert!(errors.contains("<td>4</td><td><code>teems</code></td>"), "{errors}");

    let valid = rules_upload(&server, &admin, "[teams.store_team]\nmembers = [\"s1\"]\n");
    let check = valid.body.split("id=\"rules-check\"").nth(1).expect("the check");
    assert!(check.contains("next.toml is valid: version <code>"), "{check}");
    assert!(
        check.contains("It differs from the active rules in: <code>teams</code>."),
        "{check}"
    );
    assert!(
        check.contains("retex serve --rules next.toml"),
        "how to apply it: {check}"
    );

    let viewer = server.login("viewer");
    assert_eq!(rules_upload(&server, &viewer, "").status, 403);
}
