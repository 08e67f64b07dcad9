-- Organizations' own correlation rules, uploaded in SpiderFoot's YAML format (validated before they are stored):
-- evaluated with the built-in rules on the organization's scans; a rule with a built-in rule's id replaces it there.
CREATE TABLE correlation_rules (
  organization_id  uuid NOT NULL,
  id               text NOT NULL,
  name             text NOT NULL,
  risk             text NOT NULL,
  yaml             text NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id)
);
