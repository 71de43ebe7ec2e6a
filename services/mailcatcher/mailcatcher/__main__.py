"""``python -m mailcatcher``: SMTP on MAILCATCHER_SMTP_PORT (2525), HTTP on MAILCATCHER_HTTP_PORT (8025)."""

from mailcatcher.app import main

if __name__ == "__main__":
    main()
