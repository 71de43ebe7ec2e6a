"""``python -m delivery``: run the delivery service (HTTP API and Kafka consumers)."""

from delivery.bootstrap import create_app
from delivery.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
