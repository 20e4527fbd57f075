//! The signed-in staff member, from the session cookie.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use siyu_domain::{Role, TenantId};
use siyu_store::staff::Staff;
use siyu_store::tenants::Tenant;

use super::i18n::Lang;
use super::{cookie, request_lang, ConsoleError, CsrfToken, LANG_COOKIE, SESSION_COOKIE};
use crate::error::ApiError;
use crate::services::Actor;
use crate::state::AppState;

/// A console request from a signed-in, enabled staff member.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is signed in.
    pub staff: Staff,
    /// Their tenant (`None` for platform admins).
    pub tenant: Option<Tenant>,
    /// The session token, to sign out.
    pub token: String,
    /// Console language.
    pub lang: Lang,
    /// CSRF token for forms on the page.
    pub csrf: String,
    /// The request path.
    pub path: String,
}

impl Session {
    /// The actor for the audit log.
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.staff.id.clone())
    }

    /// The tenant this merchant page works on; platform admins are sent to their own pages.
    pub fn tenant_id(&self) -> Result<&TenantId, ConsoleError> {
        self.tenant
            .as_ref()
            .map(|t| &t.id)
            .ok_or(ConsoleError::Platform)
    }

    /// Fails with a 403 page unless `allowed(role)`.
    pub fn require(&self, state: &AppState, allowed: fn(Role) -> bool) -> Result<(), ConsoleError> {
        if allowed(self.staff.role) {
            Ok(())
        } else {
            Err(ConsoleError::page(state, self.lang, ApiError::Forbidden))
        }
    }

    /// Wraps an API error as this session's error page.
    pub fn fail(&self, state: &AppState) -> impl Fn(ApiError) -> ConsoleError + '_ {
        let state = state.clone();
        move |e| ConsoleError::page(&state, self.lang, e)
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ConsoleError> {
        let lang = request_lang(&parts.headers);
        let fail = |e: siyu_store::StoreError| ConsoleError::page(state, lang, e.into());
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .and_then(|v| state.keys.verify(v))
            .ok_or(ConsoleError::SignIn)?
            .to_owned();
        let staff_id = siyu_store::sessions::lookup(&state.store, &token, state.now())
            .await
            .map_err(fail)?
            .ok_or(ConsoleError::SignIn)?;
        let staff = siyu_store::staff::get_any(&state.store, &staff_id)
            .await
            .map_err(fail)?;
        let tenant = match &staff.tenant_id {
            Some(t) => Some(
                siyu_store::tenants::get(&state.store, t)
                    .await
                    .map_err(fail)?,
            ),
            None => None,
        };
        let lang = match cookie(&parts.headers, LANG_COOKIE) {
            Some(c) => Lang::parse(c).unwrap_or_default(),
            None => staff
                .locale
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or_default(),
        };
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        Ok(Session {
            staff,
            tenant,
            token,
            lang,
            csrf,
            path: parts.uri.path().to_owned(),
        })
    }
}
