//! The rules page: the active rules file, read-only, with the version the engine runs.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use retex_core::rules::workflow::hide_password;

use super::page::{PageUser, UserBar, page, shown};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    user: Option<UserBar>,
    notice: Option<String>,
    version: String,
    text: String,
}

pub(super) async fn rules_page(State(state): State<Arc<AppState>>, user: PageUser) -> Response {
    let text = without_secrets(&state.rules_text);
    shown(
        state
            .read(move |engine| {
                page(&RulesPage {
                    user: UserBar::of(&user),
                    notice: None,
                    version: engine.rules_version().to_owned(),
                    text,
                })
            })
            .await,
    )
}

/// The rules file with the value of every `secret = ...` line and the password of every URL hidden: a
/// webhook's signing key and an SMTP login are not for every reader of the rules.
fn without_secrets(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or_default().trim();
        if key == "secret" && line.contains('=') {
            let indent = &line[..line.len() - line.trim_start().len()];
            shown.push_str(indent);
            shown.push_str("secret = \"(hidden)\"");
        } else {
            shown.push_str(&hide_password(line));
        }
        shown.push('\n');
    }
    shown
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_hidden_and_everything_else_is_shown() {
        let text = "[[actions]]\ntarget = \"https://hooks\"\n  secret = \"s3cret\"\nsecret_env = \"HOOK_KEY\"\n\
                    [notify.email]\nurl = \"smtp://retex:pa55@mail.shop:587\"\n";
        assert_eq!(
            super::without_secrets(text),
            "[[actions]]\ntarget = \"https://hooks\"\n  secret = \"(hidden)\"\nsecret_env = \"HOOK_KEY\"\n\
             [notify.email]\nurl = \"smtp://retex:(hidden)@mail.shop:587\"\n"
        );
    }
}
