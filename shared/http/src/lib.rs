//! HTTP kit shared by every workout service: problem+json errors, the request boundary (request ids,
//! logs, metrics, actix's own failures), token verification and callers, pagination, and the
//! operational endpoints. Each service mounts the same pieces the same way.

pub mod access;
pub mod auth;
pub mod boundary;
pub mod input;
pub mod ops;
pub mod page;
pub mod precondition;
pub mod problem;
pub mod registry_client;

pub use access::Access;
pub use auth::{Caller, PlatformAdmin, PlatformRole, ServiceCaller, TokenVerifier};
pub use boundary::{JsonBody, Parsed};
pub use input::Query;
pub use page::{Page, PageQuery, Window};
pub use problem::{ApiError, FieldError, Problem};
