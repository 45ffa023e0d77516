-- An account's orders, newest first, with their refunds.
SELECT o.id, o.amount, o.status, o.placed_at, r.amount AS refunded
  FROM orders o
  LEFT JOIN refunds r ON r.order_id = o.id
 WHERE o.account_id = %(account_id)s
 ORDER BY o.placed_at DESC
