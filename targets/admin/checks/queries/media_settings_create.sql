-- POST media-settings of the admin system-settings API, once it has checked that
-- the plan exists and has no settings yet. It names six columns: every other
-- one (allowed formats, storage split, optimisation flags) takes its server
-- default, which is why the one shape has production's defaults.
INSERT INTO system_media_settings (
    subscription_plan_id, max_image_size_mb, max_video_size_mb,
    max_document_size_mb, max_audio_size_mb, storage_limit_gb,
    created_at, updated_at
) VALUES (
    %(subscription_plan_id)s, %(max_image_size_mb)s, %(max_video_size_mb)s,
    %(max_document_size_mb)s, %(max_audio_size_mb)s, %(storage_limit_gb)s,
    CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
)
RETURNING id
