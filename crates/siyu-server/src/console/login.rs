//! Signing in and out, and the language switch.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use minijinja::context;
use serde::Deserialize;

use super::i18n::{self, Lang};
use super::{
    cookie, render, request_lang, set_cookie, ConsoleError, CsrfToken, Page, Session, LANG_COOKIE,
    SESSION_COOKIE,
};
use crate::crypto::random_token;
use crate::error::ApiError;
use crate::services::{self, Actor};
use crate::state::AppState;
use siyu_domain::Role;

/// Failed sign-ins are counted over this window.
const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Deserialize)]
pub(super) struct LoginForm {
    login: String,
    password: String,
}

fn login_page(
    state: &AppState,
    lang: Lang,
    csrf: &str,
    login: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    render(
        state,
        Page {
            template: "login.html",
            nav: "",
            lang,
            csrf,
            path: "/console/login",
            session: None,
            extra: context! { login => login, error => error },
        },
        status,
    )
}

/// `GET /console/login`.
pub(super) async fn form(
    State(state): State<AppState>,
    session: Result<Session, ConsoleError>,
    headers: HeaderMap,
    Extension(csrf): Extension<CsrfToken>,
) -> Response {
    if session.is_ok() {
        return Redirect::to("/console").into_response();
    }
    login_page(
        &state,
        request_lang(&headers),
        &csrf.0,
        "",
        None,
        StatusCode::OK,
    )
}

/// Parses an urlencoded form body, or says what is wrong with it.
pub(super) async fn parse_form<T: serde::de::DeserializeOwned>(
    req: Request,
    limit: usize,
) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(limit))?;
    serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| ApiError::InvalidBody(format!("the form is incomplete: {e}")))
}

/// `POST /console/login`: checks the throttle, then the password; on success starts a session.
pub(super) async fn submit(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    req: Request,
) -> Result<Response, ConsoleError> {
    let lang = request_lang(req.headers());
    let has_lang_cookie = cookie(req.headers(), LANG_COOKIE).is_some();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let fail = |e: ApiError| ConsoleError::page(&state, lang, e);
    let f: LoginForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(fail)?;
    let login = f.login.trim().to_ascii_lowercase();
    let now = state.now();
    let t = i18n::messages(lang);

    let max = state.config.login_max_failures;
    let (by_login, by_ip) =
        siyu_store::login_attempts::recent_failures(&state.store, &login, &ip, now - WINDOW_MS)
            .await
            .map_err(|e| fail(e.into()))?;
    if by_login >= max || by_ip >= max * 4 {
        return Ok(login_page(
            &state,
            lang,
            &csrf.0,
            &login,
            Some(t["login_throttled"]),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }

    let creds = siyu_store::staff::credentials(&state.store, &login)
        .await
        .map_err(|e| fail(e.into()))?;
    let usable = creds.as_ref().filter(|c| c.staff.disabled_at.is_none());
    let ok = crate::passwords::verify(f.password, usable.map(|c| c.password_hash.clone())).await;
    let Some(creds) = usable.filter(|_| ok) else {
        let mut tx = state.store.begin().await.map_err(|e| fail(e.into()))?;
        siyu_store::login_attempts::record_failure(&mut tx, &login, &ip, now)
            .await
            .map_err(|e| fail(e.into()))?;
        tx.commit().await.map_err(|e| fail(e.into()))?;
        if let Some(c) = &creds {
            services::audit_only(
                &state.store,
                c.staff.tenant_id.as_ref(),
                &Actor::Staff(c.staff.id.clone()),
                "login.failed",
                now,
            )
            .await
            .map_err(fail)?;
        }
        return Ok(login_page(
            &state,
            lang,
            &csrf.0,
            &login,
            Some(t["login_failed"]),
            StatusCode::UNAUTHORIZED,
        ));
    };

    let token = random_token();
    let ttl_ms = i64::try_from(state.config.session_ttl_hours).unwrap_or(12) * 3_600_000;
    let mut tx = state.store.begin().await.map_err(|e| fail(e.into()))?;
    siyu_store::sessions::insert(&mut tx, &token, &creds.staff.id, now, now + ttl_ms)
        .await
        .map_err(|e| fail(e.into()))?;
    siyu_store::login_attempts::clear(&mut tx, &login)
        .await
        .map_err(|e| fail(e.into()))?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    services::audit_only(
        &state.store,
        creds.staff.tenant_id.as_ref(),
        &Actor::Staff(creds.staff.id.clone()),
        "login",
        now,
    )
    .await
    .map_err(fail)?;

    let home = if creds.staff.role == Role::PlatformAdmin {
        "/console/platform"
    } else {
        "/console"
    };
    let mut resp = Redirect::to(home).into_response();
    let cookie_value = set_cookie(
        &state,
        SESSION_COOKIE,
        &state.keys.sign(&token),
        ttl_ms / 1000,
    );
    if let Ok(v) = cookie_value.parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    // The staff member's remembered language applies on this browser too.
    if let (false, Some(l)) = (has_lang_cookie, creds.staff.locale.as_deref()) {
        if let Ok(v) = set_cookie(&state, LANG_COOKIE, l, 86_400 * 365).parse() {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

/// `POST /console/logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, ConsoleError> {
    let fail = session.fail(&state);
    let mut tx = state.store.begin().await.map_err(|e| fail(e.into()))?;
    siyu_store::sessions::delete(&mut tx, &session.token)
        .await
        .map_err(|e| fail(e.into()))?;
    tx.commit().await.map_err(|e| fail(e.into()))?;
    services::audit_only(
        &state.store,
        session.staff.tenant_id.as_ref(),
        &session.actor(),
        "logout",
        state.now(),
    )
    .await
    .map_err(&fail)?;
    let mut resp = Redirect::to("/console/login").into_response();
    if let Ok(v) = set_cookie(&state, SESSION_COOKIE, "", 0).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Deserialize)]
pub(super) struct LangForm {
    lang: String,
    next: Option<String>,
}

/// `POST /console/lang`: remembers the language in a cookie and, when signed in, on the account.
pub(super) async fn switch_lang(
    State(state): State<AppState>,
    session: Result<Session, ConsoleError>,
    req: Request,
) -> Result<Response, ConsoleError> {
    let current = request_lang(req.headers());
    let f: LangForm = parse_form(req, state.config.body_limit_bytes)
        .await
        .map_err(|e| ConsoleError::page(&state, current, e))?;
    let lang = Lang::parse(&f.lang).ok_or_else(|| {
        ConsoleError::page(&state, current, ApiError::invalid("lang", "use zh or en"))
    })?;
    if let Ok(s) = &session {
        let mut tx = state
            .store
            .begin()
            .await
            .map_err(|e| ConsoleError::page(&state, lang, e.into()))?;
        siyu_store::staff::set_locale(&mut tx, &s.staff.id, lang.code())
            .await
            .map_err(|e| ConsoleError::page(&state, lang, e.into()))?;
        tx.commit()
            .await
            .map_err(|e| ConsoleError::page(&state, lang, e.into()))?;
    }
    // Only paths inside the console: never redirect elsewhere.
    let next = f
        .next
        .filter(|n| n.starts_with("/console") && !n.starts_with("//") && !n.contains("://"))
        .unwrap_or_else(|| "/console".into());
    let mut resp = Redirect::to(&next).into_response();
    if let Ok(v) = set_cookie(&state, LANG_COOKIE, lang.code(), 86_400 * 365).parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
