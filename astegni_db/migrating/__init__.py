"""The migrate side: reading migration files, planning, locking and applying."""
