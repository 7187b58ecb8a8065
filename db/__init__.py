"""Everything that talks SQL: the pool, the embedded server, migrations and one module of queries per table."""
