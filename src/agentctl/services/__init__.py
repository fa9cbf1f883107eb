"""Business rules. Plain functions over a session; they return plain data and never print."""
