"""What the database backend adds to a request's query count."""

from django.db import connection

# careerguide.database.heavy_queries sets PostgreSQL's statement_timeout before and after each known slow, cached
# computation of a web request (a broad search's counts, a guide's ranking): two statements per such block.
HEAVY_BLOCK = 2 if connection.vendor == "postgresql" else 0
