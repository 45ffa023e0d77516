-- GET media-settings of the admin system-settings API: the upload and storage
-- limits of every subscription plan.
SELECT subscription_plan_id, max_image_size_mb, max_video_size_mb,
       max_document_size_mb, max_audio_size_mb, storage_limit_gb,
       max_image_storage_mb, max_video_storage_mb
  FROM system_media_settings
 ORDER BY subscription_plan_id
