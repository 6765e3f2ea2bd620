//! Who the caller is: their user, their institution and the current session.
//!
//! Rules: any signed-in user may ask about themselves; service tokens are refused.

use actix_web::{HttpResponse, get, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use uuid::Uuid;
use workout_http::{ApiError, Caller};

use super::institutions::{Institution, InstitutionRow};
use super::users::{User, load_user};
use crate::RegistryState;
use crate::schema::institutions;

/// Who the caller is.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Me {
    /// The user.
    pub user: User,
    /// The institution the user acts for.
    pub institution: Institution,
    /// The current session.
    pub session_id: Uuid,
}

/// `GET /registry/v1/me`
#[utoipa::path(tag = "users", security(("bearer" = [])),
    responses((status = 200, body = Me)))]
#[get("/v1/me")]
pub async fn me(state: web::Data<RegistryState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = load_user(&mut conn, caller.institution_id, caller.user_id).await?;
    let institution: InstitutionRow = institutions::table
        .find(caller.institution_id.into_uuid())
        .select(InstitutionRow::as_select())
        .first(&mut conn)
        .await?;
    Ok(HttpResponse::Ok().json(Me {
        user,
        institution: institution.try_into()?,
        session_id: caller.session_id.into_uuid(),
    }))
}
