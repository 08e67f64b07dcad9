-- A batch of event appends as one statement: the node sends the whole batch as one JSON document and the server
-- checks the fences and log heads, inserts the events and command ids, and updates projections and snapshots, all
-- or nothing. One round trip per batch instead of a transaction of eight statements.
--
-- batch: {
--   fences:    [{shard, epoch}]                 the epoch each fenced shard must still have (locked FOR SHARE)
--   heads:     [{scan_id, seq}]                 the event each scan's first append expects to be its last
--   events:    [{scan_id, seq, type, payload, at_ms, epoch}]
--   commands:  [{scan_id, command_id, seq}]
--   scans:     [{id, organization_id, user_id, name, status, target_type, target_value, shard, seq, progress,
--                result_count, created_ms, updated_ms, started_ms, completed_ms, deleted_ms, document}]
--   snapshots: [{scan_id, seq, state, at_ms}]
-- }
-- Refusals roll the statement back and are told apart by SQLSTATE: MR001 a stale fence (DETAIL: the shard), MR002 a
-- log that does not end where an append expects (DETAIL: the scan id), 23505 a seq or command id already written.
CREATE FUNCTION mirage_append(batch jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  stale_shard integer;
  missing_scan uuid;
BEGIN
  PERFORM 1 FROM shard_fences
  WHERE shard IN (SELECT (f ->> 'shard')::integer FROM jsonb_array_elements(batch -> 'fences') AS f)
  ORDER BY shard FOR SHARE;
  SELECT f.shard INTO stale_shard
  FROM jsonb_to_recordset(batch -> 'fences') AS f(shard integer, epoch bigint)
  LEFT JOIN shard_fences s ON s.shard = f.shard
  WHERE s.epoch IS DISTINCT FROM f.epoch
  ORDER BY f.shard LIMIT 1;
  IF stale_shard IS NOT NULL THEN
    RAISE EXCEPTION 'stale epoch' USING ERRCODE = 'MR001', DETAIL = stale_shard::text;
  END IF;

  SELECT h.scan_id INTO missing_scan
  FROM jsonb_to_recordset(batch -> 'heads') AS h(scan_id uuid, seq integer)
  WHERE NOT EXISTS (SELECT 1 FROM scan_events e WHERE e.scan_id = h.scan_id AND e.seq = h.seq)
  LIMIT 1;
  IF missing_scan IS NOT NULL THEN
    RAISE EXCEPTION 'log head missing' USING ERRCODE = 'MR002', DETAIL = missing_scan::text;
  END IF;

  INSERT INTO scan_events (scan_id, seq, type, payload, at, epoch)
  SELECT scan_id, seq, type, payload, to_timestamp(at_ms / 1000.0), epoch
  FROM jsonb_to_recordset(batch -> 'events')
    AS e(scan_id uuid, seq integer, type text, payload jsonb, at_ms double precision, epoch bigint);

  INSERT INTO scan_commands (scan_id, command_id, seq)
  SELECT scan_id, command_id, seq
  FROM jsonb_to_recordset(batch -> 'commands') AS c(scan_id uuid, command_id text, seq integer);

  INSERT INTO scans (id, organization_id, user_id, name, status, target_type, target_value, shard, seq, progress,
                     result_count, created_at, updated_at, started_at, completed_at, deleted_at, document)
  SELECT id, organization_id, user_id, name, status, target_type, target_value, shard, seq, progress, result_count,
         to_timestamp(created_ms / 1000.0), to_timestamp(updated_ms / 1000.0), to_timestamp(started_ms / 1000.0),
         to_timestamp(completed_ms / 1000.0), to_timestamp(deleted_ms / 1000.0), document
  FROM jsonb_to_recordset(batch -> 'scans') AS p(
    id uuid, organization_id uuid, user_id uuid, name text, status text, target_type text, target_value text,
    shard integer, seq integer, progress double precision, result_count integer, created_ms double precision,
    updated_ms double precision, started_ms double precision, completed_ms double precision,
    deleted_ms double precision, document jsonb)
  ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, status = EXCLUDED.status, target_type = EXCLUDED.target_type,
    target_value = EXCLUDED.target_value, shard = EXCLUDED.shard, seq = EXCLUDED.seq,
    progress = EXCLUDED.progress, result_count = EXCLUDED.result_count, updated_at = EXCLUDED.updated_at,
    started_at = EXCLUDED.started_at, completed_at = EXCLUDED.completed_at,
    deleted_at = COALESCE(scans.deleted_at, EXCLUDED.deleted_at), document = EXCLUDED.document
  WHERE scans.seq < EXCLUDED.seq;

  INSERT INTO scan_snapshots (scan_id, seq, state, at)
  SELECT scan_id, seq, state, to_timestamp(at_ms / 1000.0)
  FROM jsonb_to_recordset(batch -> 'snapshots') AS s(scan_id uuid, seq integer, state jsonb, at_ms double precision)
  ON CONFLICT (scan_id) DO UPDATE SET seq = EXCLUDED.seq, state = EXCLUDED.state, at = EXCLUDED.at
  WHERE scan_snapshots.seq < EXCLUDED.seq;
END
$$;
