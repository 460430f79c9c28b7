-- A webhook's payload filter: a JSON object of conditions on the delivered
-- body, evaluated at fan-out (model::PayloadFilter); NULL for none. Kept as
-- text so the API shows it exactly as given.
ALTER TABLE webhooks ADD COLUMN filter TEXT;
