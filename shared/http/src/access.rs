//! A caller's access to one workout: the one authorization policy of every service.
//!
//! Rules: an institution that takes no part in a workout gets 404 `not_found`, exactly as for a
//! workout that does not exist, so existence does not leak; a participant whose roles the domain's
//! permission table does not allow gets 403 `forbidden` naming the roles that may; what a
//! participant sees of the creditors' positions is the domain's [`PositionView`]. Handlers call
//! [`Access::require`] or [`Access::positions`] and never compare roles themselves.

use workout_domain::{Action, InstitutionId, ParticipantRole, PositionView, WorkoutId};

use crate::ApiError;

/// The caller's institution's active roles in one workout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The workout.
    pub workout: WorkoutId,
    /// The caller's institution.
    pub institution: InstitutionId,
    /// Its active roles (never empty).
    pub roles: Vec<ParticipantRole>,
}

impl Access {
    /// The access of `institution` holding `roles` in `workout`; 404 when it holds none.
    pub fn new(
        workout: WorkoutId,
        institution: InstitutionId,
        roles: Vec<ParticipantRole>,
    ) -> Result<Self, ApiError> {
        if roles.is_empty() {
            return Err(ApiError::NotFound("workout"));
        }
        Ok(Self {
            workout,
            institution,
            roles,
        })
    }

    /// Whether it holds `role`.
    pub fn has(&self, role: ParticipantRole) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the permission table allows `action`.
    pub fn may(&self, action: Action) -> bool {
        action.allowed_for(&self.roles)
    }

    /// 403 `forbidden` unless the permission table allows `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(action.refusal()))
        }
    }

    /// Which creditors' positions it sees; 403 `forbidden` when it sees none.
    pub fn positions(&self) -> Result<PositionView, ApiError> {
        match PositionView::of(self.institution, &self.roles) {
            PositionView::None => Err(ApiError::Forbidden(
                "creditors' positions are shown to the coordinator, the borrower and each creditor (its own)"
                    .to_owned(),
            )),
            view => Ok(view),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_role_is_not_found_and_a_missing_permission_is_forbidden() {
        let (workout, me) = (WorkoutId::new(), InstitutionId::new());
        assert!(matches!(
            Access::new(workout, me, vec![]),
            Err(ApiError::NotFound("workout"))
        ));
        let creditor = Access::new(workout, me, vec![ParticipantRole::Creditor]).unwrap();
        assert!(creditor.require(Action::EnterFacilities).is_ok());
        assert!(matches!(
            creditor.require(Action::SetFxRates),
            Err(ApiError::Forbidden(_))
        ));
        assert_eq!(creditor.positions().unwrap(), PositionView::Own(me));
        let advisor = Access::new(workout, me, vec![ParticipantRole::Advisor]).unwrap();
        assert!(matches!(advisor.positions(), Err(ApiError::Forbidden(_))));
    }
}
