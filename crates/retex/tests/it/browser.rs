//! The web UI in a real browser: runs `tests/browser` (node's test runner, playwright-core, Debian's
//! headless Chromium) against this build's `retex` binary. Skipped unless `RETEX_TEST_BROWSER` is set, as
//! `.ci/run` does after installing Chromium and the npm packages; when it is set, anything missing fails.

use std::path::Path;
use std::process::Command;

#[test]
fn the_web_ui_works_in_headless_chromium() {
    if std::env::var_os("RETEX_TEST_BROWSER").is_none() {
        eprintln!("browser tests skipped: set RETEX_TEST_BROWSER=1 (needs Chromium and `npm ci` in tests/browser)");
        return;
    }
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "RETEX_TEST_BROWSER is set but there is no Chromium at {chromium}"
    );
    assert!(
        suite.join("node_modules/playwright-core").exists(),
        "RETEX_TEST_BROWSER is set but playwright-core is not installed: run `npm ci` in {}",
        suite.display()
    );
    let output = Command::new("node")
        .arg("--test")
        .current_dir(&suite)
        .env("RETEX_BIN", env!("CARGO_BIN_EXE_retex"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("run node (is Node.js installed?)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "browser tests failed:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let count = |label: &str| {
        report
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .and_then(|count| count.trim().parse::<u32>().ok())
    };
    let tests = count("# tests ");
    assert!(tests.is_some_and(|tests| tests >= 6), "{report}");
    assert_eq!(count("# pass "), tests, "{report}");
}
