//! The import page (admins): upload a spreadsheet of products, locations, suppliers, prices or counts and see
//! what became of each row.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use retex_core::import::ImportKind;

use super::page::{PageUser, UserBar, check_csrf, page, require_admin, shown};
use crate::error::{Failure, Outcome};
use crate::import::{ImportReport, import_csv};
use crate::state::AppState;

/// A kind of file and the columns it takes.
struct KindColumns {
    name: &'static str,
    required: String,
    optional: String,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    user: Option<UserBar>,
    notice: Option<String>,
    csrf: String,
    kinds: Vec<KindColumns>,
    /// The file just imported and what became of it.
    imported: Option<(String, ImportReport)>,
}

impl ImportPage {
    fn new(user: &PageUser, imported: Option<(String, ImportReport)>) -> Self {
        let kinds = ImportKind::ALL
            .iter()
            .map(|kind| {
                let columns = |wanted: bool| {
                    kind.column_names()
                        .filter(|(_, required)| *required == wanted)
                        .map(|(name, _)| name)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                KindColumns {
                    name: kind.name(),
                    required: columns(true),
                    optional: columns(false),
                }
            })
            .collect();
        Self {
            user: UserBar::of(user),
            notice: None,
            csrf: user.csrf.clone(),
            kinds,
            imported,
        }
    }
}

pub(super) async fn import_page(user: PageUser) -> Response {
    shown(require_admin(&user, "import").and_then(|()| page(&ImportPage::new(&user, None))))
}

/// The upload form: a CSRF token, the kind, the decimal comma flag and one file.
pub(super) async fn upload(State(state): State<Arc<AppState>>, user: PageUser, form: Multipart) -> Response {
    let imported = async {
        require_admin(&user, "import")?;
        let upload = read_upload(form).await?;
        check_csrf(&user, &upload.csrf)?;
        let kind = ImportKind::from_name(&upload.kind).ok_or_else(|| {
            Failure::bad_request(format!(
                "kind: {} is not one of {}",
                upload.kind,
                ImportKind::NAMES.join(", ")
            ))
        })?;
        let report = import_csv(&state, kind, upload.bytes, upload.decimal_comma).await?;
        page(&ImportPage::new(&user, Some((upload.file_name, report))))
    }
    .await;
    shown(imported)
}

#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    decimal_comma: bool,
    file_name: String,
    bytes: Vec<u8>,
}

async fn read_upload(mut form: Multipart) -> Outcome<Upload> {
    let mut upload = Upload::default();
    let mut has_file = false;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|error| Failure::bad_request(format!("the upload is malformed: {error}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                upload.file_name = field.file_name().unwrap_or("upload.csv").to_owned();
                upload.bytes = field
                    .bytes()
                    .await
                    .map_err(|error| Failure::bad_request(format!("file: {error}")))?
                    .to_vec();
                has_file = true;
            }
            "csrf" | "kind" | "decimal_comma" => {
                let text = field
                    .text()
                    .await
                    .map_err(|error| Failure::bad_request(format!("{name}: {error}")))?;
                match name.as_str() {
                    "csrf" => upload.csrf = text,
                    "kind" => upload.kind = text,
                    _ => upload.decimal_comma = !text.is_empty(),
                }
            }
            _ => {}
        }
    }
    if !has_file {
        return Err(Failure::bad_request("file: choose a CSV file to import"));
    }
    Ok(upload)
}
