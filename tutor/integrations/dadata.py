"""DaData name suggestions ("suggest fio"): first names and surnames for the
registration form's live hints. https://dadata.ru/api/suggest/name"""

DEFAULT_BASE_URL = "https://suggestions.dadata.ru"
PATH = "/suggestions/api/4_1/rs/suggest/fio"
PARTS = {"name": "NAME", "surname": "SURNAME"}
MAX_QUERY_LENGTH = 100
MAX_COUNT = 20  # the API's own limit


class DadataError(Exception):
    """The suggestions could not be fetched; the form works without them."""


def suggest_fio(query, part, *, api_key, base_url=DEFAULT_BASE_URL, count=5, timeout=2.0,
                session=None):
    """Up to `count` distinct suggestions for one part of a name ("name" or
    "surname") that start like `query`."""
    import requests
    if part not in PARTS:
        raise ValueError(f"part must be one of {sorted(PARTS)}, not {part!r}")
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query or count < 1:
        return []
    body = {"query": query, "count": min(count, MAX_COUNT), "parts": [PARTS[part]]}
    headers = {"Authorization": f"Token {api_key}", "Accept": "application/json"}
    try:
        response = (session or requests).post(f"{base_url}{PATH}", json=body, headers=headers,
                                              timeout=timeout)
        response.raise_for_status()
        payload = response.json()
    except (requests.RequestException, ValueError) as error:
        raise DadataError(f"DaData request failed: {error}") from error
    return _values(payload, part)[:count]


def _values(payload, part):
    suggestions = payload.get("suggestions") if isinstance(payload, dict) else None
    if not isinstance(suggestions, list):
        raise DadataError("DaData answered without a list of suggestions")
    values = []
    for suggestion in suggestions:
        if not isinstance(suggestion, dict):
            raise DadataError("DaData answered with a malformed suggestion")
        data = suggestion.get("data") or {}
        # `value` is the whole name as typed so far; data[part] is just the part asked for.
        value = (data.get(part) if isinstance(data, dict) else None) or suggestion.get("value")
        if not isinstance(value, str):
            raise DadataError("DaData answered with a suggestion without a value")
        value = value.strip()
        if value and value not in values:
            values.append(value)
    return values
