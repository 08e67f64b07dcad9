-- The read copy of collection results: pages of an owner (a scan, or a standalone job's task) are keyset on
-- (owner, id) and cost the same at 20 results as at 20,000. The results themselves stay in MongoDB; each row holds the
-- result in its wire encoding. `json`, not `jsonb`: the text is stored as sent and given back as stored.
CREATE TABLE results_read (
  owner       text NOT NULL,
  id          uuid NOT NULL,
  task_id     text NOT NULL,
  module_id   text NOT NULL,
  data_type   text NOT NULL,
  confidence  double precision NOT NULL,
  document    json NOT NULL,
  PRIMARY KEY (owner, id)
);

-- The MongoDB databases whose results stored before the read copy existed have been copied into it (once, at the
-- first start of a result store on them).
CREATE TABLE results_read_backfills (
  mongo_database  text PRIMARY KEY,
  done_at         timestamptz NOT NULL DEFAULT now()
);
