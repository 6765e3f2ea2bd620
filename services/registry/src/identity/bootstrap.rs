//! The first platform admin of a fresh install (`workoutd create-admin`).
//!
//! Rules: the platform operator institution is created if missing, once; the admin is an ordinary
//! user of it, checked like any other (e-mail, name, password length) and refused if the e-mail is
//! taken. Both are audited on the platform chain as done by the registry itself.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;
use workout_domain::{InstitutionId, InstitutionKind, RegistryTopic};
use workout_http::{ApiError, PlatformRole};
use workout_store::audit::Actor;
use workout_store::transaction;

use super::auth::hash_password;
use super::institutions::{ValidInstitution, insert_institution};
use super::users::{NewUser, User, ValidUser, insert_user};
use crate::schema::institutions;

/// Creates the platform operator (if missing) and a platform admin in it; for a fresh install.
/// Fails if the e-mail is taken.
pub async fn bootstrap_admin(
    pool: &workout_store::Pool,
    email: &str,
    display_name: &str,
    password: String,
) -> Result<User, ApiError> {
    let input = ValidUser::try_from(NewUser {
        email: email.to_owned(),
        display_name: display_name.to_owned(),
        role: PlatformRole::PlatformAdmin,
        password: password.clone(),
    })?;
    let password_hash = hash_password(password).await?;
    transaction(pool, async |conn| {
        let existing: Option<Uuid> = institutions::table
            .filter(institutions::kind.eq(InstitutionKind::PlatformOperator.as_str()))
            .order(institutions::id.asc())
            .select(institutions::id)
            .first(conn)
            .await
            .optional()?;
        let operator = match existing {
            Some(id) => id,
            None => {
                let created = insert_institution(
                    conn,
                    &ValidInstitution {
                        kind: InstitutionKind::PlatformOperator,
                        name: "Platform operator".to_owned(),
                        country: "SA".to_owned(),
                        lei: None,
                    },
                )
                .await?;
                super::record_platform(
                    conn,
                    &Actor::service("registry"),
                    RegistryTopic::InstitutionCreated,
                    None,
                    &created,
                )
                .await?;
                created.id
            }
        };
        let operator = InstitutionId::from_uuid(operator);
        let user = insert_user(conn, operator, &input, &password_hash).await?;
        super::record_platform(
            conn,
            &Actor::service("registry"),
            RegistryTopic::UserCreated,
            None,
            &user,
        )
        .await?;
        Ok(user)
    })
    .await
}
