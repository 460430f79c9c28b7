-- The webhook generation: one counter that every change to `webhooks` bumps, in
-- the changing transaction. A node may reuse a webhook lookup made at generation
-- g for a publish only while the counter still reads g, which the publish's
-- insert checks in the same statement (src/store/webhook_cache.rs).
CREATE TABLE webhook_generation (
    id         BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
    generation BIGINT NOT NULL
);
INSERT INTO webhook_generation (generation) VALUES (0);

CREATE FUNCTION bump_webhook_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE webhook_generation SET generation = generation + 1;
    RETURN NULL;
END;
$$;

-- Per statement, not per row: a change to many webhooks is one bump. Cascaded
-- deletes (a tenant's webhooks) fire it too.
CREATE TRIGGER webhooks_bump_generation
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON webhooks
    FOR EACH STATEMENT EXECUTE FUNCTION bump_webhook_generation();
