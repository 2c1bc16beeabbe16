"""Events encoded with orjson, in the library's JSONTranscoder wire format."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import orjson
from eventsourcing.persistence import (
    Transcoder,
    Transcoding,
)

# --- orjson transcoder -----------------------------------------------------------------------

_TYPE, _DATA = "_type_", "_data_"
_dumps = orjson.dumps


class OrjsonTranscoder(Transcoder):
    """orjson encoder with the library's tagged format for datetime, date, UUID, Decimal, tuple.

    Domain events keep identifiers as strings and payloads as JSON-native values, so most of an
    event is encoded natively; only datetimes (every event has two) take the tagged path.
    """

    def __init__(self) -> None:
        self.types: dict[type, Transcoding] = {}
        self.names: dict[str, Transcoding] = {}

    def register(self, transcoding: Transcoding) -> None:
        self.types[transcoding.type] = transcoding
        self.names[transcoding.name] = transcoding

    def _default(self, o: Any) -> Any:
        t = type(o)
        if t is datetime:
            tz = o.tzinfo
            if tz is None:
                return {_TYPE: "datetime_iso", _DATA: _dumps(o)[1:-1].decode()}
            if type(tz) is ZoneInfo or type(tz) is timezone:
                # orjson writes the same text as isoformat() (and faster) unless the UTC offset
                # has seconds or microseconds (then it rounds them away): only whole minutes here
                offset = o.utcoffset()
                if offset is not None and not offset.seconds % 60 and not offset.microseconds:
                    return {_TYPE: "datetime_iso", _DATA: _dumps(o)[1:-1].decode()}
            return {_TYPE: "datetime_iso", _DATA: o.isoformat()}
        if t is date:
            return {_TYPE: "date_iso", _DATA: o.isoformat()}
        if t is UUID:
            return {_TYPE: "uuid_hex", _DATA: o.hex}
        if t is Decimal:
            return {_TYPE: "decimal_str", _DATA: str(o)}
        try:
            transcoding = self.types[t]
        except KeyError:
            raise TypeError(f"Object of type {t} is not serialisable") from None
        return {_TYPE: transcoding.name, _DATA: transcoding.encode(o)}

    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(
            obj,
            default=self._default,
            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS,
        )

    def decode(self, data: bytes) -> Any:
        obj = orjson.loads(data)
        tags = data.count(b'"_type_"')
        if not tags:
            return obj
        if type(obj) is dict:
            # Fast path: domain events keep their datetimes at the top level. Every tag counted in
            # the raw bytes must be restored here, else fall back to the full walk (which then
            # sees the already restored values as plain objects).
            found = 0
            for key, value in obj.items():
                if type(value) is dict and len(value) == 2 and _TYPE in value and _DATA in value \
                        and type(value[_DATA]) is str:
                    obj[key] = self._tagged(value[_TYPE], value[_DATA])
                    found += 1
            if found == tags:
                return obj
        return self._restore(obj)

    def _tagged(self, name: str, data: Any) -> Any:
        if name == "datetime_iso":
            return datetime.fromisoformat(data)
        if name == "date_iso":
            return date.fromisoformat(data)
        if name == "uuid_hex":
            return UUID(data)
        if name == "decimal_str":
            return Decimal(data)
        return self.names[name].decode(data)

    def _restore(self, o: Any) -> Any:
        if type(o) is dict:
            if len(o) == 2 and _TYPE in o and _DATA in o:
                return self._tagged(o[_TYPE], self._restore(o[_DATA]))
            for k, v in o.items():
                if type(v) is dict or type(v) is list:
                    o[k] = self._restore(v)
            return o
        if type(o) is list:
            return [self._restore(v) if type(v) is dict or type(v) is list else v for v in o]
        return o


