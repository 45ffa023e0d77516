-- ACCESS EXCLUSIVE on session_events: reads and writes of every partition wait.
ALTER TABLE session_events DETACH PARTITION session_events_2024;
