//! A notice contact's preferences: its language, and whether it receives informational e-mails.
//!
//! Rules: a user sets the preferences of its own institution's notice contacts, by address (the
//! address is compared in lower case); they apply to every workout, from the next letter on. The
//! language (`en` or `ar`) overrides the one the registry lists for the contact. Informational
//! e-mails (news of events, reports) can be switched off; formal notices cannot (`formal_notices`
//! false: 422 `formal_notices_required`). Setting honours `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use workout_http::{ApiError, Caller, JsonBody};
use workout_store::Pool;
use workout_store::idempotency::{self, Reply};

use crate::schema::preferences;

/// A language e-mails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    En,
    /// Arabic.
    Ar,
}

impl Language {
    const fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }
}

/// `PUT /notifications/v1/preferences/{email}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPreferences {
    /// The language of its e-mails (absent: the registry's).
    pub language: Option<Language>,
    /// Whether it receives informational e-mails (default true).
    #[serde(default = "yes")]
    pub informational: bool,
    /// Formal notices always go: only `true` is accepted.
    pub formal_notices: Option<bool>,
}

const fn yes() -> bool {
    true
}

/// A contact's preferences.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Preferences {
    /// The contact's address (lower case).
    pub email: String,
    /// Its institution.
    pub institution_id: Uuid,
    /// The language chosen (absent: the registry's).
    pub language: Option<String>,
    /// Whether it receives informational e-mails.
    pub informational: bool,
    /// Always true: formal notices cannot be switched off.
    pub formal_notices: bool,
    /// Last set (absent: never set, the defaults).
    pub updated_at: Option<DateTime<Utc>>,
}

type Row = (Option<String>, bool, DateTime<Utc>);

fn preferences_of(institution: Uuid, email: String, row: Option<Row>) -> Preferences {
    let (language, informational, updated_at) = match row {
        Some((language, informational, at)) => (language, informational, Some(at)),
        None => (None, true, None),
    };
    Preferences {
        email,
        institution_id: institution,
        language,
        informational,
        formal_notices: true,
        updated_at,
    }
}

fn address(path: &str) -> Result<String, ApiError> {
    let email = path.trim().to_lowercase();
    workout_domain::email::Email::parse(&email)
        .map_err(|e| ApiError::invalid_field("email", e.to_string()))?;
    Ok(email)
}

/// `GET /notifications/v1/preferences/{email}` (any user, for its own institution's contact):
/// the contact's preferences (the defaults if never set).
#[utoipa::path(tag = "preferences", security(("bearer" = [])),
    params(("email" = String, Path, description = "The notice contact's address")),
    responses((status = 200, body = Preferences), (status = 422, body = workout_http::Problem)))]
#[get("/v1/preferences/{email}")]
pub async fn get_preferences(
    pool: web::Data<Pool>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let email = address(&path.into_inner())?;
    let institution = caller.institution_id.into_uuid();
    let mut conn = pool.get().await?;
    let row: Option<Row> = preferences::table
        .find((institution, &email))
        .select((
            preferences::language,
            preferences::informational,
            preferences::updated_at,
        ))
        .first(&mut conn)
        .await
        .optional()?;
    Ok(HttpResponse::Ok().json(preferences_of(institution, email, row)))
}

/// `PUT /notifications/v1/preferences/{email}` (any user, for its own institution's contact):
/// sets the contact's language and whether it receives informational e-mails.
#[utoipa::path(tag = "preferences", security(("bearer" = [])),
    params(("email" = String, Path, description = "The notice contact's address"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry safe")),
    request_body = SetPreferences,
    responses((status = 200, body = Preferences), (status = 422, body = workout_http::Problem)))]
#[put("/v1/preferences/{email}")]
pub async fn set_preferences(
    req: HttpRequest,
    pool: web::Data<Pool>,
    caller: Caller,
    path: web::Path<String>,
    body: JsonBody<SetPreferences>,
) -> Result<HttpResponse, ApiError> {
    let email = address(&path.into_inner())?;
    let body = body.parse()?;
    let input = &body.value;
    if input.formal_notices == Some(false) {
        return Err(ApiError::unprocessable(
            "formal_notices_required",
            "formal notices cannot be switched off: the guideline requires them in writing",
        ));
    }
    let institution = caller.institution_id.into_uuid();
    let language = input.language.map(Language::as_str);
    let informational = input.informational;
    idempotency::run(&pool, &req, &caller, &body.fingerprint, async |conn| {
        let row: Row = diesel::insert_into(preferences::table)
            .values((
                preferences::institution_id.eq(institution),
                preferences::email.eq(&email),
                preferences::language.eq(language),
                preferences::informational.eq(informational),
                preferences::updated_by.eq(caller.user_id.into_uuid()),
            ))
            .on_conflict((preferences::institution_id, preferences::email))
            .do_update()
            .set((
                preferences::language.eq(excluded(preferences::language)),
                preferences::informational.eq(excluded(preferences::informational)),
                preferences::updated_by.eq(excluded(preferences::updated_by)),
                preferences::updated_at.eq(Utc::now()),
            ))
            .returning((
                preferences::language,
                preferences::informational,
                preferences::updated_at,
            ))
            .get_result(conn)
            .await?;
        Reply::ok(&preferences_of(institution, email.clone(), Some(row)))
    })
    .await
}
