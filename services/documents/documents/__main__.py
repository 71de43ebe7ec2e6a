"""``python -m documents``: run the documents service (HTTP API and Kafka consumers)."""

from documents.bootstrap import create_app
from documents.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
