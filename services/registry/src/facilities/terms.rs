//! Checking a creditor's facility terms against the workout: its creditor classes and its
//! guarantors.
//!
//! Rules: the class must be one of the workout's; the position date is by default the workout's
//! local date at recording and never after it; every guarantee must name an active guarantor of
//! the workout. Every problem is reported, each with its field.

use diesel_async::AsyncPgConnection;
use workout_domain::{
    CreditorClass, FacilityInput, FacilityTerms, FieldIssue, ParticipantRole, WorkoutId,
};
use workout_http::{ApiError, FieldError};

use crate::cooperation::watch::today_in;
use crate::workouts::membership::{Membership, roles_of};

/// The creditor classes of the member's workout.
pub fn classes_of(member: &Membership) -> Vec<CreditorClass> {
    known_classes(&member.workout.classes)
}

/// The classes named in `names` (a workout's, as stored), leaving out names no longer known.
pub fn known_classes(names: &[String]) -> Vec<CreditorClass> {
    names
        .iter()
        .filter_map(|c| CreditorClass::parse(c).ok())
        .collect()
}

/// The terms of `input` recorded now, valid in the member's workout (its classes; a position
/// date by default, and at most, the workout's local date today); 422 naming every bad field
/// otherwise.
///
/// Collateral makes a facility secured: terms that list collateral but say `secured: false` are
/// refused (422 naming `secured`). A secured facility without collateral is accepted and carries
/// the warning `secured_without_collateral` for the coordinator.
pub fn validate(input: &FacilityInput, member: &Membership) -> Result<FacilityTerms, ApiError> {
    let today = today_in(&member.workout.calendar)?;
    let terms = input
        .validate_on(&classes_of(member), today)
        .map_err(refused)?;
    if !terms.secured() && !terms.collateral().is_empty() {
        return Err(ApiError::invalid_field(
            "secured",
            "collateral makes a facility secured: set secured to true, or list no collateral",
        ));
    }
    Ok(terms)
}

/// The 422 that names each field of `issues` (a domain validation's findings) and why.
pub fn refused(issues: Vec<FieldIssue>) -> ApiError {
    ApiError::Validation(issues.into_iter().map(FieldError::from).collect())
}

/// Every guarantee must name an active guarantor of the workout.
pub async fn check_guarantors(
    conn: &mut AsyncPgConnection,
    workout: WorkoutId,
    terms: &FacilityTerms,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (i, guarantee) in terms.guarantees().iter().enumerate() {
        let roles = roles_of(conn, workout, guarantee.guarantor).await?;
        if !roles.contains(&ParticipantRole::Guarantor) {
            errors.push(FieldError::new(
                format!("guarantees[{i}].guarantor"),
                "is not a guarantor taking part in this workout",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}
