-- Default plans. `trial` is given to every vendor at activation so a new
-- installation can be tried end to end without a payment; admins edit or
-- deactivate any of them through the admin API.
INSERT INTO plans (id, code, name, price_idr, duration_days, max_devices, max_contacts,
                   max_messages_per_month, max_ai_requests_per_month, active, created_at, updated_at)
VALUES
 ('00000000-0000-7000-8000-000000000001', 'trial', 'Trial', 0, 14, 1, 100, 1000, 100, 1, 0, 0),
 ('00000000-0000-7000-8000-000000000002', 'basic', 'Basic', 99000, 30, 1, 1000, 10000, 1000, 1, 0, 0),
 ('00000000-0000-7000-8000-000000000003', 'pro', 'Pro', 249000, 30, 5, 10000, 100000, 10000, 1, 0, 0);
