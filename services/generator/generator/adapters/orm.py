"""SQLAlchemy tables of the generator service."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from servicekit.messaging_tables import add_messaging_tables


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


metadata = Base.metadata
messaging = add_messaging_tables(metadata)
