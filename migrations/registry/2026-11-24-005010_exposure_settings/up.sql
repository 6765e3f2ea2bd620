-- Issue 7, item 5: per-workout exposure settings (how contingents and penalties count towards
-- voting weight), agreed by the creditors and recorded by the coordinator with a reason.
-- Append-only: the settings at any past moment are the latest version recorded before it, so a
-- snapshot of a past date never changes after the fact. No version: the defaults (100, true).
CREATE TABLE exposure_setting_versions (
    id                  uuid PRIMARY KEY,
    workout_id          uuid          NOT NULL REFERENCES workouts (id),
    contingent_weight   numeric       NOT NULL
        CHECK (contingent_weight >= 0 AND contingent_weight <= 100),
    penalties_in_weight boolean       NOT NULL,
    reason              text          NOT NULL,
    recorded_by         uuid          NOT NULL,
    recorded_at         timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX exposure_setting_versions_by_workout
    ON exposure_setting_versions (workout_id, recorded_at DESC);
