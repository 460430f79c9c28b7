-- A webhook's payload filter: a JSON object of conditions on the delivered
-- body, evaluated at fan-out (model::PayloadFilter); NULL for none.
ALTER TABLE webhooks ADD COLUMN filter TEXT;
