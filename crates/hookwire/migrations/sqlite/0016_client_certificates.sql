-- A webhook's TLS client certificate: JSON {cert_pem, key_pem}, sealed like
-- the secrets when secret encryption is on (secret::ClientCertificate); NULL
-- for none.
ALTER TABLE webhooks ADD COLUMN client_certificate TEXT;
