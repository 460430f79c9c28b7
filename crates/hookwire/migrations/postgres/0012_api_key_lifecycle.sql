-- API keys get a name, scopes (space-separated: publish read manage), an
-- expiry and the time they were last used (written at most once a minute per
-- key and node). Existing keys keep every scope and never expire.
ALTER TABLE api_keys ADD COLUMN name TEXT;
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'publish read manage';
ALTER TABLE api_keys ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
