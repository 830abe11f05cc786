-- The floor for the reminder sweep (issue 13 item 4): the database work of writing the rows a
-- sweep writes, by one INSERT ... SELECT ... ON CONFLICT DO NOTHING, with no Python in between.
-- Run it right after the reminders section of bench/run.py, on the same database:
--   psql -h 127.0.0.1 -U postgres -d "$BENCH_DB" -f bench/sweep_floor.sql
-- Everything happens in one transaction that is rolled back: the outbox is left as the sweep left it.
-- "Later sweep" inserts every key again (all conflict); "first sweep" inserts them into an empty key set.
-- The reading floor is the sweep's own due-item queries (their time is in the sweep's profile).
\timing on
BEGIN;
CREATE TEMP TABLE swept ON COMMIT DROP AS SELECT * FROM notification WHERE robot_id IS NULL;
SELECT count(*) AS swept_rows FROM swept;
\echo 'later sweep floor: every key exists'
INSERT INTO notification SELECT * FROM swept
    ON CONFLICT (recipient_id, kind, subject_key, period, channel) DO NOTHING;
DELETE FROM notification n USING swept s WHERE n.id = s.id;
\echo 'first sweep floor: every row new'
INSERT INTO notification SELECT * FROM swept
    ON CONFLICT (recipient_id, kind, subject_key, period, channel) DO NOTHING;
ROLLBACK;
