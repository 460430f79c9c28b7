-- Bump the webhook generation at commit, not after each statement. Bumped per
-- statement, a transaction that changes webhooks in two statements (the global
-- webhooks' replace: a DELETE, then upserts) held the generation row's lock
-- from its first statement while waiting for a webhook row that a concurrent
-- one-statement change (a health update) held — and that change waited for the
-- generation row: a deadlock. Deferred to commit, the generation row is always
-- the last lock a transaction takes.
DROP TRIGGER webhooks_bump_generation ON webhooks;

CREATE CONSTRAINT TRIGGER webhooks_bump_generation_at_commit
    AFTER INSERT OR UPDATE OR DELETE ON webhooks
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_webhook_generation();
