-- `past_due` was kept as the sum of the split: dropping the new keys restores the old terms.
UPDATE registry.facility_versions
SET terms = terms - 'past_due_principal' - 'past_due_interest' - 'past_due_fees' - 'penalties'
    - 'position_date'
WHERE terms IS NOT NULL;
