-- BOTS area: how often each keyword-rules reply fired, per vendor and day.
-- `day` is YYYY-MM-DD in the vendor's time zone; `keyword` is what the
-- plugin reported as matched (a rule id, `default` or `out-of-hours`).
-- Read by the analytics area ("top keywords").
CREATE TABLE bot_keyword_hits (
    tenant_id TEXT NOT NULL,
    day TEXT NOT NULL,
    keyword TEXT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, keyword)
);
