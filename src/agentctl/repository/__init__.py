"""All SQL lives here; dialect differences are solved once, next to the query."""
