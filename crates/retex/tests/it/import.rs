//! `retex import`: spreadsheets of master data and counts, row by row, on a real SQLite file.

use std::path::Path;

use crate::{all_exceptions, retex, stderr, stdout};

fn import(db: &str, kind: &str, file: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["import", kind, file.to_str().unwrap(), "--db", db];
    args.extend_from_slice(extra);
    retex(&args)
}

#[test]
fn bad_rows_are_named_by_line_and_column_and_the_good_ones_reach_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db").to_str().unwrap().to_owned();
    let products = dir.path().join("products.csv");
    // A spreadsheet saved in a locale with decimal commas: semicolons, a byte order mark, a quoted name.
    std::fs::write(
        &products,
        "\u{feff}sku;name;category;price\nA1;\"Apple; red\";Fruit;0,99\nB2;Bread;;2,00\nC3;Cheese;Dairy;lots\n",
    )
    .unwrap();

    let refused = import(&db, "products", &products, &[]);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    let name = products.display();
    let report = stderr(&refused);
    assert!(
        report.contains(&format!("{name}:2: price: `0,99` has a decimal comma")),
        "{report}"
    );
    assert!(
        report.contains(&format!("{name}:4: price: \"lots\" is not a decimal number")),
        "{report}"
    );

    let imported = import(&db, "products", &products, &["--decimal-comma"]);
    assert_eq!(imported.status.code(), Some(3));
    assert!(
        stderr(&imported).contains(&format!("{name}:3: category: missing")),
        "{}",
        stderr(&imported)
    );
    assert!(
        stdout(&imported).contains("3 rows: imported 1, unchanged 0, duplicates 0, rejected 2"),
        "{}",
        stdout(&imported)
    );

    // The imported price is the one the tills are held to.
    let sale = dir.path().join("sale.ndjson");
    std::fs::write(
        &sale,
        r#"{"id":"s1","source":"pos","type":"sale","at":"2026-11-02T10:00:00Z","location":"S1","sku":"A1","qty":1,"unit_price":1.49,"channel":"pos"}"#,
    )
    .unwrap();
    let sold = retex(&["ingest", "--db", &db, sale.to_str().unwrap()]);
    assert!(sold.status.success(), "{}", stderr(&sold));
    assert!(
        all_exceptions(&db).contains("price_mismatch"),
        "{}",
        all_exceptions(&db)
    );
}

#[test]
fn the_same_file_again_adds_nothing_and_a_value_changed_back_still_wins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db").to_str().unwrap().to_owned();
    let suppliers = dir.path().join("suppliers.csv");
    let write = |lead_time: &str| {
        std::fs::write(
            &suppliers,
            format!("code,name,lead_time_days\nSUP1,Acme,{lead_time}\nSUP2,Bolt,3\n"),
        )
        .unwrap();
    };
    let summary = |output: std::process::Output| {
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };

    write("5");
    assert!(summary(import(&db, "suppliers", &suppliers, &[])).contains("imported 2, unchanged 0"));
    assert!(summary(import(&db, "suppliers", &suppliers, &[])).contains("imported 0, unchanged 2"));
    write("7");
    assert!(summary(import(&db, "suppliers", &suppliers, &[])).contains("imported 1, unchanged 1"));
    write("5");
    assert!(summary(import(&db, "suppliers", &suppliers, &[])).contains("imported 1, unchanged 1"));
    assert!(summary(import(&db, "suppliers", &suppliers, &[])).contains("imported 0, unchanged 2"));
}

#[test]
fn counts_need_their_time_and_a_repeat_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db").to_str().unwrap().to_owned();
    let counts = dir.path().join("counts.csv");
    std::fs::write(&counts, "location,sku,counted\nS1,A1,3\n").unwrap();
    let refused = import(&db, "counts", &counts, &[]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        stderr(&refused).trim(),
        format!("error: {}:1: at: missing: counts need this column", counts.display())
    );

    std::fs::write(
        &counts,
        "location\tsku\tcounted\tat\nS1\tA1\t3\t2026-11-02T08:00:00Z\nS1\tA2\t-1\t2026-11-02T08:00:00Z\n",
    )
    .unwrap();
    let first = import(&db, "counts", &counts, &[]);
    assert_eq!(first.status.code(), Some(3));
    assert!(
        stderr(&first).contains(":3: counted: must not be negative"),
        "{}",
        stderr(&first)
    );
    assert!(stdout(&first).contains("imported 1, unchanged 0, duplicates 0, rejected 1"));
    let again = import(&db, "counts", &counts, &[]);
    assert!(
        stdout(&again).contains("imported 0, unchanged 0, duplicates 1, rejected 1"),
        "{}",
        stdout(&again)
    );
}
