-- Mirage core schema: identity, the scan event log with fencing, projections read by the gateway.

CREATE TABLE organizations (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  name             text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- API keys are stored as a SHA-256 of the key; the prefix is kept to list keys without revealing them.
CREATE TABLE api_keys (
  id               uuid PRIMARY KEY,
  prefix           text NOT NULL,
  key_hash         text NOT NULL UNIQUE,
  user_id          uuid NOT NULL REFERENCES users (id),
  organization_id  uuid NOT NULL REFERENCES organizations (id),
  role             text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
  name             text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL DEFAULT now(),
  revoked_at       timestamptz
);

-- The fencing token of each shard: an append is accepted only under the shard's current epoch.
CREATE TABLE shard_fences (
  shard  integer PRIMARY KEY,
  epoch  bigint NOT NULL
);

CREATE TABLE scan_events (
  scan_id  uuid NOT NULL,
  seq      integer NOT NULL,
  type     text NOT NULL,
  payload  jsonb NOT NULL,
  at       timestamptz NOT NULL,
  epoch    bigint,
  PRIMARY KEY (scan_id, seq)
);

-- Commands already applied to a scan: redelivered stream entries are recognised here.
CREATE TABLE scan_commands (
  scan_id     uuid NOT NULL,
  command_id  text NOT NULL,
  seq         integer NOT NULL,
  PRIMARY KEY (scan_id, command_id)
);

CREATE TABLE scan_snapshots (
  scan_id  uuid PRIMARY KEY,
  seq      integer NOT NULL,
  state    jsonb NOT NULL,
  at       timestamptz NOT NULL
);

-- The read model of scans, updated in the same transaction as the events it reflects.
CREATE TABLE scans (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  user_id          uuid NOT NULL,
  name             text NOT NULL,
  status           text NOT NULL,
  target_type      text NOT NULL,
  target_value     text NOT NULL,
  shard            integer NOT NULL,
  seq              integer NOT NULL,
  progress         double precision NOT NULL DEFAULT 0,
  result_count     integer NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  started_at       timestamptz,
  completed_at     timestamptz,
  deleted_at       timestamptz,
  document         jsonb NOT NULL
);
CREATE INDEX scans_org_created ON scans (organization_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX scans_active_by_shard ON scans (shard) WHERE status IN ('RUNNING', 'PAUSED') AND deleted_at IS NULL;

CREATE TABLE templates (
  id               text PRIMARY KEY,
  organization_id  uuid,
  name             text NOT NULL,
  description      text NOT NULL DEFAULT '',
  document         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id               bigserial PRIMARY KEY,
  organization_id  uuid NOT NULL,
  user_id          uuid,
  action           text NOT NULL,
  resource         text NOT NULL,
  address          text,
  outcome          text NOT NULL,
  detail           jsonb NOT NULL DEFAULT '{}',
  at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_org_at ON audit_log (organization_id, at DESC, id DESC);

CREATE TABLE cluster_meta (
  key    text PRIMARY KEY,
  value  jsonb NOT NULL
);
