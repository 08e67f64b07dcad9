-- A scan's webhook change sent with an update, kept here (the secret never enters the event log) until the scan's
-- actor stores the update; then applied to scan_webhooks. A refused update's change is discarded.
CREATE TABLE scan_webhook_changes (
  change_id   uuid PRIMARY KEY,
  scan_id     uuid NOT NULL,
  -- Null url and secret: the change removes the webhook.
  url         text,
  secret      text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX scan_webhook_changes_scan ON scan_webhook_changes (scan_id);
