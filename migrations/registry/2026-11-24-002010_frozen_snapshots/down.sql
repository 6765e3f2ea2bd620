DROP TRIGGER frozen_snapshots_immutable ON frozen_snapshots;
DROP FUNCTION frozen_snapshots_immutable();
DROP TABLE frozen_snapshots;
