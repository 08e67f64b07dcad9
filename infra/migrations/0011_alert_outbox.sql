-- The alert outbox: one row per (alert, channel) to deliver, written in the transaction that records the alert, so
-- a process that dies between deciding an alert and sending it loses nothing. Any node's delivery worker claims due
-- rows (FOR UPDATE SKIP LOCKED, then a lease), counts each attempt, and marks the row sent or, after the last
-- attempt or a refusal that retrying cannot change, failed with the reason.
CREATE TABLE alert_deliveries (
  alert_id         uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  channel_id       uuid NOT NULL,
  organization_id  uuid NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  -- Who holds the row and until when; an expired lease is anyone's to take.
  lease_owner      text,
  leased_until     timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL,
  done_at          timestamptz,
  PRIMARY KEY (alert_id, channel_id)
);
CREATE INDEX alert_deliveries_pending ON alert_deliveries (created_at) WHERE status = 'pending';
CREATE INDEX alert_deliveries_channel ON alert_deliveries (organization_id, channel_id, status);
