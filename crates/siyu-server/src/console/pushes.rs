//! Console pages for segments (a builder with live counts, member preview and CSV) and pushes
//! (compose, schedule, cancel, preview, and what each did), and the tracked link of a push.

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use serde::Deserialize;
use siyu_domain::Role;

use super::login::parse_form;
use super::templates::format_time;
use super::{page, PageResult, Session};
use crate::audience::segments;
use crate::error::ApiError;
use crate::pushes::{self, Content, NewPush};
use crate::state::AppState;

/// Members shown under the builder.
const PREVIEW: usize = 20;

/// `GET /p/{token}`: counts a read of a push's link and goes on to the content's link.
pub(super) async fn open_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let visitor = headers
        .get("x-forwarded-for")
        .or_else(|| headers.get(header::USER_AGENT))
        .and_then(|v| v.to_str().ok())
        .map(|v| state.keys.tag("push-visitor", v, 12))
        .unwrap_or_else(|| "anonymous".into());
    match crate::pushes::open_link(&state, &token, &visitor).await {
        Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn segments_page(
    state: &AppState,
    s: &Session,
    form: Value,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let mut rows = Vec::new();
    for seg in siyu_store::pushes::segments(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?
    {
        let count = segments::count_of(state, tenant, &seg)
            .await
            .map_or_else(|e| e.to_string(), |n| n.to_string());
        rows.push(context! { id => seg.id, name => seg.name, query => seg.query, count, updated => format_time(seg.updated_at) });
    }
    let tags = state
        .audiences
        .read(state, tenant, |i| i.tags())
        .await
        .map_err(&fail)?;
    let tags: Vec<Value> = tags
        .into_iter()
        .take(30)
        .map(|(name, n)| context! { name, n })
        .collect();
    Ok(page(
        state,
        s,
        "segments.html",
        "segments",
        context! { segments => rows, tags, form, error, can_edit => s.staff.role.can_view_admin() },
        status,
    ))
}

/// `GET /console/segments`.
pub(super) async fn segments_list(State(state): State<AppState>, s: Session) -> PageResult {
    segments_page(
        &state,
        &s,
        context! { name => "", query => "" },
        None,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub(super) struct CountForm {
    #[serde(default)]
    query: String,
}

/// `POST /console/segments/count` (htmx, as the merchant types): the count and a preview, or
/// where the query stops making sense.
pub(super) async fn segment_count(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    let tenant = s.tenant_id()?.clone();
    let f: CountForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let extra = if f.query.trim().is_empty() {
        context! { empty => true }
    } else {
        let q = serde_json::Value::String(f.query.clone());
        match segments::evaluate(&state, &tenant, &q, true).await {
            Ok(e) => {
                let members = e.members.unwrap_or_default();
                let preview: Vec<Value> = members
                    .iter()
                    .take(PREVIEW)
                    .map(|id| context! { id })
                    .collect();
                context! { count => e.count, query => e.query, preview, unknown => e.unknown }
            }
            Err(ApiError::Segment {
                message, position, ..
            }) => {
                let (before, after) = match position {
                    Some(p) => {
                        let at = f.query.char_indices().nth(p).map_or(f.query.len(), |c| c.0);
                        (
                            Some(f.query[..at].to_owned()),
                            Some(f.query[at..].to_owned()),
                        )
                    }
                    None => (None, None),
                };
                context! { error => message, position, before, after }
            }
            Err(e) => return Err(s.fail(&state)(e)),
        }
    };
    Ok(page(
        &state,
        &s,
        "segment_count.html",
        "segments",
        extra,
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub(super) struct SegmentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

/// `POST /console/segments`: saves a segment.
pub(super) async fn segment_save(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: SegmentForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let q = serde_json::Value::String(f.query.clone());
    match segments::create(&state, &tenant, &f.name, &q, &s.actor()).await {
        Ok(_) => Ok(Redirect::to("/console/segments").into_response()),
        Err(
            e
            @ (ApiError::Segment { .. } | ApiError::Validation { .. } | ApiError::Conflict { .. }),
        ) => {
            let status = e.status();
            let form = context! { name => f.name, query => f.query };
            segments_page(&state, &s, form, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

/// `GET /console/segments/{id}/members.csv`.
pub(super) async fn segment_csv(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(&state);
    let seg = siyu_store::pushes::segment(&state.store, tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let csv = segments::members_csv(&state, tenant, &seg)
        .await
        .map_err(&fail)?;
    Ok(super::attachment(
        "text/csv; charset=utf-8",
        &format!("segment-{}.csv", seg.id),
        csv,
    ))
}

fn status_label(status: &str) -> String {
    format!("push_status_{status}")
}

async fn pushes_page(
    state: &AppState,
    s: &Session,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let mut rows = Vec::new();
    let (mut names, mut delivered, mut reads, mut unfollows) = (vec![], vec![], vec![], vec![]);
    let list = siyu_store::pushes::pushes(&state.store, tenant, 100)
        .await
        .map_err(|e| fail(e.into()))?;
    let segs = siyu_store::pushes::segments(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    for p in list.iter().rev() {
        let m = pushes::measures(state, tenant, p).await.map_err(&fail)?;
        let content: Content =
            serde_json::from_str(&p.content).map_err(|_| fail(ApiError::Internal))?;
        let seg = segs
            .iter()
            .find(|x| Some(&x.id) == p.segment_id.as_ref())
            .map(|x| x.name.clone());
        names.push(format_time(p.send_at));
        delivered.push(m.delivered.unwrap_or(0));
        reads.push(m.reads);
        unfollows.push(m.unfollows_72h);
        rows.push(context! {
            id => p.id, status => status_label(&p.status), mode => p.mode, summary => content.summary(), segment => seg,
            send_at => format_time(p.send_at), audience => m.audience_size, delivered => m.delivered, reads => m.reads,
            orders => m.orders, unfollows => m.unfollows_72h, excess => m.excess_unfollows_72h,
        });
    }
    rows.reverse();
    let accounts = siyu_store::wechat_accounts::list(&state.store, tenant)
        .await
        .map_err(|e| fail(e.into()))?;
    let mass_remaining = match accounts.first() {
        Some(a) => Some(pushes::mass_remaining(state, &a.id).await.map_err(&fail)?),
        None => None,
    };
    let segments: Vec<Value> = segs
        .into_iter()
        .map(|x| context! { id => x.id, name => x.name })
        .collect();
    let chart = context! { names, delivered, reads, unfollows };
    Ok(page(
        state,
        s,
        "pushes.html",
        "pushes",
        context! { pushes => rows, segments, chart, mass_remaining, mass_per_month => pushes::MASS_PER_MONTH,
        has_account => !accounts.is_empty(), error, can_edit => s.staff.role.can_view_admin() },
        status,
    ))
}

/// `GET /console/pushes`.
pub(super) async fn pushes_list(State(state): State<AppState>, s: Session) -> PageResult {
    pushes_page(&state, &s, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub(super) struct PushForm {
    #[serde(default)]
    segment_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    cover_url: String,
    #[serde(default)]
    send_at: String,
}

/// Parses `2026-11-23T18:30` (China time, as a datetime-local field sends it) to Unix ms.
fn parse_local(s: &str) -> Result<Option<i64>, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid("send_at", "give a date and time like 2026-11-23T18:30");
    let (date, time) = s.split_once('T').ok_or_else(bad)?;
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [y, m, day] = d[..] else {
        return Err(bad());
    };
    let (hh, mm) = match t[..] {
        [h, m] | [h, m, _] => (h, m),
        _ => return Err(bad()),
    };
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hh)
        || !(0..60).contains(&mm)
    {
        return Err(bad());
    }
    Ok(Some(siyu_domain::calendar::from_china_time(
        y, m, day, hh, mm,
    )))
}

/// `POST /console/pushes`: schedules a push.
pub(super) async fn push_create(
    State(state): State<AppState>,
    s: Session,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: PushForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let result = async {
        let opt = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let content = match f.kind.as_str() {
            "news" => Content::News {
                title: f.title.trim().to_owned(),
                cover_url: opt(&f.cover_url),
                digest: opt(&f.digest),
                url: f.url.trim().to_owned(),
            },
            _ => Content::Text {
                text: f.text.trim().to_owned(),
            },
        };
        let input = NewPush {
            segment_id: opt(&f.segment_id),
            wechat_tag_id: None,
            content,
            send_at: parse_local(&f.send_at)?,
            account_id: None,
        };
        pushes::create(&state, &tenant, input, &s.actor()).await
    }
    .await;
    match result {
        Ok(p) => Ok(Redirect::to(&format!("/console/pushes/{}", p.id)).into_response()),
        Err(
            e @ (ApiError::Validation { .. }
            | ApiError::Conflict { .. }
            | ApiError::Segment { .. }
            | ApiError::Upstream(_)),
        ) => {
            let status = e.status();
            pushes_page(&state, &s, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

async fn push_page(
    state: &AppState,
    s: &Session,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let tenant = s.tenant_id()?;
    let fail = s.fail(state);
    let p = siyu_store::pushes::push(&state.store, tenant, id)
        .await
        .map_err(|e| fail(e.into()))?;
    let m = pushes::measures(state, tenant, &p).await.map_err(&fail)?;
    let content: Content =
        serde_json::from_str(&p.content).map_err(|_| fail(ApiError::Internal))?;
    let seg = match &p.segment_id {
        Some(sid) => siyu_store::pushes::segment(&state.store, tenant, sid)
            .await
            .ok()
            .map(|x| context! { id => x.id, name => x.name, query => x.query }),
        None => None,
    };
    let counts = siyu_store::pushes::recipient_counts(&state.store, &p.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let push = context! {
        id => p.id, status => status_label(&p.status), raw_status => p.status, mode => p.mode, summary => content.summary(),
        content => serde_json::to_value(&content).unwrap_or_default(),
        send_at => format_time(p.send_at), delivered_at => p.delivered_at.map(format_time), error => p.error,
        cancellable => p.status == "scheduled",
    };
    let measures = serde_json::to_value(&m).unwrap_or_default();
    let revenue = siyu_domain::Fen(m.revenue_fen).to_string();
    Ok(page(
        state,
        s,
        "push.html",
        "pushes",
        context! { push, measures, revenue, segment => seg, recipients => counts, notice, error, can_edit => s.staff.role.can_view_admin() },
        status,
    ))
}

/// `GET /console/pushes/{id}`.
pub(super) async fn push_detail(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    push_page(&state, &s, &id, None, None, StatusCode::OK).await
}

/// `POST /console/pushes/{id}/cancel`.
pub(super) async fn push_cancel(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    match pushes::cancel(&state, &tenant, &id, &s.actor()).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/pushes/{id}")).into_response()),
        Err(e @ ApiError::Conflict { .. }) => {
            let status = e.status();
            push_page(&state, &s, &id, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(s.fail(&state)(e)),
    }
}

#[derive(Deserialize)]
pub(super) struct PreviewForm {
    #[serde(default)]
    openid: String,
}

/// `POST /console/pushes/{id}/preview`: sends the content to a test fan.
pub(super) async fn push_preview(
    State(state): State<AppState>,
    s: Session,
    Path(id): Path<String>,
    req: Request,
) -> PageResult {
    s.require(&state, Role::can_view_admin)?;
    let tenant = s.tenant_id()?.clone();
    let f: PreviewForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(s.fail(&state))?;
    let fail = s.fail(&state);
    let p = siyu_store::pushes::push(&state.store, &tenant, &id)
        .await
        .map_err(|e| fail(e.into()))?;
    let t = super::i18n::messages(s.lang);
    match pushes::preview(&state, &tenant, &p, &f.openid).await {
        Ok(()) => {
            let notice = format!("{} {}", t["push_preview_sent"], f.openid.trim());
            push_page(&state, &s, &id, Some(notice), None, StatusCode::OK).await
        }
        Err(e @ (ApiError::Validation { .. } | ApiError::Upstream(_))) => {
            let status = e.status();
            push_page(&state, &s, &id, None, Some(e.to_string()), status).await
        }
        Err(e) => Err(fail(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_are_china_time() {
        // 2026-11-23 08:00 in China is 00:00 UTC.
        assert_eq!(
            parse_local("2026-11-23T08:00").ok().flatten(),
            Some(1_795_392_000_000)
        );
        assert!(parse_local("2026-13-01T00:00").is_err());
        assert!(parse_local("tomorrow").is_err());
        assert_eq!(parse_local("").ok().flatten(), None);
    }
}
