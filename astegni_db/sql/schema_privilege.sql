-- Whether this role may create tables where migrations will create them
-- (yoyo would swallow the error and fail later, on a missing yoyo_lock).
SELECT current_schema() AS schema,
       current_user AS role,
       coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) AS can_create;
