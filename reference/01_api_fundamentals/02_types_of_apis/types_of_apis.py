"""Kata 1.2: one temperature service exposed as REST, JSON-RPC 2.0, SOAP 1.1 and a WebSocket."""

import json
import math
import xml.etree.ElementTree as ET
from enum import StrEnum
from typing import Annotated, Any, TypeGuard

from fastapi import FastAPI, HTTPException, Query, Request, Response, WebSocket, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


# The domain, in one place: every adapter below calls `convert`, and nothing else converts.
# Celsius is the hub: each unit needs one formula in and one out, not one per pair.
_TO_CELSIUS = {
    Unit.CELSIUS: lambda value: value,
    Unit.FAHRENHEIT: lambda value: (value - 32) * 5 / 9,
    Unit.KELVIN: lambda value: value - 273.15,
}
_FROM_CELSIUS = {
    Unit.CELSIUS: lambda celsius: celsius,
    Unit.FAHRENHEIT: lambda celsius: celsius * 9 / 5 + 32,
    Unit.KELVIN: lambda celsius: celsius + 273.15,
}


def convert(value: float, from_unit: Unit, to_unit: Unit) -> float:
    """`value` in `from_unit`, expressed in `to_unit`.

    Raises `BelowAbsoluteZeroError` below absolute zero, `ValueError` for a value or a result
    that is not finite.
    """
    if not math.isfinite(value):
        raise ValueError(f"temperature must be a finite number, not {value!r}")
    # Compare in the caller's own unit: a detour through another unit adds rounding error, and
    # a value exactly at absolute zero could come out a hair below it.
    if value < ABSOLUTE_ZERO[from_unit]:
        raise BelowAbsoluteZeroError(
            f"{value!r} {from_unit} is below absolute zero ({ABSOLUTE_ZERO[from_unit]} {from_unit})"
        )
    if from_unit == to_unit:
        return value  # no arithmetic, no rounding: 0.1 stays 0.1
    result = _FROM_CELSIUS[to_unit](_TO_CELSIUS[from_unit](value))
    if not math.isfinite(result):
        raise ValueError(f"{value!r} {from_unit} is too large to express in {to_unit}")
    return result


def _describe(error: ValueError) -> str:
    """One line for a client: the domain's message, or the fields a ValidationError names."""
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'input'}: {e['msg']}" for e in error.errors()
        )
    return str(error)


# JSON-RPC 2.0 ---------------------------------------------------------------------------------


class _RpcError(Exception):
    """A JSON-RPC error object waiting to be sent."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data


def _valid_id(value: object) -> bool:
    """String, number or null. `bool` is a subclass of `int` in Python, but `true` is no number."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _is_valid_request(message: object) -> TypeGuard[dict[str, Any]]:
    """Whether `message` has the shape of a Request object (section 4 of the spec)."""
    return (
        isinstance(message, dict)
        and message.get("jsonrpc") == "2.0"  # exactly the string: 2.0 the number is not it
        and isinstance(message.get("method"), str)
        and isinstance(message.get("params", {}), dict | list)
        and _valid_id(message.get("id"))
    )


def _rpc_convert(params: object) -> float:
    """The `convert` method: params by name (an object) or by position (an array)."""
    if isinstance(params, list):
        if len(params) != 3:
            expected = "expected three params: [value, from_unit, to_unit]"
            raise _RpcError(INVALID_PARAMS, "Invalid params", expected)
        params = dict(zip(("value", "from_unit", "to_unit"), params, strict=True))
    try:
        conversion = Conversion.model_validate(params)
        return convert(conversion.value, conversion.from_unit, conversion.to_unit)
    except ValueError as error:  # ValidationError is a ValueError too
        raise _RpcError(INVALID_PARAMS, "Invalid params", _describe(error)) from error


_METHODS = {"convert": _rpc_convert}


def _rpc_error(code: int, message: str, data: str | None = None) -> dict[str, Any]:
    """A Response object carrying an error; the caller sets the `id` when it has one."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "error": error, "id": None}


def _rpc_reply(message: object) -> dict[str, Any] | None:
    """The Response object for one Request object, or None when it is a notification."""
    if not _is_valid_request(message):
        # Even without an `id`, a malformed request is answered: it is not a notification.
        return _rpc_error(INVALID_REQUEST, "Invalid Request")
    try:
        method = _METHODS.get(message["method"])
        if method is None:
            raise _RpcError(METHOD_NOT_FOUND, "Method not found", message["method"])
        reply = {"jsonrpc": "2.0", "result": method(message.get("params")), "id": None}
    except _RpcError as error:
        reply = _rpc_error(error.code, error.message, error.data)
    # A notification is a request *without* the member: `"id": null` still gets its answer.
    if "id" not in message:
        return None
    reply["id"] = message["id"]
    return reply


# SOAP 1.1 -------------------------------------------------------------------------------------


class _Fault(Exception):
    """A SOAP Fault: `code` is the local part of a faultcode in the envelope namespace."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _SoapTreeBuilder(ET.TreeBuilder):
    """Refuses what SOAP 1.1 forbids (section 3): a DTD and processing instructions.

    ElementTree never fetches external entities, and current expat releases stop the billion
    laughs, but internal entities are expanded: a DTD would still change what the message says.
    """

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _Fault("Client", "a SOAP message must not contain a DTD")

    def pi(self, target: str, text: str | None = None) -> ET.Element:
        raise _Fault("Client", "a SOAP message must not contain processing instructions")


def _q(namespace: str, name: str) -> str:
    """ElementTree's `{namespace}name` spelling of a qualified name."""
    return f"{{{namespace}}}{name}"


def _parse_envelope(body: bytes) -> ET.Element:
    parser = ET.XMLParser(target=_SoapTreeBuilder())
    try:
        parser.feed(body)  # bytes: the parser honours the document's own encoding declaration
        return parser.close()
    except ET.ParseError as error:
        raise _Fault("Client", f"malformed XML: {error}") from error


def _soap_convert(body: bytes, soap_action: str | None) -> float:
    """The answer to one SOAP request, or a `_Fault`."""
    envelope = _parse_envelope(body)
    if envelope.tag != _q(SOAP_ENV, "Envelope"):
        if envelope.tag.rpartition("}")[2] == "Envelope":
            raise _Fault("VersionMismatch", f"the Envelope must be in the namespace {SOAP_ENV}")
        raise _Fault("Client", "the root element must be a SOAP Envelope")
    header = envelope.find(_q(SOAP_ENV, "Header"))
    for entry in header if header is not None else ():
        if entry.get(_q(SOAP_ENV, "mustUnderstand")) == "1":
            raise _Fault("MustUnderstand", f"header entry {entry.tag} is not understood")
    if soap_action is None or soap_action.removeprefix('"').removesuffix('"') != SOAP_ACTION:
        raise _Fault("Client", f'the SOAPAction header must be "{SOAP_ACTION}"')
    request = envelope.find(f"{_q(SOAP_ENV, 'Body')}/{_q(SERVICE_NS, 'Convert')}")
    if request is None:
        raise _Fault("Client", f"the Body must hold a Convert element in namespace {SERVICE_NS}")
    fields: dict[str, str] = {}
    for name in ("value", "from_unit", "to_unit"):
        element = request.find(_q(SERVICE_NS, name))
        if element is None:
            raise _Fault("Client", f"Convert has no {name} element")
        fields[name] = (element.text or "").strip()
    try:
        return convert(float(fields["value"]), Unit(fields["from_unit"]), Unit(fields["to_unit"]))
    except ValueError as error:  # float("hot"), Unit("rankine"), and the domain's own errors
        raise _Fault("Client", str(error)) from error


def _soap_response(content: ET.Element, status_code: int = status.HTTP_200_OK) -> Response:
    # Literal prefixed names with their xmlns attribute: ElementTree would otherwise invent
    # `ns0:`, and the faultcode's QName `soap:Client` needs the `soap` prefix bound. ElementTree
    # still escapes every text, which an f-string template would not.
    envelope = ET.Element("soap:Envelope", {"xmlns:soap": SOAP_ENV})
    ET.SubElement(envelope, "soap:Body").append(content)
    return Response(
        ET.tostring(envelope, encoding="utf-8", xml_declaration=True),
        status_code=status_code,
        media_type="text/xml; charset=utf-8",
    )


def _soap_fault(fault: _Fault) -> Response:
    element = ET.Element("soap:Fault")
    # SOAP 1.1 (4.4): faultcode and faultstring are unqualified; the faultcode is a QName.
    ET.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    ET.SubElement(element, "faultstring").text = fault.message
    # 6.2: a SOAP error while processing the request is an HTTP 500, even the caller's fault.
    return _soap_response(element, status.HTTP_500_INTERNAL_SERVER_ERROR)


# WebSocket ------------------------------------------------------------------------------------


def _ws_reply(text: str | None) -> dict[str, Any]:
    """The reply to one frame: `{"id", "result"}` or `{"id", "error"}`."""
    if text is None:
        return {"id": None, "error": "send text frames holding a JSON object"}
    try:
        frame = json.loads(text)
    except ValueError:
        return {"id": None, "error": "the frame is not JSON"}
    if not isinstance(frame, dict):
        return {"id": None, "error": "the frame must be a JSON object"}
    frame_id = frame.pop("id", None)
    if not isinstance(frame_id, str | int) or isinstance(frame_id, bool):
        return {"id": None, "error": "the frame needs an id: a string or an integer"}
    try:
        conversion = Conversion.model_validate(frame)
        result = convert(conversion.value, conversion.from_unit, conversion.to_unit)
    except ValueError as error:
        return {"id": frame_id, "error": _describe(error)}
    return {"id": frame_id, "result": result}


# The app --------------------------------------------------------------------------------------


def create_app() -> FastAPI:
    """Builds the app: one `convert`, four adapters."""
    app = FastAPI(title="Temperature conversion, four ways")

    @app.get("/conversions")
    async def rest_conversion(
        value: Annotated[float, Query(description="the temperature to convert")],
        from_unit: Annotated[Unit, Query(description="the unit of `value`")],
        to_unit: Annotated[Unit, Query(description="the unit of the answer")],
        response: Response,
    ) -> Temperature:
        try:
            result = convert(value, from_unit, to_unit)
        except ValueError as error:
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from error
        # A pure function of the URL: any cache on the way may keep the answer.
        response.headers["Cache-Control"] = "public, max-age=86400"
        return Temperature(value=result, unit=to_unit)

    @app.post("/jsonrpc")
    async def jsonrpc(request: Request) -> Response:
        try:
            payload = json.loads(await request.body())
        except ValueError:  # not JSON, and also bytes that are not UTF-8
            return JSONResponse(_rpc_error(PARSE_ERROR, "Parse error"))
        if isinstance(payload, list) and not payload:
            return JSONResponse(_rpc_error(INVALID_REQUEST, "Invalid Request"))
        if isinstance(payload, list):
            replies: Any = [r for r in map(_rpc_reply, payload) if r is not None]
        else:
            replies = _rpc_reply(payload)
        if not replies:  # notifications only: the spec says return nothing at all
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        return JSONResponse(replies)

    @app.post("/soap")
    async def soap(request: Request) -> Response:
        try:
            result = _soap_convert(await request.body(), request.headers.get("SOAPAction"))
        except _Fault as fault:
            return _soap_fault(fault)
        answer = ET.Element("t:ConvertResponse", {"xmlns:t": SERVICE_NS})
        # repr() is the shortest text that reads back as the very same float.
        ET.SubElement(answer, "t:value").text = repr(result)
        return _soap_response(answer)

    @app.websocket("/ws")
    async def websocket_conversions(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            # A bad frame gets an error reply; only the client decides when the socket closes.
            await websocket.send_json(_ws_reply(message.get("text")))

    return app
