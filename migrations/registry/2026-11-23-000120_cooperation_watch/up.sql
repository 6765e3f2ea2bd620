-- What the cooperation watcher has already announced, so that each event is emitted once.
ALTER TABLE information_requests ADD COLUMN overdue_announced_at timestamptz;
ALTER TABLE workouts ADD COLUMN borrower_flagged_at timestamptz;
CREATE INDEX information_requests_unannounced ON information_requests (due_on)
    WHERE answered_on IS NULL AND overdue_announced_at IS NULL;
