"""The work the cached endpoints stand for, the same in every app: 50 records validated with pydantic and summed up
(what an endpoint reading a table and shaping it does, minus the database)."""

from pydantic import BaseModel, TypeAdapter


class Record(BaseModel):
    id: int
    name: str
    price: float
    tags: list[str]


RECORDS = TypeAdapter(list[Record])
ROWS = [{"id": i, "name": f"item {i}", "price": i * 1.25, "tags": ["a", "b", str(i % 7)]} for i in range(50)]


def report() -> dict[str, object]:
    records = RECORDS.validate_python(ROWS)
    return {"count": len(records), "total": sum(record.price for record in records), "top": records[-1].name}


EXPECTED = report()
