from .engine import Database, Table
from .schema import create_schema

__all__ = ["Database", "Table", "create_schema"]
