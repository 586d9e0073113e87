"""Kata 1.2: one temperature service exposed as REST, JSON-RPC 2.0, SOAP 1.1 and a WebSocket."""

from enum import StrEnum

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = "urn:katas:temperature"
SOAP_ACTION = "urn:katas:temperature#Convert"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


class Unit(StrEnum):
    """The temperature scales the service knows."""

    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"
    KELVIN = "kelvin"


ABSOLUTE_ZERO: dict[Unit, float] = {
    Unit.CELSIUS: -273.15,
    Unit.FAHRENHEIT: -459.67,
    Unit.KELVIN: 0.0,
}


class BelowAbsoluteZeroError(ValueError):
    """A temperature colder than absolute zero in its own unit."""


class Temperature(BaseModel):
    """A temperature as the REST adapter answers it."""

    value: float
    unit: Unit


class Conversion(BaseModel):
    """One conversion as JSON-RPC params and WebSocket frames carry it."""

    model_config = ConfigDict(extra="forbid")

    # strict: a JSON number only; lax mode would take "100" and even `true`.
    value: float = Field(strict=True)
    from_unit: Unit
    to_unit: Unit


def convert(value: float, from_unit: Unit, to_unit: Unit) -> float:
    """`value` in `from_unit`, expressed in `to_unit`.

    Raises `BelowAbsoluteZeroError` below absolute zero, `ValueError` for a value or a result
    that is not finite.
    """
    # TODO(task 1): refuse non-finite values and values below ABSOLUTE_ZERO[from_unit], return
    # `value` itself for the same unit, convert, and refuse a result that is not finite.
    raise NotImplementedError("convert is not written yet")


def create_app() -> FastAPI:
    """Builds the app: one `convert`, four adapters."""
    app = FastAPI(title="Temperature conversion, four ways")
    # TODO(task 2): REST, GET /conversions -> Temperature; 400 when convert refuses the value.
    # TODO(task 3): JSON-RPC 2.0, POST /jsonrpc: one request, its result or an error code.
    # TODO(task 4): WebSocket /ws: one reply per frame, correlated by id, errors keep it open.
    # Stretch tasks:
    # TODO(task 5): JSON-RPC 2.0 notifications, and batches on the same endpoint.
    # TODO(task 6): SOAP 1.1, POST /soap: envelopes, SOAPAction, faults, no DTD.
    # TODO(task 7): nothing new: every adapter calls `convert` and writes round-tripping numbers.
    return app
