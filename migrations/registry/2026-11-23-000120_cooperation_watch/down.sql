DROP INDEX information_requests_unannounced;
ALTER TABLE workouts DROP COLUMN borrower_flagged_at;
ALTER TABLE information_requests DROP COLUMN overdue_announced_at;
