//! The merchant console: server-rendered pages with htmx, Chinese first with an English switch.

mod channels;
mod draws;
mod fans;
pub mod i18n;
mod imports;
mod login;
mod membership;
mod menu;
mod pages;
mod platform;
mod pushes;
mod replies;
mod session;
pub mod templates;
mod vouchers;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::{context, Value};

use crate::crypto::random_token;
use crate::error::ApiError;
use crate::state::AppState;
use i18n::Lang;
pub use session::Session;

const CSRF_COOKIE: &str = "siyu_csrf";
const SESSION_COOKIE: &str = "siyu_session";
const LANG_COOKIE: &str = "siyu_lang";

/// The console's routes, under `/console`.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(pages::dashboard))
        .route("/console/login", get(login::form).post(login::submit))
        .route("/console/logout", post(login::logout))
        .route("/console/lang", post(login::switch_lang))
        .route(
            "/console/staff",
            get(pages::staff).post(pages::create_staff),
        )
        .route("/console/staff/{id}/disable", post(pages::disable_staff))
        .route("/console/audit", get(pages::audit))
        .route("/console/audit/rows", get(pages::audit_rows))
        .route(
            "/console/settings",
            get(pages::settings).post(pages::rename),
        )
        .route("/console/settings/keys", post(pages::create_key))
        .route(
            "/console/settings/keys/{id}/revoke",
            post(pages::revoke_key),
        )
        .route("/console/wechat", get(fans::wechat).post(fans::connect))
        .route(
            "/console/wechat/{id}/menu",
            get(menu::edit).post(menu::save),
        )
        .route("/console/wechat/{id}/sync", post(menu::sync))
        .route("/console/wechat/{id}/replies", get(replies::edit))
        .route(
            "/console/wechat/{id}/replies/rules",
            post(replies::add_rule),
        )
        .route(
            "/console/wechat/{id}/replies/rules/{rule}/delete",
            post(replies::delete_rule),
        )
        .route("/console/wechat/{id}/replies/kb", post(replies::add_entry))
        .route(
            "/console/wechat/{id}/replies/kb/{entry}/delete",
            post(replies::delete_entry),
        )
        .route(
            "/console/wechat/{id}/replies/fallback",
            post(replies::set_fallback),
        )
        .route("/console/wechat/{id}/replies/try", post(replies::try_it))
        .route(
            "/console/channels",
            get(channels::list).post(channels::create),
        )
        .route("/console/me", get(channels::me))
        .route("/console/me/channel", post(channels::make_mine))
        .route("/console/channels/{id}", get(channels::detail))
        .route("/console/channels/{id}/welcome", post(channels::welcome))
        .route("/console/channels/{id}/qr.png", get(channels::qr_png))
        .route("/console/channels/{id}/qr.svg", get(channels::qr_svg))
        .route("/console/channels/batch", post(channels::create_batch))
        .route(
            "/console/channel-batches/{id}/codes.zip",
            get(channels::batch_zip),
        )
        .route(
            "/console/channel-batches/{id}/codes.pdf",
            get(channels::batch_pdf),
        )
        .route(
            "/console/channels/{id}/poster.svg",
            get(channels::poster_svg),
        )
        .route(
            "/console/channels/{id}/poster.png",
            get(channels::poster_png),
        )
        .route(
            "/console/vouchers",
            get(vouchers::list).post(vouchers::create),
        )
        .route(
            "/console/redeem",
            get(vouchers::redeem_form).post(vouchers::redeem),
        )
        .route("/console/fans", get(fans::fans))
        .route("/console/conflicts", get(fans::conflicts))
        .route("/console/fans/{id}", get(fans::fan))
        .route("/console/fans/{id}/tags", post(fans::tags))
        .route("/console/fans/{id}/consents", post(fans::consents))
        .route("/console/fans/{id}/export", get(fans::export))
        .route("/console/fans/{id}/erase", post(fans::erase))
        .route("/console/fans/{id}/card", post(membership::issue))
        .route(
            "/console/membership",
            get(membership::program).post(membership::save_program),
        )
        .route("/console/member", get(membership::member))
        .route(
            "/console/imports",
            get(imports::page_get).post(imports::upload),
        )
        .route("/h5/card/{signed}", get(membership::h5_card))
        .route("/p/{token}", get(pushes::open_link))
        .route("/console/draws", get(draws::list).post(draws::create))
        .route("/console/draws/{id}", get(draws::detail))
        .route("/console/draws/{id}/close", post(draws::close))
        .route("/console/draws/{id}/export.json", get(draws::export))
        .route("/h5/draw/{signed}", get(draws::h5).post(draws::h5_enter))
        .route("/h5/voucher/{code}", get(vouchers::h5_voucher))
        .route(
            "/console/segments",
            get(pushes::segments_list).post(pushes::segment_save),
        )
        .route("/console/segments/count", post(pushes::segment_count))
        .route(
            "/console/segments/{id}/members.csv",
            get(pushes::segment_csv),
        )
        .route(
            "/console/pushes",
            get(pushes::pushes_list).post(pushes::push_create),
        )
        .route("/console/pushes/{id}", get(pushes::push_detail))
        .route("/console/pushes/{id}/cancel", post(pushes::push_cancel))
        .route("/console/pushes/{id}/preview", post(pushes::push_preview))
        .route("/console/member/points", post(membership::points))
        .route("/console/merges/{id}/undo", post(fans::undo_merge))
        .route("/console/platform", get(platform::tenants))
        .route("/console/platform/tenants", post(platform::create_tenant))
        .layer(axum::middleware::from_fn_with_state(state, csrf))
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A file to download: its content type, the name it is saved under, and its bytes.
pub fn attachment(content_type: &str, filename: &str, body: impl Into<Body>) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", filename.replace('"', ""));
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body.into(),
    )
        .into_response()
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when served over https.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> String {
    let secure = state
        .config
        .public_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The CSRF token of this request (double-submit: a signed cookie and a form field).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Issues the CSRF cookie and refuses any state-changing request whose form field or
/// `x-csrf-token` header does not match it.
async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .and_then(|v| state.keys.verify(v))
        .map(str::to_owned);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(random_token);
    let lang = request_lang(req.headers());
    let mut req = req;
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let header_ok = req
            .headers()
            .get("x-csrf-token")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h == token);
        if header_ok && !fresh {
            // A script's request (an upload) carries the token in the header: its body is
            // not read here, so a large file streams through to the handler.
            req.extensions_mut().insert(CsrfToken(token.clone()));
            return next.run(req).await;
        }
        let (parts, body) = req.into_parts();
        let bytes = match axum::body::to_bytes(body, state.config.body_limit_bytes).await {
            Ok(b) => b,
            Err(_) => {
                return error_page(
                    &state,
                    lang,
                    &ApiError::PayloadTooLarge(state.config.body_limit_bytes),
                )
            }
        };
        let form_ok = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
            .ok()
            .is_some_and(|f| f.iter().any(|(k, v)| k == "csrf" && *v == token));
        if fresh || !(header_ok || form_ok) {
            return error_page(&state, lang, &ApiError::CsrfFailed);
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        if let Ok(v) =
            set_cookie(&state, CSRF_COOKIE, &state.keys.sign(&token), 86_400 * 30).parse()
        {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The language chosen by cookie, else Chinese.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

/// What every page's template receives, plus the page's own values in `extra`.
pub struct Page<'a> {
    /// Template file.
    pub template: &'a str,
    /// Which nav item is highlighted.
    pub nav: &'a str,
    /// Language.
    pub lang: Lang,
    /// CSRF token for forms.
    pub csrf: &'a str,
    /// The current path, for the language switch to return to.
    pub path: &'a str,
    /// The signed-in user, if any.
    pub session: Option<&'a Session>,
    /// Page-specific values.
    pub extra: Value,
}

/// Renders a page with the shared context.
pub fn render(state: &AppState, page: Page<'_>, status: StatusCode) -> Response {
    let other = if page.lang == Lang::Zh { "en" } else { "zh" };
    let (user, tenant_name) = match page.session {
        Some(s) => (
            Some(
                context! { id => s.staff.id.to_string(), login => s.staff.login.clone(), role => s.staff.role.as_str() },
            ),
            s.tenant.as_ref().map(|t| t.name.clone()),
        ),
        None => (None, None),
    };
    let base = context! {
        t => i18n::messages(page.lang),
        lang_html => page.lang.html(),
        other_lang => other,
        csrf => page.csrf,
        path => page.path,
        nav => page.nav,
        user => user,
        tenant_name => tenant_name,
    };
    let ctx = context! { ..page.extra, ..base };
    match state.templates.render(page.template, ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// What console handlers return: a page, or a redirect / error page.
pub type PageResult = Result<Response, ConsoleError>;

/// Renders a page for a signed-in staff member.
pub fn page(
    state: &AppState,
    s: &Session,
    template: &str,
    nav: &str,
    extra: Value,
    status: StatusCode,
) -> Response {
    render(
        state,
        Page {
            template,
            nav,
            lang: s.lang,
            csrf: &s.csrf,
            path: &s.path,
            session: Some(s),
            extra,
        },
        status,
    )
}

/// An error as an HTML page in the visitor's language, with the same status the API would use.
pub fn error_page(state: &AppState, lang: Lang, e: &ApiError) -> Response {
    let message = match e {
        ApiError::Forbidden => i18n::messages(lang)["forbidden"].to_owned(),
        other => other.to_string(),
    };
    let token = random_token();
    render(
        state,
        Page {
            template: "error.html",
            nav: "",
            lang,
            csrf: &token,
            path: "/console",
            session: None,
            extra: context! { message => message },
        },
        e.status(),
    )
}

/// A console handler's error: a redirect to the sign-in form, or a rendered error page.
#[derive(Debug)]
pub enum ConsoleError {
    /// Not signed in.
    SignIn,
    /// Signed in as a platform admin on a merchant page.
    Platform,
    /// An error page, already rendered.
    Page(Box<Response>),
}

impl ConsoleError {
    /// Renders `e` as an error page in `lang`.
    pub fn page(state: &AppState, lang: Lang, e: ApiError) -> Self {
        ConsoleError::Page(Box::new(error_page(state, lang, &e)))
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        match self {
            ConsoleError::SignIn => Redirect::to("/console/login").into_response(),
            ConsoleError::Platform => Redirect::to("/console/platform").into_response(),
            ConsoleError::Page(r) => *r,
        }
    }
}
