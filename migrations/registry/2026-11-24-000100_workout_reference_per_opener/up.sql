-- A case reference is unique per opening bank, not across the platform: a bank must not learn
-- that another bank's case exists by trying its reference.
ALTER TABLE workouts DROP CONSTRAINT workouts_reference_key;
ALTER TABLE workouts ADD CONSTRAINT workouts_reference_per_opener UNIQUE (opened_by, reference);
