-- A delivery's tenant is its event's, and the event's foreign key already ties
-- it to the tenant: deleting a tenant deletes its events, and with them their
-- deliveries. The delivery's own key only cost a referenced-row check (a query
-- and a KEY SHARE lock on the one hot tenant row) for every delivery written.
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_tenant_id_fkey;
