-- The W3C traceparent of the request that published an event, when traces are
-- exported: its deliveries' attempts, on any node and after any restart, join
-- that trace. NULL when tracing is off. Adding a nullable column leaves every
-- statement of the previous version valid (rolling upgrades).
ALTER TABLE events ADD COLUMN traceparent TEXT;
