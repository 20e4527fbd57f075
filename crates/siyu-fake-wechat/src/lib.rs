//! # siyu-fake-wechat
//!
//! A local fake of `api.weixin.qq.com` that speaks WeChat's JSON and error codes
//! (WECHAT.md section 2): access tokens (`token`, `stable_token`), users and follower
//! paging, tags, the custom menu, customer-service / template / mass messages, QR codes and
//! temporary media. State lives in memory, per instance; randomness comes from a seeded RNG.
//!
//! ```no_run
//! # async fn demo() {
//! use siyu_fake_wechat::{spawn, FakeConfig};
//!
//! let fake = spawn(FakeConfig::new().with_followers(1000)).await;
//! let base_url = fake.base_url(); // point the WeChat client here
//! fake.fail_next("/cgi-bin/user/get", -1, 1); // next user/get answers "system error"
//! # let _ = base_url;
//! assert_eq!(fake.token_fetches(), 0);
//! # }
//! ```
//!
//! For a standalone server (`siyu dev fake-wechat --listen 127.0.0.1:PORT`) use [`serve`];
//! it is then inspected and controlled over HTTP under `/_fake/` (see the README).

#![warn(missing_docs)]

mod admin;
mod api;
mod config;
pub mod errors;
mod followers;
mod handle;
mod ids;
mod pipeline;
mod records;
mod server;
mod state;
mod tokens;

pub use config::{
    FakeConfig, RateLimit, DEFAULT_MASS_MONTHLY_QUOTA, DEFAULT_PAGE_SIZE, DEFAULT_SEED,
    DEFAULT_TOKEN_TTL,
};
pub use errors::ApiError;
pub use followers::Follower;
pub use handle::{spawn, try_spawn, FakeWechat};
pub use ids::{OPENID_LEN, OPENID_PREFIX};
pub use records::{CallRecord, MassRecord, MediaRecord, QrRecord, TagRecord, TemplateRecord};
pub use server::serve;
