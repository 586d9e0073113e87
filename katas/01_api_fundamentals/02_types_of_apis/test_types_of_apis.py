"""Tests for kata 1.2: one conversion service as REST, JSON-RPC 2.0, SOAP 1.1 and a WebSocket.

Each style is held to its own specification. SOAP answers are parsed with ElementTree, namespace
aware (a QName in `faultcode` is resolved through the response's own namespace declarations),
never compared as strings. JSON-RPC batch replies may come in any order: they are matched by id.
The property tests that talk to the WebSocket use `AsgiWebSocket` (below), whose every wait is
bounded, rather than TestClient, whose waits are not.
"""

import asyncio
import io
import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any
from xml.sax.saxutils import escape

import httpx
import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import WebSocketTestSession
from starlette.types import ASGIApp, Message
from types_of_apis import BelowAbsoluteZeroError, Unit, convert

# TestClient answers with httpx2 responses, httpx.AsyncClient with httpx ones.
Answer = httpx.Response | httpx2.Response

# A TestClient WebSocket test waiting for a reply that never comes would hang: fail it instead.
pytestmark = pytest.mark.timeout(10)

C, F, K = Unit.CELSIUS, Unit.FAHRENHEIT, Unit.KELVIN
# The spec's values, written out here rather than imported: the tests hold the README's contract.
ZERO = {C: -273.15, F: -459.67, K: 0.0}
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
SERVICE = "urn:katas:temperature"
ACTION = '"urn:katas:temperature#Convert"'

# For property tests that reuse one app or client across examples: the service keeps no state,
# so that is correct, and far cheaper than building one per example.
SHARED_CLIENT = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

KNOWN = [
    pytest.param(100, C, F, 212.0, id="boiling-c-to-f"),
    pytest.param(0, C, K, 273.15, id="freezing-c-to-k"),
    pytest.param(-40, C, F, -40.0, id="minus-forty-c-to-f"),
    pytest.param(212, F, C, 100.0, id="boiling-f-to-c"),
    pytest.param(32, F, K, 273.15, id="freezing-f-to-k"),
    pytest.param(0, K, C, -273.15, id="zero-k-to-c"),
    pytest.param(0, K, F, -459.67, id="zero-k-to-f"),
    pytest.param(310.15, K, F, 98.6, id="body-k-to-f"),
    pytest.param(37.5, C, C, 37.5, id="same-unit"),
]


def close_to(expected: float) -> Any:
    """The tolerance the README promises: any correct formula passes."""
    return pytest.approx(expected, rel=1e-9, abs=1e-9)


def media_type(response: Answer, parameter: str | None = None) -> str | None:
    """The media type of the response (`text/xml`), or one of its parameters, lowercased."""
    kind, *parameters = (part.strip() for part in response.headers["content-type"].split(";"))
    if parameter is None:
        return kind.lower()
    for name, _, value in (p.partition("=") for p in parameters):
        if name.strip().lower() == parameter:
            return value.strip().strip('"').lower()
    return None


def values_from(unit: Unit, high: float = 1e6) -> st.SearchStrategy[float]:
    """Finite temperatures in `unit`, from its absolute zero up to `high`."""
    return st.floats(min_value=ZERO[unit], max_value=high, allow_nan=False, allow_infinity=False)


def conversions() -> st.SearchStrategy[tuple[float, Unit, Unit]]:
    """A legal (value, from_unit, to_unit) for every unit pair."""
    return st.tuples(st.sampled_from(Unit), st.sampled_from(Unit)).flatmap(
        lambda pair: st.tuples(values_from(pair[0]), st.just(pair[0]), st.just(pair[1]))
    )


# Task 1: the domain -------------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize(("value", "from_unit", "to_unit", "expected"), KNOWN)
def test_convert_gives_known_temperatures(
    value: float, from_unit: Unit, to_unit: Unit, expected: float
) -> None:
    assert convert(value, from_unit, to_unit) == close_to(expected)


@pytest.mark.task(1)
@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from(Unit).flatmap(lambda unit: st.tuples(st.just(unit), values_from(unit))))
@example(case=(C, 0.1))
@example(case=(F, 1 / 3))
@example(case=(K, 0.0))
def test_converting_to_the_same_unit_returns_the_value_unchanged(case: tuple[Unit, float]) -> None:
    unit, value = case
    assert convert(value, unit, unit) == value


@pytest.mark.task(1)
@pytest.mark.parametrize("from_unit", list(Unit))
@pytest.mark.parametrize("to_unit", list(Unit))
def test_absolute_zero_itself_is_a_legal_temperature(from_unit: Unit, to_unit: Unit) -> None:
    assert convert(ZERO[from_unit], from_unit, to_unit) == close_to(ZERO[to_unit])


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit"),
    [
        pytest.param(math.nextafter(-273.15, -math.inf), C, K, id="just-below-c"),
        pytest.param(math.nextafter(-459.67, -math.inf), F, C, id="just-below-f"),
        pytest.param(-5e-324, K, F, id="just-below-k"),
        pytest.param(-300.0, C, F, id="far-below-c"),
        pytest.param(-1.0, K, K, id="below-zero-to-the-same-unit"),
        pytest.param(-1e308, F, K, id="hugely-negative"),
    ],
)
def test_below_absolute_zero_raises(value: float, from_unit: Unit, to_unit: Unit) -> None:
    with pytest.raises(BelowAbsoluteZeroError):
        convert(value, from_unit, to_unit)


@pytest.mark.task(1)
@pytest.mark.parametrize("unit", list(Unit))
@pytest.mark.parametrize(
    "value",
    [
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="inf"),
        pytest.param(-math.inf, id="minus-inf"),
    ],
)
def test_a_value_that_is_not_finite_raises_value_error(value: float, unit: Unit) -> None:
    with pytest.raises(ValueError):
        convert(value, unit, C if unit is not C else K)


@pytest.mark.task(1)
@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit"),
    [
        pytest.param(1e308, C, F, id="c-to-f"),
        pytest.param(1.7e308, K, F, id="k-to-f"),
    ],
)
def test_a_result_that_overflows_raises_value_error(
    value: float, from_unit: Unit, to_unit: Unit
) -> None:
    with pytest.raises(ValueError):
        convert(value, from_unit, to_unit)


@pytest.mark.task(1)
@settings(max_examples=30, deadline=None)
@given(pair=st.tuples(st.sampled_from(Unit), st.sampled_from(Unit)), data=st.data())
def test_converting_there_and_back_gives_the_value_again(
    pair: tuple[Unit, Unit], data: st.DataObject
) -> None:
    first, second = pair
    # One degree clear of absolute zero, so that rounding cannot push the way back below it.
    value = data.draw(st.floats(min_value=ZERO[first] + 1, max_value=1e6))
    assert convert(convert(value, first, second), second, first) == pytest.approx(
        value, rel=1e-9, abs=1e-9
    )


# Task 2: REST ---------------------------------------------------------------------------------


def rest(client: TestClient, value: object, from_unit: str, to_unit: str) -> Answer:
    params = {"value": str(value), "from_unit": str(from_unit), "to_unit": str(to_unit)}
    return client.get("/conversions", params=params)


@pytest.mark.task(2)
@pytest.mark.parametrize(("value", "from_unit", "to_unit", "expected"), KNOWN)
def test_rest_get_answers_the_temperature_in_the_target_unit(
    client: TestClient, value: float, from_unit: Unit, to_unit: Unit, expected: float
) -> None:
    response = rest(client, value, from_unit, to_unit)
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json", response.headers["content-type"]
    body = response.json()
    assert set(body) == {"value", "unit"}, body
    assert body["unit"] == to_unit
    assert body["value"] == close_to(expected)


@pytest.mark.task(2)
def test_rest_answer_may_be_cached(client: TestClient) -> None:
    response = rest(client, 100, "celsius", "kelvin")
    assert response.status_code == 200, response.text
    directives = {d.strip().lower() for d in response.headers["cache-control"].split(",")}
    assert directives == {"public", "max-age=86400"}


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"from_unit": "celsius", "to_unit": "kelvin"}, "value", id="missing-value"),
        pytest.param({"value": "10", "to_unit": "kelvin"}, "from_unit", id="missing-from-unit"),
        pytest.param({"value": "10", "from_unit": "celsius"}, "to_unit", id="missing-to-unit"),
        pytest.param(
            {"value": "hot", "from_unit": "celsius", "to_unit": "kelvin"},
            "value",
            id="not-a-number",
        ),
        pytest.param(
            {"value": "10", "from_unit": "Celsius", "to_unit": "kelvin"}, "from_unit", id="case"
        ),
        pytest.param(
            {"value": "10", "from_unit": "celsius", "to_unit": "rankine"}, "to_unit", id="unknown"
        ),
    ],
)
def test_rest_bad_parameters_get_422_with_their_location(
    client: TestClient, params: dict[str, str], loc: str
) -> None:
    response = client.get("/conversions", params=params)
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["query", loc]]


@pytest.mark.task(2)
@pytest.mark.parametrize(
    ("value", "from_unit"),
    [
        pytest.param("-273.16", "celsius", id="below-zero-c"),
        pytest.param("-459.68", "fahrenheit", id="below-zero-f"),
        pytest.param("-0.5", "kelvin", id="below-zero-k"),
        pytest.param("nan", "celsius", id="nan"),
        pytest.param("inf", "kelvin", id="inf"),
        pytest.param("1e308", "celsius", id="overflow"),
    ],
)
def test_rest_value_the_domain_refuses_gets_400_with_a_detail(
    client: TestClient, value: str, from_unit: str
) -> None:
    response = rest(client, value, from_unit, "fahrenheit")
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"detail"}, body
    assert isinstance(body["detail"], str)
    assert body["detail"].strip()


# Task 3: JSON-RPC, one call -------------------------------------------------------------------


def rpc(client: TestClient, payload: object) -> Answer:
    """POSTs `payload` as JSON to the JSON-RPC endpoint."""
    return client.post(
        "/jsonrpc", content=json.dumps(payload), headers={"content-type": "application/json"}
    )


def call(params: object, id_: object = 1, method: object = "convert") -> dict[str, object]:
    return {"jsonrpc": "2.0", "method": method, "params": params, "id": id_}


def reply_of(response: Answer) -> Any:
    """The JSON body of a JSON-RPC answer, after checking its HTTP envelope."""
    assert response.status_code == 200, response.text
    assert media_type(response) == "application/json", response.headers["content-type"]
    return response.json()


def assert_result(reply: Any, id_: object) -> float:
    assert isinstance(reply, dict), reply
    assert set(reply) == {"jsonrpc", "result", "id"}, reply
    assert reply["jsonrpc"] == "2.0"
    assert reply["id"] == id_
    assert type(reply["id"]) is type(id_), reply
    assert isinstance(reply["result"], float | int), reply
    return float(reply["result"])


def assert_error(reply: Any, code: int, id_: object = None) -> None:
    assert isinstance(reply, dict), reply
    assert set(reply) == {"jsonrpc", "error", "id"}, reply
    assert reply["jsonrpc"] == "2.0"
    assert reply["id"] == id_, reply
    assert type(reply["id"]) is type(id_), reply
    error = reply["error"]
    assert set(error) in ({"code", "message"}, {"code", "message", "data"}), error
    assert error["code"] == code, error
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error


def assert_no_reply(response: Answer) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b""


BY_NAME = {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "id_",
    [
        pytest.param(1, id="int"),
        pytest.param("abc", id="string"),
        pytest.param("7", id="string-of-digits"),
        pytest.param(2.5, id="fractional"),
        pytest.param(None, id="null-is-an-id-too"),
    ],
)
def test_jsonrpc_call_by_name_answers_the_result_with_the_request_id(
    client: TestClient, id_: object
) -> None:
    reply = reply_of(rpc(client, call(BY_NAME, id_)))
    assert assert_result(reply, id_) == close_to(212.0)


@pytest.mark.task(3)
def test_jsonrpc_call_by_position(client: TestClient) -> None:
    reply = reply_of(rpc(client, call([0, "kelvin", "celsius"], "p")))
    assert assert_result(reply, "p") == close_to(-273.15)


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated"),
        pytest.param(b'{"jsonrpc": "2.0", "method": "convert", "params": [1, 2', id="cut-short"),
        pytest.param(b"convert(100)", id="not-json"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
    ],
)
def test_jsonrpc_body_that_is_not_json_is_a_parse_error(client: TestClient, body: bytes) -> None:
    response = client.post("/jsonrpc", content=body, headers={"content-type": "application/json"})
    assert_error(reply_of(response), -32700)


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(42, id="a-number"),
        pytest.param("convert", id="a-string"),
        pytest.param(None, id="null"),
        pytest.param({}, id="empty-object"),
        pytest.param({"method": "convert", "params": BY_NAME, "id": 1}, id="no-jsonrpc"),
        pytest.param({**call(BY_NAME), "jsonrpc": "1.0"}, id="jsonrpc-1.0"),
        pytest.param({**call(BY_NAME), "jsonrpc": 2.0}, id="jsonrpc-a-number"),
        pytest.param({**call(BY_NAME), "jsonrpc": "2"}, id="jsonrpc-2"),
        pytest.param({"jsonrpc": "2.0", "params": BY_NAME, "id": 1}, id="no-method"),
        pytest.param(call(BY_NAME, method=1), id="method-a-number"),
        pytest.param({"jsonrpc": "2.0", "method": 1, "params": "bar"}, id="spec-example-no-id"),
        pytest.param(call("100 celsius"), id="params-a-string"),
        pytest.param(call(100), id="params-a-number"),
        pytest.param(call(None), id="params-null"),
        pytest.param(call(BY_NAME, True), id="id-true"),
        pytest.param(call(BY_NAME, {"n": 1}), id="id-an-object"),
        pytest.param(call(BY_NAME, [1]), id="id-an-array"),
    ],
)
def test_jsonrpc_invalid_request_is_answered_32600_with_id_null(
    client: TestClient, payload: object
) -> None:
    assert_error(reply_of(rpc(client, payload)), -32600)


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "method",
    [
        pytest.param("Convert", id="names-are-case-sensitive"),
        pytest.param("subtract", id="unknown"),
        pytest.param("", id="empty"),
    ],
)
def test_jsonrpc_unknown_method_is_32601_with_the_request_id(
    client: TestClient, method: str
) -> None:
    assert_error(reply_of(rpc(client, call(BY_NAME, "m", method))), -32601, "m")


@pytest.mark.task(3)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param(None, id="no-params"),
        pytest.param({}, id="empty-object"),
        pytest.param({"value": 1, "from_unit": "celsius"}, id="missing-member"),
        pytest.param({**BY_NAME, "precision": 2}, id="extra-member"),
        pytest.param({**BY_NAME, "value": "100"}, id="value-a-string"),
        pytest.param({**BY_NAME, "value": True}, id="value-a-boolean"),
        pytest.param({**BY_NAME, "value": None}, id="value-null"),
        pytest.param({**BY_NAME, "to_unit": "rankine"}, id="unknown-unit"),
        pytest.param({**BY_NAME, "value": -300}, id="below-absolute-zero"),
        pytest.param({**BY_NAME, "value": 1e308}, id="overflow"),
        pytest.param([], id="no-positional"),
        pytest.param([100, "celsius"], id="two-positional"),
        pytest.param([100, "celsius", "kelvin", 2], id="four-positional"),
        pytest.param(["100", "celsius", "kelvin"], id="positional-value-a-string"),
        pytest.param([-1, "kelvin", "celsius"], id="positional-below-absolute-zero"),
    ],
)
def test_jsonrpc_invalid_params_is_32602_with_the_request_id(
    client: TestClient, params: object
) -> None:
    payload = call(params, 9)
    if params is None:
        del payload["params"]
    assert_error(reply_of(rpc(client, payload)), -32602, 9)


@pytest.mark.task(3)
def test_jsonrpc_ids_keep_their_type(client: TestClient) -> None:
    assert assert_result(reply_of(rpc(client, call(BY_NAME, 7))), 7) == close_to(212.0)
    assert assert_result(reply_of(rpc(client, call(BY_NAME, "7"))), "7") == close_to(212.0)


def is_request(message: object) -> bool:
    """The shape the spec requires of a Request object (the README's -32600 row)."""
    if not isinstance(message, dict):
        return False
    id_ = message.get("id")
    return (
        message.get("jsonrpc") == "2.0"
        and isinstance(message.get("method"), str)
        and isinstance(message.get("params", {}), dict | list)
        and (id_ is None or (isinstance(id_, str | int | float) and not isinstance(id_, bool)))
    )


def is_notification(message: object) -> bool:
    return isinstance(message, dict) and is_request(message) and "id" not in message


def expected_conversion(fields: object) -> float | None:
    """What `convert` answers for these `Conversion` members, or None when they are invalid."""
    names = {"value", "from_unit", "to_unit"}
    if not isinstance(fields, dict) or set(fields) != names:
        return None
    value, units = fields["value"], [unit.value for unit in Unit]
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if fields["from_unit"] not in units or fields["to_unit"] not in units:
        return None
    try:
        return convert(value, Unit(fields["from_unit"]), Unit(fields["to_unit"]))
    except ValueError:
        return None


def expected_rpc_result(params: object) -> float | None:
    """The result of `convert` called with these JSON-RPC params, or None for -32602."""
    if isinstance(params, list) and len(params) == 3:
        params = dict(zip(("value", "from_unit", "to_unit"), params, strict=True))
    return expected_conversion(params)


def assert_reply_to(message: object, reply: Any) -> None:
    """`reply` is what the README demands for `message`, a request that is not a notification."""
    if not isinstance(message, dict) or not is_request(message):
        assert_error(reply, -32600)
    elif message["method"] != "convert":
        assert_error(reply, -32601, message["id"])
    elif (expected := expected_rpc_result(message.get("params"))) is None:
        assert_error(reply, -32602, message["id"])
    else:
        assert assert_result(reply, message["id"]) == expected


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
unit_names = st.sampled_from([unit.value for unit in Unit])
temperatures = st.floats(-500, 1000) | st.integers(-500, 1000)
good_params = st.fixed_dictionaries(
    {"value": temperatures, "from_unit": unit_names, "to_unit": unit_names}
) | st.tuples(temperatures, unit_names, unit_names).map(list)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.just("2.0") | json_values,
        "method": st.sampled_from(["convert", "Convert"]) | json_values,
        "params": good_params | json_values,
        "id": st.integers() | st.text(max_size=4) | json_values,
    },
)
messages = request_like | json_values


@pytest.mark.task(3)
@SHARED_CLIENT
@given(
    message=messages.filter(
        lambda message: not isinstance(message, list) and not is_notification(message)
    )
)
@example(message=call(BY_NAME, 1))  # explicit examples run first: a broken endpoint fails fast
def test_jsonrpc_any_single_message_gets_what_the_spec_says(
    client: TestClient, message: object
) -> None:
    # Notifications (valid requests without an id) are stretch task 5's.
    assert_reply_to(message, reply_of(rpc(client, message)))


# Task 4: WebSocket ----------------------------------------------------------------------------

# Generous: a reply takes milliseconds; only a reply that never comes gets near this.
WAIT = 5.0


class AsgiWebSocket:
    """A WebSocket client that speaks ASGI to the app in the test's event loop, every wait bounded.

    TestClient's sessions wait for a frame without a limit, and hypothesis catches the failure of
    pytest-timeout and moves on to the next example: in a property test, a reply that never
    comes would hang the run. Several of these sockets also really run at the same time.
    """

    def __init__(self, app: ASGIApp, path: str = "/ws") -> None:
        self.app, self.path = app, path
        self.to_app: asyncio.Queue[Message] = asyncio.Queue()
        self.from_app: asyncio.Queue[Message] = asyncio.Queue()

    async def __aenter__(self) -> "AsgiWebSocket":
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "server": ("test", 80),
            "client": ("127.0.0.1", 50000),
            "root_path": "",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"test")],
            "subprotocols": [],
            "state": {},
        }
        self.task = asyncio.create_task(self.app(scope, self.to_app.get, self.from_app.put))
        await self.to_app.put({"type": "websocket.connect"})
        message = await self.next_message()
        assert message["type"] == "websocket.accept", f"the connection was refused: {message}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.to_app.put({"type": "websocket.disconnect", "code": 1000})
        done, _ = await asyncio.wait({self.task}, timeout=WAIT)
        if not done:
            self.task.cancel()
            raise AssertionError(f"the endpoint was still running {WAIT} s after the client left")
        self.task.result()  # the endpoint's own exception, if it raised one

    async def next_message(self) -> Message:
        """The next ASGI message the app sends, or a failure (never a hang)."""
        getter = asyncio.ensure_future(self.from_app.get())
        done, _ = await asyncio.wait(
            {getter, self.task}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self.task in done:
            self.task.result()
            raise AssertionError("the endpoint returned: the connection is over")
        raise AssertionError(f"no frame from the app within {WAIT} s")

    async def send_text(self, text: str) -> None:
        await self.to_app.put({"type": "websocket.receive", "text": text})

    async def receive_json(self) -> Any:
        message = await self.next_message()
        assert message["type"] == "websocket.send", f"expected a frame, got {message}"
        assert message.get("text") is not None, f"expected a text frame, got {message}"
        return json.loads(message["text"])


def frame(id_: object = "a1", **overrides: object) -> dict[str, object]:
    return {"id": id_, **BY_NAME, **overrides}


def assert_ws_result(reply: Any, id_: object) -> float:
    assert isinstance(reply, dict), reply
    assert set(reply) == {"id", "result"}, reply
    assert reply["id"] == id_, reply
    assert type(reply["id"]) is type(id_), reply
    assert isinstance(reply["result"], float | int), reply
    return float(reply["result"])


def assert_ws_error(reply: Any, id_: object) -> None:
    assert isinstance(reply, dict), reply
    assert set(reply) == {"id", "error"}, reply
    assert reply["id"] == id_, reply
    assert type(reply["id"]) is type(id_), reply
    assert isinstance(reply["error"], str), reply
    assert reply["error"].strip(), reply


@pytest.mark.task(4)
@pytest.mark.parametrize(
    "id_",
    [
        pytest.param("a1", id="string"),
        pytest.param(7, id="integer"),
        pytest.param(0, id="zero"),
        pytest.param("", id="empty-string"),
    ],
)
def test_ws_each_frame_gets_a_reply_with_its_id(ws: WebSocketTestSession, id_: object) -> None:
    ws.send_json(frame(id_))
    assert assert_ws_result(ws.receive_json(), id_) == close_to(212.0)


@pytest.mark.task(4)
def test_ws_several_frames_on_one_connection(ws: WebSocketTestSession) -> None:
    for value, expected in [(0, 32.0), (100, 212.0), (-40, -40.0)]:
        ws.send_json(frame(f"v{value}", value=value))
        assert assert_ws_result(ws.receive_json(), f"v{value}") == close_to(expected)


@pytest.mark.task(4)
def test_ws_replies_to_pipelined_frames_match_by_id(ws: WebSocketTestSession) -> None:
    for n in range(20):
        ws.send_json(frame(n, value=n, to_unit="kelvin"))
    replies = [ws.receive_json() for _ in range(20)]
    assert sorted(reply["id"] for reply in replies) == list(range(20))
    for reply in replies:
        assert assert_ws_result(reply, reply["id"]) == close_to(reply["id"] + 273.15)


@pytest.mark.task(4)
@pytest.mark.parametrize(
    ("text", "id_"),
    [
        pytest.param("convert 100 celsius", None, id="not-json"),
        pytest.param('{"id": "a1", "value": 100', None, id="truncated-json"),
        pytest.param("[1, 2, 3]", None, id="an-array"),
        pytest.param("42", None, id="a-number"),
        pytest.param(json.dumps(BY_NAME), None, id="no-id"),
        pytest.param(json.dumps(frame(None)), None, id="id-null"),
        pytest.param(json.dumps(frame(True)), None, id="id-a-boolean"),
        pytest.param(json.dumps(frame({"n": 1})), None, id="id-an-object"),
        pytest.param(json.dumps(frame(value="100")), "a1", id="value-a-string"),
        pytest.param(json.dumps(frame(value=False)), "a1", id="value-a-boolean"),
        pytest.param(json.dumps(frame(to_unit="rankine")), "a1", id="unknown-unit"),
        pytest.param(json.dumps(frame(7, precision=2)), 7, id="extra-member"),
        pytest.param(json.dumps({"id": 3, "value": 1, "to_unit": "kelvin"}), 3, id="missing"),
        pytest.param(json.dumps(frame("z", value=-1, from_unit="kelvin")), "z", id="below-zero"),
        pytest.param(json.dumps(frame("o", value=1e308)), "o", id="overflow"),
    ],
)
def test_ws_bad_frame_gets_an_error_and_the_socket_stays_open(
    ws: WebSocketTestSession, text: str, id_: object
) -> None:
    ws.send_text(text)
    assert_ws_error(ws.receive_json(), id_)
    ws.send_json(frame("next"))
    assert assert_ws_result(ws.receive_json(), "next") == close_to(212.0)


@pytest.mark.task(4)
def test_ws_binary_frame_gets_an_error_and_the_socket_stays_open(
    ws: WebSocketTestSession,
) -> None:
    ws.send_bytes(json.dumps(frame()).encode())
    assert_ws_error(ws.receive_json(), None)
    ws.send_json(frame("next"))
    assert assert_ws_result(ws.receive_json(), "next") == close_to(212.0)


@pytest.mark.task(4)
async def test_ws_several_clients_at_once_each_get_their_own_replies(app: FastAPI) -> None:
    async def client_session(name: str, value: float) -> list[float]:
        async with AsgiWebSocket(app) as socket:
            for n in range(5):
                await socket.send_text(json.dumps(frame(f"{name}-{n}", value=value + n)))
            replies = [await socket.receive_json() for _ in range(5)]
        replies.sort(key=lambda reply: str(reply.get("id")))
        return [assert_ws_result(reply, f"{name}-{n}") for n, reply in enumerate(replies)]

    starts = {"first": 0.0, "second": 100.0, "third": -40.0, "fourth": 37.0}
    results = await asyncio.gather(*(client_session(n, v) for n, v in starts.items()))
    for value, answers in zip(starts.values(), results, strict=True):
        assert answers == [close_to((value + n) * 9 / 5 + 32) for n in range(5)]


def expected_ws_reply(text: str) -> tuple[object, float | None]:
    """The README's rule: (the reply's id, its result or None for an error)."""
    try:
        parsed = json.loads(text)
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    id_ = parsed.pop("id", None)
    if not isinstance(id_, str | int) or isinstance(id_, bool):
        return None, None
    return id_, expected_conversion(parsed)


ws_frames = (
    st.text(max_size=20)
    | messages.map(json.dumps)
    | st.fixed_dictionaries(
        {"id": st.integers() | st.text(max_size=3) | json_values},
        optional={
            "value": temperatures | json_values,
            "from_unit": unit_names | json_values,
            "to_unit": unit_names,
        },
    ).map(json.dumps)
)


@pytest.mark.task(4)
@SHARED_CLIENT
@given(text=ws_frames)
@example(text=json.dumps(frame()))
@example(text="not json")
async def test_ws_any_frame_gets_exactly_one_reply_and_the_socket_stays_open(
    app: FastAPI, text: str
) -> None:
    async with AsgiWebSocket(app) as socket:
        await socket.send_text(text)
        reply = await socket.receive_json()
        id_, result = expected_ws_reply(text)
        if result is None:
            assert_ws_error(reply, id_)
        else:
            assert assert_ws_result(reply, id_) == result
        await socket.send_text(json.dumps(frame("next")))
        assert assert_ws_result(await socket.receive_json(), "next") == close_to(212.0)


async def by_rest(http: httpx.AsyncClient, value: float, from_unit: Unit, to_unit: Unit) -> float:
    params = {"value": repr(value), "from_unit": from_unit.value, "to_unit": to_unit.value}
    response = await http.get("/conversions", params=params)
    assert response.status_code == 200, response.text
    assert response.json()["unit"] == to_unit, response.text
    return float(response.json()["value"])


async def by_rpc(http: httpx.AsyncClient, value: float, from_unit: Unit, to_unit: Unit) -> float:
    payload = call({"value": value, "from_unit": from_unit, "to_unit": to_unit}, "x")
    response = await http.post("/jsonrpc", json=payload)
    return assert_result(reply_of(response), "x")


async def by_ws(socket: AsgiWebSocket, value: float, from_unit: Unit, to_unit: Unit) -> float:
    await socket.send_text(json.dumps(frame(9, value=value, from_unit=from_unit, to_unit=to_unit)))
    return assert_ws_result(await socket.receive_json(), 9)


@pytest.mark.task(4)
@SHARED_CLIENT
@given(conversion=conversions())
@example(conversion=(100.0, C, F))
@example(conversion=(0.1, C, C))
async def test_rest_jsonrpc_and_websocket_give_exactly_the_answer_of_convert(
    app: FastAPI, http: httpx.AsyncClient, conversion: tuple[float, Unit, Unit]
) -> None:
    expected = convert(*conversion)
    async with AsgiWebSocket(app) as socket:
        answers = (
            await by_rest(http, *conversion),
            await by_rpc(http, *conversion),
            await by_ws(socket, *conversion),
        )
    assert answers == (expected, expected, expected)


# Task 5: JSON-RPC notifications and batches ---------------------------------------------------


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "notification",
    [
        pytest.param({"jsonrpc": "2.0", "method": "convert", "params": BY_NAME}, id="by-name"),
        pytest.param(
            {"jsonrpc": "2.0", "method": "convert", "params": [1, "celsius", "kelvin"]},
            id="by-position",
        ),
        pytest.param({"jsonrpc": "2.0", "method": "reboot"}, id="unknown-method"),
        pytest.param({"jsonrpc": "2.0", "method": "convert"}, id="no-params"),
        pytest.param(
            {"jsonrpc": "2.0", "method": "convert", "params": {**BY_NAME, "value": -300}},
            id="below-absolute-zero",
        ),
    ],
)
def test_jsonrpc_notification_gets_no_reply_even_when_it_fails(
    client: TestClient, notification: dict[str, object]
) -> None:
    assert_no_reply(rpc(client, notification))


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_batch_mixes_results_errors_and_silence(client: TestClient) -> None:
    batch = [
        call(BY_NAME, "1"),
        {"jsonrpc": "2.0", "method": "convert", "params": [0, "celsius", "kelvin"]},
        call([32, "fahrenheit", "celsius"], "2"),
        {"foo": "boo"},
        call(BY_NAME, "5", "get_data"),
        call({**BY_NAME, "value": -999}, "9"),
        {"jsonrpc": "2.0", "method": "nothing"},
    ]
    replies = reply_of(rpc(client, batch))
    assert isinstance(replies, list), replies
    assert len(replies) == 5, replies
    by_id = {reply["id"]: reply for reply in replies}
    assert set(by_id) == {"1", "2", None, "5", "9"}, replies
    assert assert_result(by_id["1"], "1") == close_to(212.0)
    assert assert_result(by_id["2"], "2") == close_to(0.0)
    assert_error(by_id[None], -32600)
    assert_error(by_id["5"], -32601, "5")
    assert_error(by_id["9"], -32602, "9")


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_replies_of_a_large_batch_match_their_requests(client: TestClient) -> None:
    batch = [call([float(n), "celsius", "fahrenheit"], n) for n in range(50)]
    replies = reply_of(rpc(client, batch))
    assert sorted(reply["id"] for reply in replies) == list(range(50))
    for reply in replies:
        assert assert_result(reply, reply["id"]) == close_to(reply["id"] * 9 / 5 + 32)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_empty_batch_is_one_invalid_request_not_an_array(client: TestClient) -> None:
    assert_error(reply_of(rpc(client, [])), -32600)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_batch_of_non_objects_gets_one_error_each(client: TestClient) -> None:
    replies = reply_of(rpc(client, [1, "two", None]))
    assert isinstance(replies, list), replies
    assert len(replies) == 3, replies
    for reply in replies:
        assert_error(reply, -32600)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_arrays_inside_a_batch_are_invalid_requests(client: TestClient) -> None:
    replies = reply_of(rpc(client, [[], [call(BY_NAME, 1)]]))
    assert isinstance(replies, list), replies
    assert len(replies) == 2, replies
    for reply in replies:
        assert_error(reply, -32600)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_batch_of_only_notifications_gets_204(client: TestClient) -> None:
    batch = [
        {"jsonrpc": "2.0", "method": "convert", "params": BY_NAME},
        {"jsonrpc": "2.0", "method": "unknown"},
    ]
    assert_no_reply(rpc(client, batch))


@pytest.mark.task(5)
@pytest.mark.stretch
def test_jsonrpc_batch_that_is_not_json_is_one_parse_error(client: TestClient) -> None:
    body = b'[{"jsonrpc": "2.0", "method": "convert", "params": [1, "celsius", "kelvin"], "id": 1}'
    response = client.post("/jsonrpc", content=body, headers={"content-type": "application/json"})
    assert_error(reply_of(response), -32700)


@pytest.mark.task(5)
@pytest.mark.stretch
@SHARED_CLIENT
@given(batch=st.lists(messages, min_size=1, max_size=6))
@example(batch=[call(BY_NAME, 1), {"jsonrpc": "2.0", "method": "convert"}, 1])
def test_jsonrpc_any_batch_gets_one_reply_per_member_that_is_not_a_notification(
    client: TestClient, batch: list[object]
) -> None:
    response = rpc(client, batch)
    answered = [message for message in batch if not is_notification(message)]
    if not answered:
        assert_no_reply(response)
        return
    replies = reply_of(response)
    assert isinstance(replies, list), replies
    assert len(replies) == len(answered), replies

    def reply_id(message: object) -> str:
        """The id a member's reply carries, as JSON text (ids of any type can be counted)."""
        valid = isinstance(message, dict) and is_request(message)
        return json.dumps(message["id"] if valid else None)  # type: ignore[index]

    expected_ids = Counter(reply_id(message) for message in answered)
    assert Counter(json.dumps(reply.get("id")) for reply in replies) == expected_ids
    # Members that share an id cannot be told apart: check the others one by one.
    unique = {reply_id(m): m for m in answered if expected_ids[reply_id(m)] == 1}
    for reply in replies:
        if json.dumps(reply["id"]) in unique:
            assert_reply_to(unique[json.dumps(reply["id"])], reply)


# Task 6: SOAP ---------------------------------------------------------------------------------


def convert_element(
    value: str = "100", from_unit: str = "celsius", to_unit: str = "fahrenheit"
) -> str:
    return (
        f'<t:Convert xmlns:t="{SERVICE}">'
        f"<t:value>{escape(value)}</t:value>"
        f"<t:from_unit>{escape(from_unit)}</t:from_unit>"
        f"<t:to_unit>{escape(to_unit)}</t:to_unit>"
        "</t:Convert>"
    )


def envelope(body: str | None = None, *, header: str = "", namespace: str = SOAP_ENV) -> str:
    content = convert_element() if body is None else body
    return (
        f'<soap:Envelope xmlns:soap="{namespace}">{header}'
        f"<soap:Body>{content}</soap:Body></soap:Envelope>"
    )


def soap(client: TestClient, body: str | bytes, action: str | None = ACTION) -> Answer:
    headers = {"content-type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = action
    content = body.encode() if isinstance(body, str) else body
    return client.post("/soap", content=content, headers=headers)


def assert_xml_utf8(response: Answer) -> None:
    assert media_type(response) == "text/xml", response.headers["content-type"]
    assert media_type(response, "charset") == "utf-8", response.headers["content-type"]


def soap_body_entry(response: Answer) -> ET.Element:
    """The one element inside the response's soap:Body."""
    assert_xml_utf8(response)
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope", response.text
    body = root.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None, response.text
    assert len(body) == 1, response.text
    return body[0]


def soap_result(response: Answer) -> float:
    assert response.status_code == 200, response.text
    entry = soap_body_entry(response)
    assert entry.tag == f"{{{SERVICE}}}ConvertResponse", response.text
    value = entry.find(f"{{{SERVICE}}}value")
    assert value is not None, response.text
    assert value.text is not None, response.text
    return float(value.text)


def declared_namespaces(content: bytes) -> dict[str, set[str]]:
    """Every prefix the document declares ("" for a default namespace) and what it is bound to."""
    declared: dict[str, set[str]] = {}
    for _, (prefix, uri) in ET.iterparse(io.BytesIO(content), events=("start-ns",)):
        declared.setdefault(prefix, set()).add(uri)
    return declared


def assert_fault(response: Answer, code: str) -> str:
    """The response is a SOAP 1.1 Fault with `faultcode` {SOAP_ENV}`code`; its faultstring."""
    assert response.status_code == 500, response.text
    fault = soap_body_entry(response)
    assert fault.tag == f"{{{SOAP_ENV}}}Fault", response.text
    faultcode, faultstring = fault.find("faultcode"), fault.find("faultstring")
    assert faultcode is not None, f"no unqualified faultcode: {response.text}"
    assert faultstring is not None, f"no unqualified faultstring: {response.text}"
    # faultcode is a QName: its prefix must be declared, and bound to the envelope namespace.
    prefix, _, local = (faultcode.text or "").strip().rpartition(":")
    assert local == code, response.text
    assert declared_namespaces(response.content).get(prefix) == {SOAP_ENV}, response.text
    assert (faultstring.text or "").strip(), response.text
    return faultstring.text or ""


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(("value", "from_unit", "to_unit", "expected"), KNOWN)
def test_soap_convert_answers_a_convert_response(
    client: TestClient, value: float, from_unit: Unit, to_unit: Unit, expected: float
) -> None:
    response = soap(client, envelope(convert_element(str(value), from_unit, to_unit)))
    assert soap_result(response) == close_to(expected)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            f'<?xml version="1.0" encoding="utf-8"?>\n<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
            f'<soapenv:Body><tns:Convert xmlns:tns="{SERVICE}"><tns:value>100</tns:value>'
            "<tns:from_unit>celsius</tns:from_unit><tns:to_unit>fahrenheit</tns:to_unit>"
            "</tns:Convert></soapenv:Body></soapenv:Envelope>",
            id="other-prefixes",
        ),
        pytest.param(
            f'<Envelope xmlns="{SOAP_ENV}"><Body><Convert xmlns="{SERVICE}"><value>100</value>'
            "<from_unit>celsius</from_unit><to_unit>fahrenheit</to_unit></Convert></Body>"
            "</Envelope>",
            id="default-namespaces",
        ),
        pytest.param(
            f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP_ENV}" xmlns:t="{SERVICE}">\n'
            "  <SOAP-ENV:Header/>\n  <SOAP-ENV:Body>\n    <t:Convert>\n"
            "      <t:to_unit> fahrenheit </t:to_unit>\n"
            "      <t:value>\n        100\n      </t:value>\n"
            "      <t:from_unit>celsius</t:from_unit>\n"
            "    </t:Convert>\n  </SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n",
            id="pretty-printed-any-order-with-header",
        ),
    ],
)
def test_soap_reads_namespaces_not_prefixes(client: TestClient, body: str) -> None:
    assert soap_result(soap(client, body)) == close_to(212.0)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit"),
    [
        pytest.param(0.1, C, F, id="tenth-c-to-f"),
        pytest.param(1 / 3, K, C, id="third-k-to-c"),
        pytest.param(1e16, K, K, id="large"),
        pytest.param(37.77777777777777, F, K, id="many-digits"),
    ],
)
def test_soap_value_round_trips_exactly(
    client: TestClient, value: float, from_unit: Unit, to_unit: Unit
) -> None:
    response = soap(client, envelope(convert_element(repr(value), from_unit, to_unit)))
    assert soap_result(response) == convert(value, from_unit, to_unit)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "action",
    [pytest.param(ACTION, id="quoted"), pytest.param(ACTION.strip('"'), id="unquoted")],
)
def test_soap_action_may_be_quoted_or_not(client: TestClient, action: str) -> None:
    assert soap_result(soap(client, envelope(), action)) == close_to(212.0)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "action",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param('""', id="empty-quotes"),
        pytest.param('"urn:katas:temperature#Subtract"', id="other-operation"),
        pytest.param('"urn:katas:temperature"', id="namespace-only"),
    ],
)
def test_soap_action_missing_or_different_is_a_client_fault(
    client: TestClient, action: str | None
) -> None:
    assert_fault(soap(client, envelope(), action), "Client")


UNQUALIFIED = (
    "<t:Convert xmlns:t='urn:katas:temperature'><value>100</value>"
    "<from_unit>celsius</from_unit><to_unit>kelvin</to_unit></t:Convert>"
)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(envelope()[:-12], id="truncated"),
        pytest.param("", id="empty"),
        pytest.param('{"value": 100}', id="json"),
        pytest.param(convert_element(), id="no-envelope"),
        pytest.param(f'<soap:Envelope xmlns:soap="{SOAP_ENV}"/>', id="no-body"),
        pytest.param(envelope(""), id="empty-body"),
        pytest.param(envelope(convert_element().replace("Convert", "Subtract")), id="unknown-op"),
        pytest.param(
            envelope(convert_element().replace(f' xmlns:t="{SERVICE}"', "").replace("t:", "")),
            id="convert-without-namespace",
        ),
        pytest.param(
            envelope(convert_element().replace(SERVICE, "urn:other")), id="convert-other-namespace"
        ),
        pytest.param(envelope(UNQUALIFIED), id="children-without-namespace"),
        pytest.param(
            envelope(convert_element().replace("<t:value>100</t:value>", "")), id="missing-value"
        ),
        pytest.param(
            envelope(convert_element().replace("<t:to_unit>fahrenheit</t:to_unit>", "")),
            id="missing-to-unit",
        ),
        pytest.param(envelope(convert_element(value="hot")), id="value-not-a-number"),
        pytest.param(envelope(convert_element(value="")), id="value-empty"),
        pytest.param(envelope(convert_element(from_unit="rankine")), id="unknown-unit"),
        pytest.param(envelope(convert_element(to_unit="Kelvin")), id="unit-wrong-case"),
        pytest.param(envelope(convert_element(value="-273.16")), id="below-absolute-zero"),
        pytest.param(envelope(convert_element(value="NaN")), id="nan"),
        pytest.param(envelope(convert_element(value="1e308")), id="overflow"),
    ],
)
def test_soap_bad_request_is_a_client_fault(client: TestClient, body: str) -> None:
    assert_fault(soap(client, body), "Client")


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(envelope(namespace=SOAP12_ENV), id="soap-1.2-envelope"),
        pytest.param(
            "<Envelope><Body>" + convert_element() + "</Body></Envelope>", id="no-namespace"
        ),
    ],
)
def test_soap_envelope_in_another_namespace_is_a_version_mismatch(
    client: TestClient, body: str
) -> None:
    assert_fault(soap(client, body), "VersionMismatch")


@pytest.mark.task(6)
@pytest.mark.stretch
def test_soap_header_that_must_be_understood_is_a_must_understand_fault(
    client: TestClient,
) -> None:
    header = (
        '<soap:Header><x:Session xmlns:x="urn:other" soap:mustUnderstand="1">42</x:Session>'
        "</soap:Header>"
    )
    assert_fault(soap(client, envelope(header=header)), "MustUnderstand")


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "entry",
    [
        pytest.param('<x:Session xmlns:x="urn:other">42</x:Session>', id="no-attribute"),
        pytest.param(
            '<x:Session xmlns:x="urn:other" soap:mustUnderstand="0">42</x:Session>', id="zero"
        ),
        pytest.param(
            '<x:Session xmlns:x="urn:other" mustUnderstand="1">42</x:Session>',
            id="attribute-outside-the-soap-namespace",
        ),
    ],
)
def test_soap_header_that_need_not_be_understood_is_ignored(client: TestClient, entry: str) -> None:
    response = soap(client, envelope(header=f"<soap:Header>{entry}</soap:Header>"))
    assert soap_result(response) == close_to(212.0)


@pytest.mark.task(6)
@pytest.mark.stretch
def test_soap_fault_text_is_escaped(client: TestClient) -> None:
    response = soap(client, envelope(convert_element(from_unit="<celsius> & <kelvin")))
    assert_fault(response, "Client")  # parses the answer: unescaped input would break it


DOCTYPE = "<!DOCTYPE soap:Envelope [{}]>"
LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
    for n in range(1, 10)
)


@pytest.mark.task(6)
@pytest.mark.stretch
@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            DOCTYPE.format('<!ENTITY t "100">')
            + envelope(convert_element().replace(">100<", ">&t;<")),
            id="internal-entity",
        ),
        pytest.param(
            DOCTYPE.format('<!ENTITY t SYSTEM "file:///etc/passwd">')
            + envelope(
                convert_element(from_unit="").replace("</t:from_unit>", "&t;</t:from_unit>")
            ),
            id="external-entity",
        ),
        pytest.param(
            DOCTYPE.format(LAUGHS)
            + envelope(
                convert_element(from_unit="").replace("</t:from_unit>", "&lol9;</t:from_unit>")
            ),
            id="billion-laughs",
        ),
        pytest.param("<!DOCTYPE soap:Envelope>" + envelope(), id="harmless-doctype"),
        pytest.param('<?xml-stylesheet href="x.xsl"?>' + envelope(), id="processing-instruction"),
        pytest.param(
            envelope(convert_element().replace("<t:value>", "<?php echo 1; ?><t:value>")),
            id="processing-instruction-inside",
        ),
    ],
)
def test_soap_message_with_a_dtd_or_processing_instruction_is_refused(
    client: TestClient, document: str
) -> None:
    response = soap(client, '<?xml version="1.0" encoding="utf-8"?>\n' + document)
    assert_fault(response, "Client")
    assert "root:" not in response.text  # nothing of /etc/passwd comes back


xml_chars = st.characters(exclude_categories=("Cs", "Cc", "Cn"))


@pytest.mark.task(6)
@pytest.mark.stretch
@SHARED_CLIENT
@given(
    value=st.text(xml_chars, max_size=12) | st.floats().map(repr),
    from_unit=st.text(xml_chars, max_size=10) | unit_names,
    to_unit=st.text(xml_chars, max_size=10) | unit_names,
)
@example(value="100", from_unit="celsius", to_unit="fahrenheit")
def test_soap_any_text_gets_an_answer_or_a_client_fault(
    client: TestClient, value: str, from_unit: str, to_unit: str
) -> None:
    response = soap(client, envelope(convert_element(value, from_unit, to_unit)))
    if response.status_code == 200:
        assert math.isfinite(soap_result(response))
    else:
        assert_fault(response, "Client")


# Task 7: four styles, one answer --------------------------------------------------------------


def soap_call(value: float, from_unit: Unit, to_unit: Unit) -> str:
    return envelope(convert_element(repr(value), from_unit, to_unit))


async def by_soap(http: httpx.AsyncClient, value: float, from_unit: Unit, to_unit: Unit) -> float:
    response = await http.post(
        "/soap",
        content=soap_call(value, from_unit, to_unit).encode(),
        headers={"content-type": "text/xml; charset=utf-8", "SOAPAction": ACTION},
    )
    return soap_result(response)


@pytest.mark.task(7)
@pytest.mark.stretch
@SHARED_CLIENT
@given(conversion=conversions())
@example(conversion=(100.0, C, F))
async def test_all_four_styles_give_exactly_the_answer_of_convert(
    app: FastAPI, http: httpx.AsyncClient, conversion: tuple[float, Unit, Unit]
) -> None:
    expected = convert(*conversion)
    async with AsgiWebSocket(app) as socket:
        answers = (
            await by_rest(http, *conversion),
            await by_rpc(http, *conversion),
            await by_soap(http, *conversion),
            await by_ws(socket, *conversion),
        )
    assert answers == (expected, expected, expected, expected)


@pytest.mark.task(7)
@pytest.mark.stretch
async def test_many_requests_of_every_style_in_flight_at_once(
    app: FastAPI, http: httpx.AsyncClient
) -> None:
    pairs = [(first, second) for first in Unit for second in Unit]
    cases = [(float(n * 37 % 500), *pairs[n % len(pairs)]) for n in range(18)]

    async def over_a_websocket(value: float, from_unit: Unit, to_unit: Unit) -> float:
        async with AsgiWebSocket(app) as socket:
            return await by_ws(socket, value, from_unit, to_unit)

    styles = [
        lambda *case: by_rest(http, *case),
        lambda *case: by_rpc(http, *case),
        lambda *case: by_soap(http, *case),
        over_a_websocket,
    ]
    answers = await asyncio.gather(*(style(*case) for case in cases for style in styles))
    assert answers == [convert(*case) for case in cases for _ in styles]
