-- A Redis Cluster source: per master (host:port) its copy progress, replication counters and cutover result, as JSON
-- (see ShardState); null for other sources and at the start of each run.
ALTER TABLE migration ADD COLUMN shards TEXT;
-- The current reconciliation pass's masters (JSON list of host:port) when only their keys are rescanned; null: all.
ALTER TABLE migration ADD COLUMN reconcile_shards TEXT;
