//! siyu's server: the REST API, the merchant console, and the background job runner, over
//! the storage layer in `siyu-store`.

pub mod api;
pub mod app;
pub mod audience;
pub mod auth;
pub mod channels;
pub mod config;
pub mod console;
pub mod crypto;
pub mod draws;
pub mod error;
pub mod extract;
pub mod identity;
pub mod jobs;
pub mod membership;
pub mod metrics;
pub mod passwords;
pub mod pushes;
pub mod services;
pub mod state;
pub mod stores;
pub mod vouchers;
pub mod wechat;

pub use app::{Application, BuildOptions};
pub use config::Config;
