-- CAMPAIGNS area: what `{name}` and `{first_name}` say in this template for
-- a contact without a name (NULL: the default, "Kak").
ALTER TABLE message_templates ADD COLUMN name_fallback TEXT;
