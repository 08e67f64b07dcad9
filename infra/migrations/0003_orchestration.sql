-- Scan orchestration: per-organization quotas and the queue of scans waiting for them, scan chaining,
-- webhooks, user templates by organization, and the audit log's query paths.

-- Per-organization overrides of the configured defaults (MIRAGE_MAX_RUNNING_SCANS, MIRAGE_MAX_CONCURRENT_TASKS).
CREATE TABLE organization_quotas (
  organization_id       uuid PRIMARY KEY,
  max_running_scans     integer CHECK (max_running_scans IS NULL OR max_running_scans > 0),
  max_concurrent_tasks  integer CHECK (max_concurrent_tasks IS NULL OR max_concurrent_tasks > 0),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- A scan asked to start holds a slot of its organization ('admitted') or waits for one ('queued'), in
-- FIFO order of `position`. The row goes when the scan ends; a slot counts only while its scan is not terminal.
CREATE TABLE scan_admissions (
  scan_id          uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  state            text NOT NULL CHECK (state IN ('queued', 'admitted')),
  position         bigserial NOT NULL,
  enqueued_at      timestamptz NOT NULL DEFAULT now(),
  admitted_at      timestamptz
);
CREATE INDEX scan_admissions_queue ON scan_admissions (organization_id, state, position);

-- Chaining: which scans a scan waits for (the edges of the dependency graph, both ways).
CREATE TABLE scan_dependencies (
  scan_id          uuid NOT NULL,
  depends_on       uuid NOT NULL,
  organization_id  uuid NOT NULL,
  PRIMARY KEY (scan_id, depends_on)
);
CREATE INDEX scan_dependencies_reverse ON scan_dependencies (depends_on);

-- Where a scan's status changes are POSTed; the secret signs them and is never returned by the API.
CREATE TABLE scan_webhooks (
  scan_id     uuid PRIMARY KEY,
  url         text NOT NULL,
  secret      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX templates_org ON templates (organization_id, created_at);

ALTER TABLE audit_log ADD COLUMN key_id uuid;
ALTER TABLE audit_log ADD COLUMN status integer;
CREATE INDEX audit_org_user_at ON audit_log (organization_id, user_id, at DESC, id DESC);
CREATE INDEX audit_org_action_at ON audit_log (organization_id, action, at DESC, id DESC);
