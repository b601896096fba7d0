"""People: users and their roles, service users (people at home) with checked NHS numbers,
and importing service users from a file."""
