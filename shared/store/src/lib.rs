//! Store kit shared by every workout service: pools and readiness, embedded migrations, one
//! transaction per use case with `Idempotency-Key`, the transactional outbox with its relay and
//! event intake and its delivery health, the scheduler of timed jobs, and the hash-chained audit log. Its tables live in
//! each service's own schema.

pub mod audit;
pub mod delivery_health;
pub mod idempotency;
pub mod migrate;
pub mod outbox;
pub mod pool;
pub mod record;
pub mod scheduler;
pub mod schema;

pub use idempotency::{Reply, transaction};
pub use pool::Pool;
pub use record::{Chain, record};
