-- CAMPAIGNS area: contacts, tags, groups, known custom field names.
-- `phone` is E.164 (normalised with whatsapp_client::PhoneNumber) and unique
-- per vendor. `fields` is a JSON object of custom fields (string values).
-- `opted_out` is 0/1: an opted-out contact is never messaged by a campaign.
CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    phone TEXT NOT NULL,
    name TEXT NOT NULL,
    fields TEXT NOT NULL,
    opted_out BIGINT NOT NULL DEFAULT 0,
    opted_out_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_tenant_phone_key ON contacts (tenant_id, phone);
CREATE INDEX contacts_tenant_created_idx ON contacts (tenant_id, created_at);

CREATE TABLE contact_tags (
    tenant_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (contact_id, tag)
);
CREATE INDEX contact_tags_tenant_tag_idx ON contact_tags (tenant_id, tag);

CREATE TABLE contact_groups (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX contact_groups_tenant_name_key ON contact_groups (tenant_id, name);

CREATE TABLE contact_group_members (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX contact_group_members_contact_idx ON contact_group_members (tenant_id, contact_id);

-- Every custom field name a vendor's contacts use, so templates can reject
-- unknown variables without scanning every contact.
CREATE TABLE contact_field_names (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
