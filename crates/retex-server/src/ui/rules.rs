//! The rules page: the active rules file, read-only, with the version the engine runs.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;

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
    let text = state.rules_text.clone();
    shown(
        state
            .read(move |live| {
                page(&RulesPage {
                    user: UserBar::of(&user),
                    notice: None,
                    version: live.engine().rules_version().to_owned(),
                    text,
                })
            })
            .await,
    )
}
