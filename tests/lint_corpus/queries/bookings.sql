-- A room's bookings.
SELECT * FROM bookings WHERE room = %(room)s
