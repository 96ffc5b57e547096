//! `retex odoo pull` on the command line: what it says when Odoo cannot be read (the pull itself is tested
//! against a fake Odoo in the retex-odoo crate).

use crate::{retex, stderr};

#[test]
fn an_unreachable_odoo_is_one_line_and_exit_2_and_a_bad_mapping_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("retex.db");
    let password = dir.path().join("password");
    std::fs::write(&password, "secret\n").unwrap();
    let pull = |extra: &[&str]| {
        let mut args = vec![
            "odoo",
            "pull",
            "--db",
            db.to_str().unwrap(),
            "--url",
            "http://127.0.0.1:9",
        ];
        args.extend([
            "--database",
            "shop",
            "--user",
            "admin",
            "--password-file",
            password.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        retex(&args)
    };
    let unreachable = pull(&[]);
    assert_eq!(unreachable.status.code(), Some(2), "{}", stderr(&unreachable));
    let message = stderr(&unreachable);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("error: cannot reach Odoo at http://127.0.0.1:9: "),
        "{message}"
    );

    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[locations]\nS01 = \"shop\"\n").unwrap();
    let refused = pull(&["--mapping", mapping.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("locations.S01: \"shop\" is not store, warehouse or web"),
        "{}",
        stderr(&refused)
    );
}
