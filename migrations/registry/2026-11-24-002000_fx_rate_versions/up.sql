-- FX rates are history, not overwrites: every setting of a date's rates is a new version of that
-- date's whole rate set (who, when, why, from which source), and nothing is ever updated in place.
-- A snapshot as of D reads the versions recorded by the end of D.
CREATE TABLE fx_rate_versions (
    -- UUIDv7: orders the versions by recording time (pagination key).
    id         uuid        PRIMARY KEY,
    workout_id uuid        NOT NULL REFERENCES workouts (id),
    rate_date  date        NOT NULL,
    -- 1 for the first rates of the date, then 2, 3, ...
    version    integer     NOT NULL CHECK (version >= 1),
    -- Where the rates come from, e.g. "SAMA reference rate".
    source     text        NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    -- Why the rates were set again; required for every version but the first.
    reason     text        CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 2000),
    entered_by uuid        NOT NULL,
    entered_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workout_id, rate_date, version),
    CHECK (version = 1 OR reason IS NOT NULL)
);
CREATE INDEX fx_rate_versions_as_recorded ON fx_rate_versions (workout_id, rate_date, entered_at);

-- Rates entered before versions existed become version 1 of their date.
INSERT INTO fx_rate_versions (id, workout_id, rate_date, version, source, entered_by, entered_at)
SELECT gen_random_uuid(), workout_id, rate_date, 1, 'not recorded (entered before rate versions)',
       (array_agg(entered_by ORDER BY entered_at DESC))[1], max(entered_at)
FROM fx_rates
GROUP BY workout_id, rate_date;

ALTER TABLE fx_rates ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE fx_rates ALTER COLUMN version DROP DEFAULT;
ALTER TABLE fx_rates DROP CONSTRAINT fx_rates_pkey;
ALTER TABLE fx_rates ADD PRIMARY KEY (workout_id, rate_date, version, currency);
ALTER TABLE fx_rates ADD CONSTRAINT fx_rates_version_fkey
    FOREIGN KEY (workout_id, rate_date, version)
    REFERENCES fx_rate_versions (workout_id, rate_date, version);
-- Who and when belong to the version.
ALTER TABLE fx_rates DROP COLUMN entered_by, DROP COLUMN entered_at;
