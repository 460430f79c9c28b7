-- The webhook generation: one counter that every change to `webhooks` bumps, in
-- the changing transaction. The process may reuse a webhook lookup made at
-- generation g for a publish only while the counter still reads g, which the
-- publish's first insert checks in the same statement
-- (src/store/webhook_cache.rs).
CREATE TABLE webhook_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO webhook_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER webhooks_insert_bumps_generation AFTER INSERT ON webhooks
BEGIN
    UPDATE webhook_generation SET generation = generation + 1;
END;
CREATE TRIGGER webhooks_update_bumps_generation AFTER UPDATE ON webhooks
BEGIN
    UPDATE webhook_generation SET generation = generation + 1;
END;
CREATE TRIGGER webhooks_delete_bumps_generation AFTER DELETE ON webhooks
BEGIN
    UPDATE webhook_generation SET generation = generation + 1;
END;
