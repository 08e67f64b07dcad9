-- Schedules: a scan specification fired at the due times of a cron expression. Each schedule belongs to the shard of
-- its id, like a scan; `seq` grows with every change so nodes pick up new, edited and deleted schedules.
CREATE SEQUENCE schedules_seq;

CREATE TABLE schedules (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  shard            integer NOT NULL,
  body             jsonb NOT NULL,
  -- Who fires it: the creator's user, role and key (a run is created as that principal).
  principal        jsonb NOT NULL,
  version          integer NOT NULL,
  deleted          boolean NOT NULL DEFAULT false,
  seq              bigint NOT NULL DEFAULT nextval('schedules_seq'),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_org ON schedules (organization_id, created_at, id) WHERE NOT deleted;
CREATE INDEX schedules_shard ON schedules (shard) WHERE NOT deleted;
CREATE INDEX schedules_seq_idx ON schedules (seq);

-- What each due time became, once: the primary key makes a second record of the same due time impossible, and a
-- record is only written under the current epoch of the schedule's shard (checked against shard_fences).
CREATE TABLE schedule_runs (
  schedule_id  uuid NOT NULL,
  due_at       bigint NOT NULL,
  outcome      text NOT NULL,
  scan_ids     uuid[] NOT NULL,
  -- Whether the run's scans were created and started (a record written just before a crash is launched on takeover).
  launched     boolean NOT NULL DEFAULT false,
  epoch        bigint NOT NULL,
  recorded_at  bigint NOT NULL,
  PRIMARY KEY (schedule_id, due_at)
);
