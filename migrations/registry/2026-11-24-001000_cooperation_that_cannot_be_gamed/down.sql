DROP TABLE borrower_classifications;
DROP TABLE answer_date_corrections;
DROP INDEX information_requests_unannounced;
CREATE INDEX information_requests_unannounced ON information_requests (due_on)
    WHERE answered_on IS NULL AND overdue_announced_at IS NULL;
ALTER TABLE information_requests
    DROP CONSTRAINT information_requests_cancellation,
    DROP COLUMN cancel_reason,
    DROP COLUMN cancelled_by,
    DROP COLUMN cancelled_at,
    DROP COLUMN answer_recorded_by,
    DROP COLUMN answer_recorded_on,
    DROP COLUMN answer_recorded_at;
ALTER TABLE information_requests DROP CONSTRAINT information_requests_at_least_15_days;
