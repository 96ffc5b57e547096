//! CSV imports over HTTP: the API for scripts and the admin's upload page.

use crate::Server;

const PRODUCTS: &str = "sku,name,category,price\nA1,Apple,Fruit,0.99\nB2,Bread,,2.00\nC3,Cheese,Dairy,4.50\n";

#[test]
fn the_api_imports_row_by_row_and_the_same_file_again_adds_nothing() {
    let server = Server::start();
    let source = server.bearer_source();
    let first = server.send("POST", "/api/v1/imports/products", &source, PRODUCTS);
    assert_eq!(first.status, 200, "{}", first.body);
    let report = first.json();
    assert_eq!(
        (
            &report["rows"],
            &report["imported"],
            &report["unchanged"],
            &report["rejected"]
        ),
        (&3.into(), &2.into(), &0.into(), &1.into()),
        "{report}"
    );
    assert_eq!(report["errors"][0]["line"], 3);
    assert_eq!(report["errors"][0]["field"], "category");

    let again = server
        .send("POST", "/api/v1/imports/products", &source, PRODUCTS)
        .json();
    assert_eq!(
        (&again["imported"], &again["unchanged"]),
        (&0.into(), &2.into()),
        "{again}"
    );

    let comma = server
        .send("POST", "/api/v1/imports/prices", &source, "sku;price\nA1;1,05\n")
        .json();
    assert_eq!(comma["rejected"], 1, "{comma}");
    let declared = server
        .send(
            "POST",
            "/api/v1/imports/prices?decimal_comma=true",
            &source,
            "sku;price\nA1;1,05\n",
        )
        .json();
    assert_eq!(declared["imported"], 1, "{declared}");
}

#[test]
fn the_api_refuses_a_bad_header_an_unknown_kind_and_roles_that_may_not_send() {
    let server = Server::start();
    let source = server.bearer_source();
    let header = server.send(
        "POST",
        "/api/v1/imports/suppliers",
        &source,
        "code,name,colour\nS,N,red\n",
    );
    assert_eq!(header.status, 400, "{}", header.body);
    assert!(
        header.body.contains("line 1: colour: not a column of suppliers"),
        "{}",
        header.body
    );
    let unknown = server.send("POST", "/api/v1/imports/colours", &source, "a\n");
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let viewer = vec![("authorization", format!("Bearer {}", server.viewer_token))];
    let refused = server.send("POST", "/api/v1/imports/products", &viewer, PRODUCTS);
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// A multipart form as a browser sends the import page's.
fn upload_form(csrf: &str, kind: &str, file: &str) -> (String, String) {
    let boundary = "retexboundary7";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{kind}.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn an_admin_uploads_a_file_and_sees_each_refused_row_others_may_not() {
    let server = Server::start();
    let admin = server.login("admin");
    let page = server.send("GET", "/import", &[("cookie", admin.as_str())], "");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("name=\"file\"") && page.body.contains("lead_time_days"),
        "{}",
        page.body
    );
    let queue = server.send("GET", "/queue", &[("cookie", admin.as_str())], "");
    assert!(
        queue.body.contains("href=\"/import\""),
        "admins find the page in the menu"
    );

    let (content_type, body) = upload_form(&server.csrf(&admin), "products", PRODUCTS);
    let headers = [("cookie", admin.as_str()), ("content-type", content_type.as_str())];
    let uploaded = server.send("POST", "/import", &headers, &body);
    assert_eq!(uploaded.status, 200, "{}", uploaded.body);
    assert!(uploaded.body.contains("products.csv: 3 rows"), "{}", uploaded.body);
    assert!(
        uploaded.body.contains("Imported <strong>2</strong>"),
        "{}",
        uploaded.body
    );
    assert!(
        uploaded.body.contains("<td>3</td><td><code>category</code></td>"),
        "{}",
        uploaded.body
    );

    let (content_type, stale) = upload_form("not-the-token", "products", PRODUCTS);
    let headers = [("cookie", admin.as_str()), ("content-type", content_type.as_str())];
    assert_eq!(server.send("POST", "/import", &headers, &stale).status, 403);

    let lead = server.login("lead");
    assert_eq!(
        server.send("GET", "/import", &[("cookie", lead.as_str())], "").status,
        403
    );
    let lead_queue = server.send("GET", "/queue", &[("cookie", lead.as_str())], "");
    assert!(!lead_queue.body.contains("href=\"/import\""));
}
