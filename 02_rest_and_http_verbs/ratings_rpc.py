"""The ratings API again, RPC-style: one URL, and the body names the procedure to call.

REST puts the resource in the URL and the action in the HTTP method; RPC (here JSON-RPC 2.0,
https://www.jsonrpc.org/specification) always POSTs to ``/rpc`` and says what to do inside:

    {"jsonrpc": "2.0", "method": "ratings.get", "params": {"id": 1}, "id": 7}

Methods and their params (named, in an object):

    ratings.list     {}                                       -> {"items": [...], "total": n}
    ratings.get      {"id"}                                   -> a rating
    ratings.create   {"movie", "stars", "review"?}            -> the new rating   (token needed)
    ratings.replace  {"id", "movie", "stars", "review"}       -> the new version  (token needed)
    ratings.delete   {"id"}                                   -> {"deleted": id}  (token needed)

The token travels in the same ``Authorization: Bearer <token>`` header as for REST, never in
the params or the URL: URLs and request bodies end up in logs, proxies and browser history,
while servers and tools know to keep the Authorization header out of them.

Error codes: the JSON-RPC standard ones, and application errors in the -32000 range:

    -32700  parse error        the body is not valid JSON
    -32600  invalid request    not a JSON-RPC 2.0 call object
    -32601  method not found   no such method
    -32602  invalid params     the message names the param and the rule
    -32001  unauthorized       missing or wrong token        (REST: 401)
    -32004  not found          no rating with that id        (REST: 404)
    -32009  conflict           that movie is already rated   (REST: 409)
    -32603  internal error     any other failure

Every processed call answers HTTP 200, errors included: the outcome is in the body.
A notification (a call without "id") gets no answer at all: 204 No Content.
"""

from flask import Blueprint
from werkzeug.exceptions import BadRequest, HTTPException

from ratings_api import get_store, json_type, read_json_body, require_token, validate_rating

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
UNAUTHORIZED = -32001
NOT_FOUND = -32004
CONFLICT = -32009

# The shared code raises HTTP errors; this is how each one reads in JSON-RPC.
RPC_CODE_FOR_HTTP_STATUS = {400: INVALID_PARAMS, 401: UNAUTHORIZED, 404: NOT_FOUND, 409: CONFLICT}

rpc = Blueprint("rpc", __name__)


@rpc.post("/rpc")
def handle_rpc():
    """Answer one JSON-RPC call, or a batch of them (a JSON array of calls)."""
    try:
        payload = read_json_body()  # a body not labelled JSON still gets HTTP 415
    except BadRequest as error:
        return error_response(None, PARSE_ERROR, error.description)
    if isinstance(payload, list):
        if not payload:
            return error_response(None, INVALID_REQUEST, "a batch must contain at least one call")
        answers = [answer for answer in map(answer_call, payload) if answer is not None]
        return answers if answers else ("", 204)
    answer = answer_call(payload)
    return answer if answer is not None else ("", 204)


def answer_call(call):
    """Run one call and return its response object, or None for a notification."""
    if not isinstance(call, dict) or call.get("jsonrpc") != "2.0":
        return error_response(None, INVALID_REQUEST, 'a call must be an object with "jsonrpc": "2.0"')
    if not isinstance(call.get("method"), str):
        return error_response(None, INVALID_REQUEST, '"method" must be a string')
    if not _is_valid_id(call.get("id")):
        return error_response(None, INVALID_REQUEST, '"id" must be a string, a number or null')

    call_id, method = call.get("id"), METHODS.get(call["method"])
    if method is None:
        response = error_response(call_id, METHOD_NOT_FOUND, f"method {call['method']!r} does not exist")
    else:
        try:
            response = {"jsonrpc": "2.0", "result": method(_params(call)), "id": call_id}
        except HTTPException as error:
            code = RPC_CODE_FOR_HTTP_STATUS.get(error.code, INTERNAL_ERROR)
            response = error_response(call_id, code, error.description)
    # A notification is fire-and-forget: it runs, but the spec forbids answering it.
    return response if "id" in call else None


def ratings_list(params):
    _refuse_unknown(params)
    return get_store().listing()


def ratings_get(params):
    rating_id, rest = _take_id(params)
    _refuse_unknown(rest)
    return get_store().get(rating_id)


def ratings_create(params):
    require_token()
    return get_store().create(validate_rating(params))


def ratings_replace(params):
    require_token()
    rating_id, fields = _take_id(params)
    return get_store().replace(rating_id, validate_rating(fields, replace=True))


def ratings_delete(params):
    require_token()
    rating_id, rest = _take_id(params)
    _refuse_unknown(rest)
    get_store().delete(rating_id)
    return {"deleted": rating_id}


METHODS = {
    "ratings.list": ratings_list,
    "ratings.get": ratings_get,
    "ratings.create": ratings_create,
    "ratings.replace": ratings_replace,
    "ratings.delete": ratings_delete,
}


def error_response(call_id, code, message):
    return {"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": call_id}


def _params(call):
    params = call.get("params", {})
    if not isinstance(params, dict):
        raise BadRequest(f"params must be an object of named params, got {json_type(params)}")
    return params


def _is_valid_id(value):
    # The spec allows a string, a number or null; true/false, arrays and objects are not ids.
    return value is None or type(value) in (str, int, float)


def _take_id(params):
    """Split the integer param "id" from the other params; 400 (-32602) if it is missing or not an int."""
    rest = dict(params)
    if "id" not in rest:
        raise BadRequest("missing required param: id")
    rating_id = rest.pop("id")
    if type(rating_id) is not int:
        raise BadRequest(f"param 'id' must be of type integer, got {json_type(rating_id)}")
    return rating_id, rest


def _refuse_unknown(params):
    if params:
        raise BadRequest(f"unknown param {sorted(params)[0]!r}")
