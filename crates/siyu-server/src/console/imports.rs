//! Imports in the console: upload a Taobao, JD, Weibo or POS export and see what it did (or
//! would do, for a dry run), row errors by line and column. The same pipeline as `siyu import`.

use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use futures_util::StreamExt;
use minijinja::context;
use serde::Deserialize;
use siyu_domain::Role;
use tokio::io::AsyncWriteExt;

use super::i18n;
use super::{page, PageResult, Session};
use crate::error::ApiError;
use crate::identity::import::run_file;
use crate::state::AppState;

/// The largest file the console takes; bigger exports go through `siyu import`.
const MAX_UPLOAD: usize = 32 * 1024 * 1024;

const PRESETS: &[&str] = &[
    "taobao-orders",
    "jd-orders",
    "weibo-followers",
    "pos-members",
];

/// `GET /console/imports`.
pub(super) async fn page_get(State(state): State<AppState>, s: Session) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    Ok(page(
        &state,
        &s,
        "imports.html",
        "imports",
        context! { presets => PRESETS, max_mb => MAX_UPLOAD / 1024 / 1024 },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    preset: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    dry_run: Option<String>,
}

/// `POST /console/imports?preset=…&name=…[&dry_run=1]` with the file as the body (sent by the
/// page's script with the CSRF header): answers with an HTML fragment of the outcome.
pub(super) async fn upload(
    State(state): State<AppState>,
    s: Session,
    Query(q): Query<UploadQuery>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let t = i18n::messages(s.lang);
    let fragment = |status: StatusCode, ctx| -> PageResult {
        let html = state
            .templates
            .render("import_result.html", ctx)
            .map_err(s.fail(&state))?;
        Ok((status, Html(html)).into_response())
    };
    let Some(preset) = siyu_import::Preset::parse(&q.preset) else {
        return fragment(
            StatusCode::UNPROCESSABLE_ENTITY,
            context! { t, error => format!("preset: {}", t["import_pick_preset"]) },
        );
    };
    let name: String = q
        .name
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(120)
        .collect();
    let name = if name.trim().is_empty() {
        "upload".to_owned()
    } else {
        name
    };
    // Stream the body to a private temporary file, refusing more than the limit.
    let dir = std::env::temp_dir().join(format!("siyu-import-{}", crate::crypto::random_token()));
    let saved = async {
        tokio::fs::create_dir_all(&dir).await?;
        let path = dir.join(&name);
        let mut f = tokio::fs::File::create(&path).await?;
        let mut stream = req.into_body().into_data_stream();
        let mut total = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(std::io::Error::other)?;
            total += chunk.len();
            if total > MAX_UPLOAD {
                return Ok(None);
            }
            f.write_all(&chunk).await?;
        }
        f.flush().await?;
        Ok::<_, std::io::Error>(Some((path, total)))
    }
    .await;
    let result = match saved {
        Ok(None) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::PayloadTooLarge(MAX_UPLOAD).to_string(),
        )),
        Ok(Some((_, 0))) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            t["import_empty"].to_owned(),
        )),
        Err(e) => {
            tracing::error!(error = %e, "cannot store an upload");
            Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                ApiError::Internal.to_string(),
            ))
        }
        Ok(Some((path, _))) => {
            let dry_run = q
                .dry_run
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "0");
            match siyu_import::read(&path, preset.spec(), &siyu_import::OpenOptions::default()) {
                Err(e) => Err((StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
                Ok(records) => {
                    // The import runs to the end even if the browser goes away.
                    let (st, tn, nm, actor) =
                        (state.clone(), tenant.clone(), name.clone(), s.actor());
                    let task = tokio::spawn(async move {
                        run_file(
                            &st,
                            &tn,
                            records,
                            &nm,
                            preset,
                            dry_run,
                            &actor,
                            &|_, _, _| {},
                        )
                        .await
                    });
                    match task.await {
                        Ok(Ok(report)) => Ok(report),
                        Ok(Err(e)) => Err((StatusCode::UNPROCESSABLE_ENTITY, e)),
                        Err(_) => Err((
                            StatusCode::INTERNAL_SERVER_ERROR,
                            ApiError::Internal.to_string(),
                        )),
                    }
                }
            }
        }
    };
    let _ = tokio::fs::remove_dir_all(&dir).await;
    match result {
        Err((status, error)) => fragment(status, context! { t, error }),
        Ok(report) => {
            let sm = &report.summary;
            let errors: Vec<_> = sm
                .errors
                .iter()
                .take(200)
                .map(|e| context! { line => e.line, field => e.field, message => e.message })
                .collect();
            let a = &report.applied;
            fragment(
                StatusCode::OK,
                context! { t, file => name, dry_run => report.dry_run, rows => sm.rows, imported => a.imported, rejected => sm.rejected,
                created => a.created, merged => a.merged, orders => a.orders, unchanged => a.imported - a.changed, errors,
                more_errors => sm.error_count > errors_len(sm) },
            )
        }
    }
}

fn errors_len(s: &siyu_import::Summary) -> u64 {
    s.errors.len().min(200) as u64
}
