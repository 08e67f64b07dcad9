-- Standalone collection jobs (POST /collect). A job runs as a one-module scan whose id is the job id; this row marks
-- that scan as a job (so GET /scans leaves it out) and keeps the task configuration as submitted. Never the API key.
CREATE TABLE collect_jobs (
  job_id           uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  timeout_seconds  integer NOT NULL,
  max_results      integer NOT NULL,
  use_proxy        boolean NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collect_jobs_org ON collect_jobs (organization_id, created_at);
