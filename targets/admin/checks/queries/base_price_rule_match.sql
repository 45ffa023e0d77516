-- A new tutor's suggested price (market_pricing_endpoints.py,
-- get_base_price_for_tutor, over a psycopg connection to ADMIN_DATABASE_URL):
-- the active rule for a subject and format, highest priority first. It is tried
-- again with 'all' for either, which is the same statement with other values.
SELECT base_price_per_hour, credential_bonus, experience_bonus_per_year, rule_name
  FROM base_price_rules
 WHERE subject_category = %(subject_category)s
   AND session_format = %(session_format)s
   AND is_active = TRUE
 ORDER BY priority ASC
 LIMIT 1
