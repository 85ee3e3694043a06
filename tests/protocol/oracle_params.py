"""Deterministic sample parameters for any botocore shape, for the oracle.

The values are chosen to be valid (enums, lengths, ranges, required members,
patterns) and to stress the wire: unicode and reserved characters in bodies,
query strings and URI labels, non-UTF-8 blobs, timestamps with milliseconds
where the wire format keeps them, both booleans, nested structures, lists and
maps. Same shape and counter in, same value out.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache
import re._constants as sre
import re._parser as sre_parse

# Optional members are filled down to this depth; below it only required ones.
OPTIONAL_DEPTH = 3
# Required members stop here too, so required recursion cannot loop forever.
RECURSION_LIMIT = 20

BODY_TEXT = ["nimbus é☃ <tag> & 'quote' \"dq\"", "plain-ascii-1", "ünïcødé ✓ 日本"]
# Responses also carry whitespace an XML reader would normalise unless escaped
# (botocore's XML serializer does not escape it in requests, so AWS never sees it).
RESPONSE_TEXT = BODY_TEXT + [" tab\there\r\nCRLF and trailing space "]
QUERY_TEXT = ["a b&c=d/é?+%", "plain-2"]
LABEL_TEXT = ["label é+&=:@ x", "plain-label-3"]
GREEDY_TEXT = ["dir/sub dir/ké y+&=.txt", "a/b"]
HEADER_TEXT = ["nimbus header value-1", "plain-4"]
CANDIDATE_CHARS = "aZ09-_. é/:+=@,;~!*'()x\t\n"


class ParamGenerator:
    """Sample parameters for one protocol's requests (or responses)."""

    def __init__(
        self,
        protocol: str,
        greedy_labels: frozenset = frozenset(),
        required_only: bool = False,
        response: bool = False,
    ):
        self.protocol = protocol
        # Responses get texts requests cannot carry through botocore unchanged.
        self.body_texts = RESPONSE_TEXT if response else BODY_TEXT
        # URI label names written `{Name+}` (they may hold slashes).
        self.greedy_labels = greedy_labels
        # Only required members: what is absent must decode as absent.
        self.required_only = required_only
        self.counter = 0

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    # ------------------------------------------------------------- shapes

    def structure(self, shape, depth: int = 0, stack: tuple = ()) -> dict:
        members = shape.members
        stack = stack + (shape.name,)
        if shape.is_tagged_union:
            # Exactly one member; rotate so different unions show different members.
            names = [name for name in members if members[name].name not in stack] or list(members)
            if not names:
                return {}
            name = names[self._next() % len(names)]
            return {name: self.member_value(members[name], depth, stack)}
        required = set(shape.required_members)
        params = {}
        for name, member in members.items():
            if member.serialization.get("eventstream"):
                continue
            if name in required:
                # Required members always, but recursion must end somewhere.
                if depth >= RECURSION_LIMIT:
                    continue
            elif self.required_only or depth > OPTIONAL_DEPTH or member.name in stack:
                continue
            params[name] = self.member_value(member, depth, stack)
        if not params:
            # An empty structure vanishes on several wires (query, ec2), which
            # would test nothing; one member (a scalar if there is one) keeps it.
            usable = [name for name, member in members.items()
                      if not member.serialization.get("eventstream") and member.name not in stack]
            scalars = [name for name in usable if members[name].type_name not in ("structure", "list", "map")]
            for name in (scalars or usable)[:1]:
                params[name] = self.member_value(members[name], depth, stack)
        return params

    def member_value(self, member, depth: int, stack: tuple):
        if member.serialization.get("jsonvalue"):
            # JSON carried in a header: any JSON document, not text.
            return {"key": "value é", "n": 1}
        if member.serialization.get("hostLabel"):
            # Becomes part of the host name: a DNS label.
            return "nimbus-label-1"
        return self.value(member, depth + 1, stack)

    def value(self, shape, depth: int, stack: tuple = (), location: str | None = None):
        """A value of `shape`; `location` is inherited by list and map items
        (a header list's items travel in the header too)."""
        location = shape.serialization.get("location") or location
        kind = shape.type_name
        if getattr(shape, "is_document_type", False):
            return {"doc": [1, "two", True, {"nested": None}], "n": 1.5}
        if kind == "structure":
            return self.structure(shape, depth, stack)
        if kind == "list":
            count = self._count(shape, 2)
            if getattr(shape.member, "enum", None):
                # Distinct items where the enum allows, in case the list is a set.
                enum = shape.member.enum
                start = self._next()
                return [enum[(start + i) % len(enum)] for i in range(count)]
            return [self.value(shape.member, depth + 1, stack, location) for _ in range(count)]
        if kind == "map":
            count = self._count(shape, 2)
            key_location = "header-map-key" if location == "headers" else "map-key"
            value_location = "header" if location == "headers" else location
            entries = {}
            for index in range(count * 3):
                if len(entries) >= count:
                    break
                key = self.string(shape.key, key_location, index=self._next())
                entries[key] = self.value(shape.value, depth + 1, stack, value_location)
            return entries
        if kind == "string":
            return self.string(shape, location)
        if kind in ("integer", "long", "short", "byte"):
            default = {"long": 5_000_000_123, "integer": 42, "short": 7, "byte": 3}[kind]
            return int(self._in_range(shape, default))
        if kind in ("float", "double"):
            return float(self._in_range(shape, 1.5))
        if kind == "boolean":
            return self._next() % 2 == 0
        if kind == "blob":
            if shape.serialization.get("streaming") or shape.metadata.get("streaming"):
                return b"streamed \x00\xff body"
            return self._blob(shape)
        if kind == "timestamp":
            return self.timestamp(shape, location)
        raise ValueError(f"no sample for shape type {kind}")

    # ------------------------------------------------------------ scalars

    def string(self, shape, location: str | None = None, index: int | None = None) -> str:
        n = self._next() if index is None else index
        if shape.enum:
            return shape.enum[n % len(shape.enum)]
        if location == "uri":
            greedy = shape.serialization.get("name") in self.greedy_labels
            wanted = (GREEDY_TEXT if greedy else LABEL_TEXT)[n % 2]
        elif location == "querystring":
            wanted = QUERY_TEXT[n % 2]
        elif location in ("header", "headers"):
            wanted = HEADER_TEXT[n % 2]
        elif location == "header-map-key":
            wanted = f"meta{n}"
        elif location == "map-key":
            wanted = f"key-{n} é"
        else:
            wanted = self.body_texts[n % len(self.body_texts)]
        return fit_string(wanted, shape.metadata)

    def _blob(self, shape) -> bytes:
        data = b"\x00\x01nimbus\xfe\xff blob"
        low = int(shape.metadata.get("min", 0))
        high = shape.metadata.get("max")
        if len(data) < low:
            data = data + b"x" * (low - len(data))
        if high is not None and len(data) > high:
            data = data[: int(high)]
        return data

    def timestamp(self, shape, location: str | None) -> datetime.datetime:
        base = datetime.datetime(2024, 2, 29, 13, 14, 15, tzinfo=datetime.timezone.utc)
        if self._keeps_milliseconds(shape, location) and self._next() % 2 == 0:
            return base.replace(microsecond=123_000)
        return base

    def _keeps_milliseconds(self, shape, location: str | None) -> bool:
        """botocore writes sub-second digits only in ISO 8601 timestamps."""
        if location == "header":
            # Header timestamps go through whole epoch seconds, whatever the format.
            return False
        explicit = shape.serialization.get("timestampFormat") or shape.metadata.get("timestampFormat")
        if explicit:
            return explicit == "iso8601"
        if location in ("querystring", "uri"):
            return True
        return self.protocol in ("query", "ec2", "rest-xml")

    def _count(self, shape, default: int) -> int:
        low = int(shape.metadata.get("min", 0))
        high = shape.metadata.get("max")
        count = max(default, low)
        if high is not None:
            count = min(count, int(high))
        return count

    def _in_range(self, shape, default):
        low = shape.metadata.get("min")
        high = shape.metadata.get("max")
        value = default
        if high is not None and value > high:
            value = high
        if low is not None and value < low:
            value = low
        return value


# ------------------------------------------------------------- strings


def fit_string(wanted: str, metadata: dict) -> str:
    """`wanted`, or the closest string that satisfies the shape's pattern and
    length limits (a string generated from the pattern when needed)."""
    high = metadata.get("max")
    return _fit(wanted, int(metadata.get("min", 0) or 0), int(high) if high is not None else None, metadata.get("pattern"))


@lru_cache(maxsize=None)
def _fit(wanted: str, low: int, high: int | None, pattern_source: str | None) -> str:
    pattern = _python_pattern(pattern_source)

    def fits(text: str) -> bool:
        if len(text) < low or (high is not None and len(text) > high):
            return False
        return pattern is None or pattern.fullmatch(text) is not None

    candidates = [wanted, _pad(wanted, low, high)]
    if pattern is not None:
        for repeat in (3, 1, 8, max(low, 1), 20, 64):
            try:
                candidates.append(_from_pattern(pattern.pattern, repeat))
            except _Unsupported:
                break
    for candidate in candidates:
        if fits(candidate):
            return candidate
    # Nothing satisfies every constraint; the decoder's verdict on the
    # closest try is what the oracle then reports.
    return candidates[2] if len(candidates) > 2 else candidates[1]


def _pad(text: str, low: int, high: int | None) -> str | None:
    if len(text) < low:
        text = text + "x" * (low - len(text))
    if high is not None and len(text) > high:
        text = text[:high]
    return text


# Java's \p{..} classes, near enough for generating matching text.
_JAVA_CLASSES = {
    r"\p{L}": "a-zA-Zé", r"\p{Z}": " ", r"\p{N}": "0-9", r"\p{ASCII}": r"\x00-\x7f",
    r"\p{Print}": r"\x20-\x7e", r"\p{Alpha}": "a-zA-Z", r"\p{Alnum}": "a-zA-Z0-9",
    r"\p{Punct}": r"!-/:-@\[-`{-~", r"\p{Upper}": "A-Z", r"\p{Lower}": "a-z",
}
_PATTERNS: dict[str, re.Pattern | None] = {}


def _python_pattern(source: str | None):
    if not source:
        return None
    if source in _PATTERNS:
        return _PATTERNS[source]
    text = source
    for java, python in _JAVA_CLASSES.items():
        inside = re.escape(java)
        text = re.sub(r"(\[[^\]]*?)" + inside, lambda m: m.group(1) + python, text)
        text = text.replace(java, f"[{python}]")
    text = text.replace(r"\w-_", r"\w_-")
    try:
        compiled = re.compile(text, re.DOTALL)
    except re.error:
        compiled = None
    _PATTERNS[source] = compiled
    return compiled


class _Unsupported(Exception):
    pass


@lru_cache(maxsize=None)
def _from_pattern(source: str, repeat: int) -> str:
    return "".join(_emit(sre_parse.parse(source, re.DOTALL), repeat))


def _emit(parsed, repeat: int):
    for op, arg in parsed:
        if op is sre.LITERAL:
            yield chr(arg)
        elif op is sre.NOT_LITERAL:
            yield next(c for c in CANDIDATE_CHARS if ord(c) != arg)
        elif op is sre.ANY:
            yield "a"
        elif op is sre.IN:
            yield _class_char(arg)
        elif op is sre.BRANCH:
            # The first alternative that produces something (`(|x+)` is common).
            options = ["".join(_emit(branch, repeat)) for branch in arg[1]]
            yield next((option for option in options if option), options[0])
        elif op is sre.SUBPATTERN:
            yield from _emit(arg[3], repeat)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, item = arg
            count = max(low, min(repeat, high if high != sre.MAXREPEAT else repeat))
            for _ in range(count):
                yield from _emit(item, repeat)
        elif op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue
        elif op is sre.CATEGORY:
            yield _category_char(arg)
        else:
            raise _Unsupported(op)


_CLASS_CANDIDATES = CANDIDATE_CHARS + "".join(chr(c) for c in range(0x21, 0x7F))


def _class_char(items) -> str:
    negate = any(op is sre.NEGATE for op, _ in items)
    for candidate in _CLASS_CANDIDATES:
        inside = any(_in_item(candidate, op, arg) for op, arg in items if op is not sre.NEGATE)
        if inside != negate:
            return candidate
    for op, arg in items:
        if op is sre.RANGE:
            return chr(arg[0])
    raise _Unsupported("character class")


def _in_item(char: str, op, arg) -> bool:
    code = ord(char)
    if op is sre.LITERAL:
        return code == arg
    if op is sre.RANGE:
        return arg[0] <= code <= arg[1]
    if op is sre.CATEGORY:
        return _category_char(arg, test=char)
    return False


def _category_char(category, test: str | None = None):
    samples = {
        sre.CATEGORY_DIGIT: "0", sre.CATEGORY_NOT_DIGIT: "a", sre.CATEGORY_SPACE: " ",
        sre.CATEGORY_NOT_SPACE: "a", sre.CATEGORY_WORD: "a", sre.CATEGORY_NOT_WORD: "-",
    }
    if test is not None:
        checks = {
            sre.CATEGORY_DIGIT: test.isdigit(), sre.CATEGORY_NOT_DIGIT: not test.isdigit(),
            sre.CATEGORY_SPACE: test.isspace(), sre.CATEGORY_NOT_SPACE: not test.isspace(),
            sre.CATEGORY_WORD: test.isalnum() or test == "_", sre.CATEGORY_NOT_WORD: not (test.isalnum() or test == "_"),
        }
        return checks.get(category, False)
    if category not in samples:
        raise _Unsupported(category)
    return samples[category]
