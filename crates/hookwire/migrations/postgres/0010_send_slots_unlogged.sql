-- Send slots are a rate limiter's state, not history: after a crash they may
-- start afresh (the worst case is one burst up to the in-flight cap). Unlogged,
-- taking a slot writes no WAL and its commit waits for no WAL flush — measured
-- with benches/send_slots.rs (BENCHMARKS.md).
ALTER TABLE webhook_send_slots SET UNLOGGED;
