//! siyu's domain: identifiers, money, roles and the value objects that are parsed at the edge.
//!
//! Nothing here performs IO. Time is passed in through [`Clock`] so rules stay testable.

pub mod activity;
pub mod calendar;
pub mod clock;
pub mod draw;
pub mod error;
pub mod geo;
pub mod ids;
pub mod money;
pub mod points;
pub mod segment;
pub mod staff;
pub mod tenant;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::DomainError;
pub use ids::{ApiKeyId, JobId, StaffId, TenantId};
pub use money::Fen;
pub use staff::{Login, Password, Role};
pub use tenant::TenantName;
