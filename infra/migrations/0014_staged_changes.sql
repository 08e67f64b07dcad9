-- Staged changes are settled by a sweep on every node as well as at once: one whose update is stored is applied (a
-- Postgres failure right after the update must not lose it), one whose update never was is discarded once old.

-- The sweep reads staged changes oldest first.
CREATE INDEX scan_webhook_changes_created ON scan_webhook_changes (created_at);

-- A change of a scan's dependency edges sent with an update (or a creation), keyed by that command's id, until the
-- edges reflect the stored update: the edges themselves are read from the scan's stored definition.
CREATE TABLE scan_dependency_changes (
  change_id   uuid PRIMARY KEY,
  scan_id     uuid NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX scan_dependency_changes_scan ON scan_dependency_changes (scan_id);
CREATE INDEX scan_dependency_changes_created ON scan_dependency_changes (created_at);
