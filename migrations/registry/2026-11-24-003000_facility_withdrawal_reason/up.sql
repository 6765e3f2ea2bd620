-- Why a facility was withdrawn, kept with the withdrawing version so that its history shows it
-- (it was in the audit chain only). Only a withdrawal (a version without terms) has one.
ALTER TABLE facility_versions ADD COLUMN withdrawal_reason text;
ALTER TABLE facility_versions ADD CONSTRAINT facility_versions_reason_only_on_withdrawal
    CHECK (withdrawal_reason IS NULL OR terms IS NULL);
