"""The MIME side of every Kneadful email: the message class, its fast header folding, and
the per-batch prototype that writes a batch's messages without building each MIME tree.

``wellness.emails.build`` renders the templates and uses these; nothing here renders.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from email import message_from_bytes
from email._policybase import Compat32, compat32
from email.message import Message
from email.utils import formatdate, make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import RFC5322_EMAIL_LINE_LENGTH_LIMIT, forbid_multi_line_headers
from django.core.mail.utils import DNS_NAME
from django.utils.html import escape

# Placeholders for per-recipient values in a template rendered once for many recipients.
# ESC never comes out of our templates, and HTML escaping leaves these characters alone.
PLACEHOLDER_MARK = "\x1bkneadful:"


def placeholder(key: str) -> str:
    return f"{PLACEHOLDER_MARK}{key}\x1b"


def placeholders_fill(rendered: str, values: dict[str, str], *, html: bool) -> str:
    """``rendered`` with each placeholder of ``values`` replaced (HTML-escaped in HTML)."""
    for key, value in values.items():
        token = placeholder(key)
        if token in rendered:
            rendered = rendered.replace(token, escape(value) if html else value)
    return rendered


class _Compat32FastFold(Compat32):
    """Django's policy (``compat32``) with a shortcut for headers that need no folding.

    ``compat32`` runs every header through ``email.header.Header.encode`` (~0.07 ms each,
    about 18 per multipart message). A pure-ASCII one-line value that already fits the
    line length comes out of that unchanged, so it is written as is; everything else
    (non-ASCII, long, multi-line) still takes the stdlib path. The bytes are identical
    (checked against ``compat32`` in tests/wellness/test_emails.py).
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


FAST_FOLD_POLICY = _Compat32FastFold()


class KneadfulEmail(EmailMultiAlternatives):
    """``EmailMultiAlternatives`` whose MIME tree is cheaper to serialise.

    * the multipart boundary is chosen up front: left unset, the stdlib generator
      compiles a fresh regular expression per message to check its random boundary
      against the text; a 128-bit random boundary is checked with a plain substring test;
    * headers that need no folding skip ``Header.encode`` (``_Compat32FastFold``).

    * a message of a batch (``EmailBatchRenderer``) is written from its batch's serialised
      prototype (``BatchPrototype``): the same bytes the MIME tree would give, without the tree.

    Backends that read the fields instead of the MIME tree (django-anymail) are unaffected.
    """

    # Set by ``EmailBatchRenderer.build``: (prototype, this member's values, body, html).
    _batch: tuple[BatchPrototype, dict[str, str], str, str] | None = None

    def message(self):  # type: ignore[no-untyped-def]
        if self._batch is not None:
            prototype, values, body, html = self._batch
            raw = prototype.serialise(self, values=values, body=body, html=html)
            if raw is not None:
                return SerialisedMessage(raw)
        msg = super().message()
        msg.policy = FAST_FOLD_POLICY
        if msg.is_multipart() and msg.get_boundary() is None:
            parts = [self.body, *(str(alt[0]) for alt in self.alternatives)]
            while True:
                boundary = f"==============={secrets.token_hex(16)}=="
                if not any(boundary in part for part in parts):
                    break
            msg.set_boundary(boundary)
        return msg


class SerialisedMessage:
    """What ``KneadfulEmail.message()`` returns for a message written from a prototype:
    its bytes (all the SMTP backend reads), and for anything else the MIME tree parsed
    from those bytes on first use, so both always describe the same message."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw  # CRLF line ends
        self._tree: Message | None = None

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if unixfrom:
            return self.tree().as_bytes(unixfrom=True)
        # The generator writes every line end as ``linesep``; so do we.
        return self._raw if linesep == "\r\n" else self._raw.replace(b"\r\n", linesep.encode())

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    def tree(self) -> Message:
        if self._tree is None:
            self._tree = message_from_bytes(self._raw, policy=compat32)
        return self._tree

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.tree(), name)

    def __getitem__(self, name: str) -> Any:
        return self.tree()[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tree()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.tree())

    def __len__(self) -> int:
        return len(self.tree())

    def __str__(self) -> str:
        return self.tree().as_string()


# Headers ``EmailMessage.message()`` derives from the fields rather than copying them from
# ``extra_headers``: a message that overrides one of them is written the ordinary way.
_DERIVED_HEADERS = frozenset({"from", "to", "cc", "reply-to", "date", "message-id"})

# Room left for each substituted value (octets): no line may pass RFC 5322's 998.
_SLOT_ROOM = 400
# A slot's token: the prefix and 32 random hex digits. One pattern for every prototype
# (compiling an alternation of each batch's own tokens was about 5 % of a reminder's CPU);
# what it finds is then looked up among the batch's tokens.
_SLOT_PREFIX = "kneadfulslot"
_SLOT_TOKEN = re.compile(rb"(" + _SLOT_PREFIX.encode() + rb"[0-9a-f]{32})")


class BatchPrototype:
    """A batch's message serialised ONCE, with a random token where each member's own
    values go; per member the tokens are replaced by their values (escaped in the HTML
    part) and the top-level headers are written the way ``EmailMessage.message()`` and
    the generator write them. The result is the byte string the MIME tree would give
    for that member (tests compare them; Date, Message-ID and the boundary are chosen
    per message there and per batch here).

    Only what substitution cannot change is written this way: both parts 7bit or 8bit
    (no quoted-printable or base64), values printable (no line breaks) and short enough
    to keep every line within 998 octets, non-ASCII values only into an 8bit part, no
    value containing the boundary. Anything else returns None: the ordinary path.
    """

    _HEADER_CACHE_SIZE = 32

    def __init__(self, *, keys: Sequence[str], text: str, html: str) -> None:
        self.ok = False
        tokens = {}  # token -> (key, html?)
        fills: list[dict[str, str]] = [{}, {}]
        for key in keys:
            for html_part in (False, True):
                token = f"{_SLOT_PREFIX}{secrets.token_hex(16)}"
                tokens[token] = (key, html_part)
                fills[html_part][key] = token
        text_proto = placeholders_fill(text, fills[False], html=False)
        html_proto = placeholders_fill(html, fills[True], html=True)
        sample = KneadfulEmail(
            subject="-",
            body=text_proto,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=["prototype@example.invalid"],
        )
        sample.attach_alternative(html_proto, "text/html")
        tree = sample.message()
        parts = tree.get_payload()
        if not tree.is_multipart() or len(parts) != 2:
            return
        encodings = [part.get("Content-Transfer-Encoding") for part in parts]
        if any(cte not in ("7bit", "8bit") for cte in encodings):
            return
        self.eight_bit = [cte == "8bit" for cte in encodings]
        self.boundary = tree.get_boundary() or ""
        self.policy = FAST_FOLD_POLICY.clone(linesep="\r\n")
        raw = tree.as_bytes(linesep="\r\n")
        end = raw.find(b"\r\n\r\n")
        # The structural headers (Content-Type with the boundary, MIME-Version) first.
        structural = [(n, v) for n, v in tree.raw_items() if n in ("Content-Type", "MIME-Version")]
        self.head = b"".join(self.policy.fold_binary(n, v) for n, v in structural)
        if end < 0 or not raw.startswith(self.head):
            return
        body = raw[end + 2 :]
        pieces = _SLOT_TOKEN.split(body)
        found = [t.decode() for t in pieces[1::2]]
        if any(t not in tokens for t in found):
            return  # the template itself holds something shaped like a token
        self.pieces: list[bytes] = pieces[0::2]
        self.slots: list[tuple[str, bool]] = [tokens[t] for t in found]
        for token, (_key, html_part) in tokens.items():
            source = html_proto if html_part else text_proto
            if pieces[1::2].count(token.encode()) != source.count(token):
                return  # a token was encoded or split on its way to the bytes
        for line in body.split(b"\r\n"):
            in_line = _SLOT_TOKEN.findall(line)
            if in_line:
                rest = len(line) - sum(len(t) for t in in_line)
                if rest + _SLOT_ROOM * len(in_line) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
                    return
        self.headers: dict[tuple[str, str], bytes] = {}
        self.ok = True

    def _value(self, value: str, *, html_part: bool) -> bytes | None:
        text = str(escape(value)) if html_part else value
        if not text.isprintable() or self.boundary in text:
            return None
        if not self.eight_bit[html_part] and not text.isascii():
            return None  # it would turn a 7bit part into an 8bit one
        data = text.encode("utf-8")
        return data if len(data) <= _SLOT_ROOM else None

    def _header(self, name: str, value: Any, encoding: str) -> bytes:
        key = (name, str(value))
        line = self.headers.get(key)
        if line is None:
            name, folded = forbid_multi_line_headers(name, value, encoding)
            line = self.policy.fold_binary(name, folded)
            if len(self.headers) < self._HEADER_CACHE_SIZE:
                self.headers[key] = line
        return line

    def serialise(
        self, email: KneadfulEmail, *, values: dict[str, str], body: str, html: str
    ) -> bytes | None:
        """``email``'s bytes, or None when it is not (any more) what this batch built."""
        if (
            not self.ok
            or email.body is not body
            or len(email.alternatives) != 1
            or email.alternatives[0][0] is not html
            or email.alternatives[0][1] != "text/html"
            or email.attachments
            or email.cc
            or email.reply_to
            or email.encoding
            or email.content_subtype != "plain"
            or email.alternative_subtype != "alternative"
            or any(name.lower() in _DERIVED_HEADERS for name in email.extra_headers)
        ):
            return None
        filled = {}
        for key, html_part in self.slots:
            if (key, html_part) not in filled:
                data = self._value(values[key], html_part=html_part)
                if data is None:
                    return None
                filled[key, html_part] = data
        encoding = settings.DEFAULT_CHARSET
        # The order EmailMessage.message() sets them in.
        head = [
            self.head,
            self._header("Subject", email.subject, encoding),
            self._header("From", email.from_email, encoding),
        ]
        if email.to:
            head.append(self._header("To", ", ".join(str(v) for v in email.to), encoding))
        head.append(
            self._header("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME), encoding)
        )
        head.append(self._header("Message-ID", make_msgid(domain=DNS_NAME), encoding))
        for name, value in email.extra_headers.items():
            head.append(self._header(name, value, encoding))
        out = head
        pieces = self.pieces
        for index, slot in enumerate(self.slots):
            out.append(pieces[index])
            out.append(filled[slot])
        out.append(pieces[-1])
        return b"".join(out)
