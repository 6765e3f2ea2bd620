//! Identifier newtypes: the [`define_id!`](crate::define_id) macro and the platform's core ids.
//!
//! Rules: every id is a UUID wrapped in its own type, so that a `UserId` can never be passed where
//! a `WorkoutId` is expected. New ids are UUIDv7 (time-ordered, so that keys created together sort
//! together). Parsing and [`from_uuid`](InstitutionId::from_uuid) accept any UUID version, because
//! ids may come from stored data or from other systems. On the wire an id is the bare hyphenated
//! UUID string (serde-transparent), never an object.

use thiserror::Error;

/// Why a string could not be parsed as an id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {kind}: {source}")]
pub struct IdParseError {
    /// The id type that was expected, e.g. `"WorkoutId"`.
    pub kind: &'static str,
    /// The UUID parser's reason.
    #[source]
    pub source: uuid::Error,
}

/// Defines a UUID id newtype.
///
/// The type gets `new()` (a fresh UUIDv7), `from_uuid`, `into_uuid`, `as_uuid`, `Display`
/// (hyphenated lowercase), `FromStr` (any UUID form that `uuid` accepts, error
/// [`IdParseError`]), conversions to and from [`uuid::Uuid`], and serde as the bare UUID string
/// (equivalent to `#[serde(transparent)]`; written by hand so that the calling crate needs no
/// `serde` dependency). It is `Copy`, `Eq`, `Ord` and `Hash`.
///
/// ```
/// workout_domain::define_id! {
///     /// A ballot of the voting service.
///     pub struct BallotId;
/// }
///
/// let id = BallotId::new();
/// let parsed: Option<BallotId> = id.to_string().parse().ok();
/// assert_eq!(parsed, Some(id));
/// ```
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        $vis struct $name($crate::__private::Uuid);

        impl $name {
            /// Makes a new, time-ordered (UUIDv7) id.
            #[must_use]
            #[expect(
                clippy::new_without_default,
                reason = "a fresh random id is not a sensible default value"
            )]
            pub fn new() -> Self {
                Self($crate::__private::Uuid::now_v7())
            }

            /// Wraps an existing UUID, e.g. one read back from the database.
            #[must_use]
            pub const fn from_uuid(uuid: $crate::__private::Uuid) -> Self {
                Self(uuid)
            }

            /// Returns the UUID inside.
            #[must_use]
            pub const fn into_uuid(self) -> $crate::__private::Uuid {
                self.0
            }

            /// Borrows the UUID inside.
            #[must_use]
            pub const fn as_uuid(&self) -> &$crate::__private::Uuid {
                &self.0
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::ids::IdParseError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                $crate::__private::Uuid::try_parse(s)
                    .map(Self)
                    .map_err(|source| $crate::ids::IdParseError {
                        kind: ::core::stringify!($name),
                        source,
                    })
            }
        }

        impl ::core::convert::From<$crate::__private::Uuid> for $name {
            fn from(uuid: $crate::__private::Uuid) -> Self {
                Self(uuid)
            }
        }

        impl ::core::convert::From<$name> for $crate::__private::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                $crate::__private::serde::Serialize::serialize(&self.0, serializer)
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                <$crate::__private::Uuid as $crate::__private::serde::Deserialize<'de>>::deserialize(
                    deserializer,
                )
                .map(Self)
            }
        }

        impl $crate::__private::utoipa::PartialSchema for $name {
            fn schema() -> $crate::__private::utoipa::openapi::RefOr<
                $crate::__private::utoipa::openapi::schema::Schema,
            > {
                $crate::__private::string_schema(
                    $crate::__private::utoipa::openapi::schema::KnownFormat::Uuid,
                )
            }
        }

        impl $crate::__private::utoipa::ToSchema for $name {}
    };
}

define_id! {
    /// A bank, borrower, guarantor or other institution known to the registry.
    pub struct InstitutionId;
}

define_id! {
    /// A person who signs in and acts for one institution.
    pub struct UserId;
}

define_id! {
    /// One workout case: a distressed borrower and its creditor banks.
    pub struct WorkoutId;
}

define_id! {
    /// One facility (a loan, a line, a guarantee) a creditor holds in a workout; stable across its
    /// versions.
    pub struct FacilityId;
}

define_id! {
    /// A signed-in session (refresh-token family) of a user.
    pub struct SessionId;
}

define_id! {
    /// A domain event written to an outbox; receivers deduplicate by it.
    pub struct EventId;
}

define_id! {
    /// One entry of a workout's hash-chained audit log.
    pub struct AuditEntryId;
}

define_id! {
    /// A service (not a person) that calls other services with its own token.
    pub struct ServiceClientId;
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn new_ids_are_version_7_and_time_ordered() {
        let first = WorkoutId::new();
        let second = WorkoutId::new();
        assert_eq!(first.as_uuid().get_version_num(), 7);
        assert!(first < second);
    }

    #[test]
    fn an_id_round_trips_through_its_string_form() {
        let id = UserId::new();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text.parse::<UserId>().unwrap(), id);
    }

    #[test]
    fn parsing_garbage_names_the_expected_id_type() {
        let err = "not-a-uuid".parse::<InstitutionId>().unwrap_err();
        assert_eq!(err.kind, "InstitutionId");
        assert!(err.to_string().starts_with("invalid InstitutionId"));
    }

    #[test]
    fn an_id_serializes_as_a_bare_uuid_string() {
        let uuid = Uuid::parse_str("0190f2a0-7c3e-7d2a-9b1e-3c4d5e6f7a8b").unwrap();
        let id = EventId::from_uuid(uuid);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"0190f2a0-7c3e-7d2a-9b1e-3c4d5e6f7a8b\"");
        assert_eq!(serde_json::from_str::<EventId>(&json).unwrap(), id);
        assert_eq!(id.into_uuid(), uuid);
        assert_eq!(Uuid::from(id), uuid);
    }

    #[test]
    fn an_id_rejects_a_json_number() {
        assert!(serde_json::from_str::<SessionId>("42").is_err());
    }
}
