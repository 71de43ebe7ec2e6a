"""``python -m gateway``: run the gateway (admin UI and the /api routes)."""

from gateway.bootstrap import create_app
from gateway.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
