-- Continuous monitoring: the asset inventory (a projection over completed runs), alert rules and channels,
-- the alerts already raised (each once), and the retention policies of organizations.

-- Every entity a series of runs (scans with the same organization and target) ever found.
CREATE TABLE assets (
  organization_id  uuid NOT NULL,
  target_type      text NOT NULL,
  target_value     text NOT NULL,
  type             text NOT NULL,
  value            text NOT NULL,
  first_seen       timestamptz NOT NULL,
  last_seen        timestamptz NOT NULL,
  first_scan       uuid NOT NULL,
  last_scan        uuid NOT NULL,
  scans            uuid[] NOT NULL,
  status           text NOT NULL CHECK (status IN ('new', 'present', 'gone')),
  expires_at       timestamptz,
  PRIMARY KEY (organization_id, target_type, target_value, type, value)
);
CREATE INDEX assets_org_type ON assets (organization_id, type, value);

-- The runs each series' inventory reflects, in order: a run is applied once.
CREATE TABLE asset_runs (
  organization_id  uuid NOT NULL,
  target_type      text NOT NULL,
  target_value     text NOT NULL,
  scan_id          uuid NOT NULL,
  at               timestamptz NOT NULL,
  PRIMARY KEY (organization_id, target_type, target_value, scan_id)
);

CREATE TABLE alert_rules (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  document         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_org ON alert_rules (organization_id, created_at);

-- Channel documents hold secrets (webhook URLs with tokens, bot tokens, SMTP passwords): never answered as stored.
CREATE TABLE alert_channels (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  document         jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_channels_org ON alert_channels (organization_id, created_at);

-- Alerts raised: the id is derived from what the alert is about, so a run observed twice raises nothing twice.
CREATE TABLE alerts (
  id               uuid PRIMARY KEY,
  organization_id  uuid NOT NULL,
  scan_id          uuid NOT NULL,
  rule_id          uuid NOT NULL,
  document         jsonb NOT NULL,
  at               timestamptz NOT NULL
);
CREATE INDEX alerts_org_at ON alerts (organization_id, at DESC, id DESC);

CREATE TABLE retention_policies (
  organization_id  uuid PRIMARY KEY,
  keep_runs        integer CHECK (keep_runs IS NULL OR keep_runs >= 1),
  keep_days        integer CHECK (keep_days IS NULL OR keep_days >= 1),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
