//! The REST API under `/api/v1`, documented by the OpenAPI document at `/api/openapi.json`.
//! Routes are registered through `utoipa-axum`, so the router and the document cannot drift.

mod audit;
mod channels;
mod customers;
mod membership;
mod pushes;
mod segments;

pub(crate) use customers::find_by_identity as find_customers_by_identity;
mod draws;
mod jobs;
mod keys;
mod ops;
mod staff;
mod stores;
mod tenant;
mod vouchers;
mod wechat;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "siyu API", description = "Private-domain commerce for merchants selling through WeChat. Every request carries `Authorization: Bearer <api_key>`; errors are `{\"error\":{\"code\",\"message\"}}`."),
    modifiers(&BearerAuth),
    security(("api_key" = [])),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("api_key")
                    .build(),
            ),
        );
    }
}

pub use channels::{stats_of as channel_stats_of, ChannelStats};
pub use wechat::TriedReply;

/// The API router together with its OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(tenant::get_tenant, tenant::update_tenant))
        .routes(routes!(staff::list_staff, staff::create_staff))
        .routes(routes!(staff::get_staff, staff::disable_staff))
        .routes(routes!(keys::list_keys, keys::create_key))
        .routes(routes!(keys::revoke_key))
        .routes(routes!(audit::list_audit))
        .routes(routes!(wechat::create_account, wechat::list_accounts))
        .routes(routes!(wechat::get_account))
        .routes(routes!(wechat::sync_followers))
        .routes(routes!(wechat::get_menu, wechat::put_menu))
        .routes(routes!(wechat::get_replies, wechat::put_replies))
        .routes(routes!(wechat::try_reply))
        .routes(routes!(jobs::get_job))
        .routes(routes!(customers::list_customers))
        .routes(routes!(customers::identify))
        .routes(routes!(customers::get_customer, customers::erase_customer))
        .routes(routes!(customers::tag_customer))
        .routes(routes!(customers::set_consents))
        .routes(routes!(customers::customer_merges))
        .routes(routes!(customers::export_customer))
        .routes(routes!(customers::undo_merge))
        .routes(routes!(customers::get_policy, customers::put_policy))
        .routes(routes!(customers::list_conflicts))
        .routes(routes!(membership::get_program, membership::put_program))
        .routes(routes!(membership::issue_card, membership::get_card))
        .routes(routes!(membership::record_points))
        .routes(routes!(customers::customer_messages))
        .routes(routes!(channels::create_channel, channels::list_channels))
        .routes(routes!(channels::get_channel))
        .routes(routes!(channels::channel_stats))
        .routes(routes!(channels::get_welcome, channels::put_welcome))
        .routes(routes!(channels::channel_qr_png))
        .routes(routes!(channels::channel_qr_svg))
        .routes(routes!(channels::channel_poster_svg))
        .routes(routes!(channels::channel_poster_png))
        .routes(routes!(channels::create_batch))
        .routes(routes!(channels::get_batch))
        .routes(routes!(channels::batch_codes_zip))
        .routes(routes!(channels::batch_codes_pdf))
        .routes(routes!(draws::create_draw))
        .routes(routes!(draws::get_draw))
        .routes(routes!(draws::enter_draw))
        .routes(routes!(draws::close_draw))
        .routes(routes!(draws::export_draw))
        .routes(routes!(vouchers::create_template, vouchers::list_templates))
        .routes(routes!(vouchers::issue_voucher))
        .routes(routes!(vouchers::get_voucher))
        .routes(routes!(vouchers::redeem_voucher))
        .routes(routes!(stores::create_store, stores::list_stores))
        .routes(routes!(segments::evaluate_segment))
        .routes(routes!(segments::create_segment, segments::list_segments))
        .routes(routes!(segments::get_segment, segments::update_segment))
        .routes(routes!(segments::segment_members_csv))
        .routes(routes!(segments::segment_vouchers))
        .routes(routes!(draws::get_draw_settings, draws::put_draw_settings))
        .routes(routes!(pushes::create_push, pushes::list_pushes))
        .routes(routes!(pushes::get_push))
        .routes(routes!(pushes::cancel_push))
        .routes(routes!(pushes::preview_push))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
}
