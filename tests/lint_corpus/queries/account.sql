-- The account page: who it is and what they hold.
SELECT a.id, a.email, a.name, a.balance, a.created_at
  FROM accounts AS a
 WHERE a.id = %(account_id)s
