//! Checks that `define_id!` works from another crate that depends on neither `serde` nor `uuid`
//! and that the ids it makes behave as the platform expects (ordering, text and JSON forms).

use std::collections::BTreeSet;

use workout_domain::{WorkoutId, define_id};

define_id! {
    /// A ballot, as the voting service would define it.
    pub struct BallotId;
}

define_id! {
    /// An id private to this test crate.
    struct LocalId;
}

#[test]
fn an_id_defined_elsewhere_round_trips_through_text_and_json() {
    let id = BallotId::new();
    assert_eq!(id.to_string().parse::<BallotId>().unwrap(), id);
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{id}\""));
    assert_eq!(serde_json::from_str::<BallotId>(&json).unwrap(), id);
    assert_eq!(BallotId::from_uuid(id.into_uuid()), id);
    assert_eq!(id.as_uuid().get_version_num(), 7);
}

#[test]
fn ids_made_later_sort_later() {
    let ids: Vec<LocalId> = (0..100).map(|_| LocalId::new()).collect();
    let sorted: BTreeSet<LocalId> = ids.iter().copied().collect();
    assert_eq!(sorted.into_iter().collect::<Vec<_>>(), ids);
}

#[test]
fn a_parse_error_names_the_id_type() {
    let err = "x".parse::<BallotId>().unwrap_err();
    assert!(err.to_string().starts_with("invalid BallotId"), "{err}");
    assert!(
        "x".parse::<WorkoutId>()
            .unwrap_err()
            .to_string()
            .contains("WorkoutId")
    );
}
