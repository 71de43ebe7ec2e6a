"""Letter PDFs (reportlab), the combined batch PDF, signed expiring download links."""
