"""Small checks that several katas' tests share; import them, never copy them into a kata."""

import uuid


def is_uuid4(value: str) -> bool:
    """Whether `value` is a UUID4 in its canonical text form (what `str(uuid.uuid4())` gives)."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return parsed.version == 4 and str(parsed) == value
