-- pgbench's side of the vote_load benchmark (tests/benches/vote_load.rs): one vote written as the
-- voting service writes it (services/voting/src/ballots/vote.rs and the store kit's `record`), in
-- one transaction: the ballot taken in share mode, the voter's row, the effective vote upserted, the
-- vote kept in the history, the event in the outbox, and the entry appended to the workout's
-- hash-chained audit log under the chain head's row lock (shared/store/src/audit/mod.rs): the
-- head taken (and locked) in one statement, the entry, its details and the new head in one more.
--
-- Variables given with -D: `ballot` and `workout` (ids of an open ballot and its workout). The bank
-- is one of the ballot's voters, drawn at random; the choice too. Hashes are SHA-256 in SQL (the
-- service computes them in Rust); ids are random UUIDs (the service's are UUIDv7). pgbench reads
-- `:name` as a variable even inside a string literal, so no literal here holds a colon.
\set n random(0, 49)
\set c random(1, 3)
BEGIN;
SELECT closes_at FROM voting.ballots WHERE id = :ballot AND workout_id = :workout FOR SHARE;
SELECT creditor_id AS creditor, (ARRAY['for', 'against', 'abstain'])[:c] AS choice
    FROM voting.ballot_voters WHERE ballot_id = :ballot
    ORDER BY creditor_id OFFSET :n LIMIT 1 \gset
INSERT INTO voting.votes (ballot_id, creditor_id, choice, comment, cast_by, cast_at)
    VALUES (:ballot, :creditor, :choice, NULL, :creditor, now())
    ON CONFLICT (ballot_id, creditor_id) DO UPDATE SET choice = excluded.choice,
        comment = excluded.comment, cast_by = excluded.cast_by, cast_at = excluded.cast_at,
        changes = voting.votes.changes + 1;
INSERT INTO voting.vote_history (id, ballot_id, creditor_id, choice, comment, cast_by, cast_at)
    VALUES (gen_random_uuid(), :ballot, :creditor, :choice, NULL, :creditor, now());
INSERT INTO voting.outbox (id, topic, workout_id, payload)
    VALUES (gen_random_uuid(), 'voting.vote_cast', :workout,
        jsonb_build_object('ballot_id', :ballot::text, 'creditor_id', :creditor::text,
            'choice', :choice::text, 'comment', NULL, 'cast_by', :creditor::text));
INSERT INTO voting.audit_heads (chain_id, seq, hash) VALUES (:workout, 0, repeat('0', 64))
    ON CONFLICT (chain_id) DO UPDATE SET seq = voting.audit_heads.seq
    RETURNING seq + 1 AS seq, hash AS prev \gset
WITH entry AS (INSERT INTO voting.audit_log (chain_id, seq, id, recorded_at, actor_user_id,
        actor_institution_id, action, prev_hash, hash, actor_service, details_hash, disclosure)
    VALUES (:workout, :seq, gen_random_uuid(), now(), :creditor, :creditor, 'vote_cast', :prev,
        encode(sha256(convert_to(:prev::text || :seq::text || :creditor::text, 'UTF8')), 'hex'),
        NULL, encode(sha256(convert_to(:creditor::text || :choice::text, 'UTF8')), 'hex'),
        concat_ws(chr(58), 'own_or_permitted', :creditor::text, 'read_individual_votes'))
    RETURNING hash),
details AS (INSERT INTO voting.audit_details (chain_id, seq, salt, before, after)
    VALUES (:workout, :seq, md5(random()::text), NULL,
        jsonb_build_object('ballot_id', :ballot::text, 'creditor_id', :creditor::text,
            'choice', :choice::text, 'comment', NULL, 'cast_by', :creditor::text)))
UPDATE voting.audit_heads SET seq = :seq, hash = (SELECT hash FROM entry)
    WHERE chain_id = :workout;
END;
