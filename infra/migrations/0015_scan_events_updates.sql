-- mirage:no-transaction
-- A scan's updates in its log (few among its events): whether a webhook change's update is stored, and whether a
-- later one changed the webhook again, are read here. Built CONCURRENTLY: appends to scan_events, the largest table,
-- go on while it builds. A build that fails leaves an invalid index: drop it (DROP INDEX CONCURRENTLY
-- scan_events_updates) before running the migrations again.
CREATE INDEX CONCURRENTLY IF NOT EXISTS scan_events_updates ON scan_events (scan_id, seq) WHERE type = 'ScanUpdated';
