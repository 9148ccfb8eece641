-- accounts_rehash: the same password hashed again with the current Argon2 parameters (at a
-- successful login whose stored hash used older ones). $name, $hash. Grain: one row per account.
update accounts set password_hash = $hash where username = $name
