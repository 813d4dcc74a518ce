-- A Redis Cluster source: per master (host:port) its copy progress, replication counters and cutover result, as JSON
-- (see ShardState); null for other sources and at the start of each run.
ALTER TABLE migration ADD COLUMN shards TEXT;
