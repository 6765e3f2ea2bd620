ALTER TABLE workouts DROP CONSTRAINT workouts_reference_per_opener;
ALTER TABLE workouts ADD CONSTRAINT workouts_reference_key UNIQUE (reference);
