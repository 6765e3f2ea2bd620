//! Identity: institutions and their users, who the caller is, sign-in and tokens, the signing keys
//! that sign them, and the export of the platform audit chain.
//!
//! Rules: the registry alone holds the signing keys and issues tokens; it verifies its own tokens
//! from its own tables. Existence does not leak: an outsider asking about an institution or its
//! users gets 404. Every identity change is one transaction with its audit entry on the platform
//! chain and its outbox event. Nothing here depends on workouts; workouts depend on it (an
//! institution's kind decides what it may do in one).

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod institutions;
pub mod keys;
pub mod me;
pub mod throttle;
pub mod users;

use workout_runtime::Routes;

/// The identity endpoints.
pub fn routes(cfg: &mut Routes<'_>) {
    cfg.service(auth::issue_token)
        .service(auth::sign_out)
        .service(auth::session_status)
        .service(keys::jwks)
        .service(keys::document_keys)
        .service(keys::rotate_signing_key)
        .service(keys::retire_signing_key)
        .service(me::me)
        .service(institutions::create_institution)
        .service(institutions::list_institutions)
        .service(institutions::get_institution)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::disable_user)
        .service(audit::export_platform_audit);
}

/// Records a change of the platform itself (institutions, users, signing keys) on the platform
/// chain, in the caller's transaction.
pub(crate) async fn record_platform(
    conn: &mut diesel_async::AsyncPgConnection,
    actor: &workout_store::audit::Actor,
    topic: workout_domain::RegistryTopic,
    before: Option<serde_json::Value>,
    after: &impl serde::Serialize,
) -> Result<(), workout_http::ApiError> {
    let chain = workout_store::Chain::Platform;
    let disclosure = topic.disclosure(None);
    workout_store::record(conn, chain, actor, topic, disclosure, before, after).await?;
    Ok(())
}
