ALTER TABLE fx_rates ADD COLUMN entered_by uuid, ADD COLUMN entered_at timestamptz;
-- Only the latest version of each date survives.
DELETE FROM fx_rates r
WHERE r.version < (SELECT max(v.version) FROM fx_rate_versions v
                   WHERE v.workout_id = r.workout_id AND v.rate_date = r.rate_date);
UPDATE fx_rates r SET entered_by = v.entered_by, entered_at = v.entered_at
FROM fx_rate_versions v
WHERE v.workout_id = r.workout_id AND v.rate_date = r.rate_date AND v.version = r.version;
ALTER TABLE fx_rates ALTER COLUMN entered_by SET NOT NULL;
ALTER TABLE fx_rates ALTER COLUMN entered_at SET NOT NULL;
ALTER TABLE fx_rates ALTER COLUMN entered_at SET DEFAULT now();
ALTER TABLE fx_rates DROP CONSTRAINT fx_rates_version_fkey;
ALTER TABLE fx_rates DROP CONSTRAINT fx_rates_pkey;
ALTER TABLE fx_rates DROP COLUMN version;
ALTER TABLE fx_rates ADD PRIMARY KEY (workout_id, currency, rate_date);
DROP TABLE fx_rate_versions;
