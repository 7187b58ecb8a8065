"""Everything that talks SQL: the pool, the embedded server, migrations, one module of queries per table."""
