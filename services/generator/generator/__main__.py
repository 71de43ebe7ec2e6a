"""``python -m generator``: run the generator service (HTTP API and Kafka consumers)."""

from generator.bootstrap import create_app
from generator.config import Settings
from servicekit.runtime import serve


def main() -> None:
    settings = Settings()
    serve(create_app(settings), settings)


if __name__ == "__main__":
    main()
