"""Communication types and templates (sandboxed Jinja2, contact rules); renders communications."""
