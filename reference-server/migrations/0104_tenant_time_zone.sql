-- BOTS area: the vendor's time zone (IANA name), used by the bots for
-- business hours and for the day keyword hits are counted under.
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Jakarta';
