-- A channel's latest given-up delivery (shown with the channel) read from the head of this index, not by sorting every
-- failure the channel ever had; the counts per status use alert_deliveries_channel.
CREATE INDEX alert_deliveries_failed ON alert_deliveries (organization_id, channel_id, done_at DESC)
  WHERE status = 'failed';
