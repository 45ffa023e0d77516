-- GET /api/admin/base-price-rules (base_price_endpoints.py): every rule, through
-- the ORM's BasePriceRule, so every column the model declares (currency is
-- production's, not the model's), highest priority (1) first, newest first.
SELECT id, rule_name, country, subject_category, session_format,
       min_grade_level, max_grade_level, base_price_per_hour, credential_bonus,
       experience_bonus_per_year, priority, is_active, created_at, updated_at
  FROM base_price_rules
 ORDER BY priority ASC, created_at DESC
