-- Issue 7, item 5: stored facility terms (the `FacilityInput` JSON in `facility_versions.terms`)
-- gain the past-due split, `penalties` and `position_date`.
--
-- A stored `past_due` is split as a waterfall, each part capped at its own component: principal
-- first (up to `outstanding_principal`), then interest (up to `accrued_interest`), the rest to
-- fees (it fits: `past_due` was at most the sum of the three). Overdue principal is the usual
-- case and the split cannot be known after the fact; `past_due` stays as their sum. `penalties`
-- were not recorded apart: 0. `position_date` is the workout's local date when the version was
-- recorded (Asia/Riyadh, UTC+3, for the `SA` calendar; UTC otherwise).
WITH old AS (
    SELECT v.facility_id, v.version, w.calendar, v.valid_from,
           coalesce(nullif(v.terms->>'past_due', '')::numeric, 0) AS due,
           coalesce(nullif(v.terms->>'outstanding_principal', '')::numeric, 0) AS principal,
           coalesce(nullif(v.terms->>'accrued_interest', '')::numeric, 0) AS interest
    FROM registry.facility_versions AS v
    JOIN registry.facilities AS f ON f.id = v.facility_id
    JOIN registry.workouts AS w ON w.id = f.workout_id
    WHERE v.terms IS NOT NULL AND NOT v.terms ? 'position_date'
), by_principal AS (
    SELECT old.*, least(due, principal) AS due_principal FROM old
), split AS (
    SELECT by_principal.*, least(due - due_principal, interest) AS due_interest FROM by_principal
)
UPDATE registry.facility_versions AS v
SET terms = v.terms || jsonb_build_object(
        'past_due_principal', split.due_principal::text,
        'past_due_interest', split.due_interest::text,
        'past_due_fees', (split.due - split.due_principal - split.due_interest)::text,
        'penalties', '0',
        'position_date', to_char(
            (split.valid_from AT TIME ZONE 'UTC')
                + CASE split.calendar WHEN 'SA' THEN interval '3 hours' ELSE interval '0' END,
            'YYYY-MM-DD'))
FROM split
WHERE v.facility_id = split.facility_id AND v.version = split.version;
