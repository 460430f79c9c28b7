-- Attempts are read (a delivery's history) and deduplicated by
-- (delivery_id, attempt_number) only; the attempt id, a UUIDv7, needs no index
-- of its own. That pair becomes the primary key (its index built once here),
-- and every attempt written updates one index less.
ALTER TABLE attempts DROP CONSTRAINT attempts_pkey;
ALTER TABLE attempts DROP CONSTRAINT attempts_delivery_id_attempt_number_key;
ALTER TABLE attempts ADD CONSTRAINT attempts_pkey PRIMARY KEY (delivery_id, attempt_number);
