"""``python -m batches``: run the batches service (HTTP API and Kafka consumers)."""

from batches.bootstrap import create_app
from batches.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
