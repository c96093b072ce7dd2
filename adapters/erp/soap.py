"""SOAP 1.1 over HTTP with XML-string arguments: the wire both Khaos IKosWeb and Prima's
OpenEdge handler speak.

Both pass one or more *strings* that hold XML documents, so a call is two layers: an envelope
whose operation element carries named string arguments, and the XML inside those strings.
The stdlib parser resolves no external entities; documents with a DOCTYPE are refused outright.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
_ENV = f"{{{SOAP_NS}}}"


class XmlError(ValueError):
    """A document that is not well-formed XML (or carries a DOCTYPE)."""


def parse(text: str | bytes) -> ET.Element:
    raw = text.encode() if isinstance(text, str) else text
    if b"<!DOCTYPE" in raw[:2048].upper():
        raise XmlError("DOCTYPE is not allowed")
    try:
        return ET.fromstring(raw)
    except ET.ParseError as exc:
        raise XmlError(str(exc)) from exc


def local(tag: str) -> str:
    """`{ns}Name` -> `Name`."""
    return tag.rsplit("}", 1)[-1]


def to_text(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def text_of(element: ET.Element | None, name: str, default: str = "") -> str:
    """Text of the first child called `name` (namespace-blind), else `default`."""
    if element is None:
        return default
    for child in element:
        if local(child.tag) == name:
            return (child.text or "").strip()
    return default


def children(element: ET.Element | None, name: str) -> list[ET.Element]:
    return [] if element is None else [c for c in element if local(c.tag) == name]


def child(element: ET.Element | None, name: str) -> ET.Element | None:
    found = children(element, name)
    return found[0] if found else None


def element(tag: str, fields: dict[str, object] | None = None, **attrs: object) -> ET.Element:
    """`<tag a="..">` with one child per field; None values are left out, bools are -1/0."""
    node = ET.Element(tag, {k: str(v) for k, v in attrs.items() if v is not None})
    for name, value in (fields or {}).items():
        if value is None:
            continue
        ET.SubElement(node, name).text = (
            khaos_bool(value) if isinstance(value, bool) else str(value)
        )
    return node


def khaos_bool(value: bool) -> str:
    """Khaos writes booleans as -1 (true) and 0 (false)."""
    return "-1" if value else "0"


def read_bool(text: str) -> bool:
    """-1/0, Yes/No, true/false: the ERPs disagree, readers accept all."""
    return text.strip().lower() in ("-1", "1", "yes", "y", "true")


def decimal_of(text: str, default: str = "0") -> Decimal:
    try:
        return Decimal(text.strip() or default)
    except InvalidOperation as exc:
        raise XmlError(f"not a number: {text!r}") from exc


@dataclass
class SoapCall:
    """One operation: its name, its string arguments, and header values (credentials)."""

    operation: str
    args: dict[str, str] = field(default_factory=dict)
    header: dict[str, str] = field(default_factory=dict)
    namespace: str = "urn:returnflow"


def envelope(call: SoapCall) -> bytes:
    """The request envelope: string arguments are escaped by the serializer, as SOAP wants."""
    root = ET.Element(f"{_ENV}Envelope")
    if call.header:
        head = ET.SubElement(root, f"{_ENV}Header")
        auth = ET.SubElement(head, f"{{{call.namespace}}}AuthHeader")
        for name, value in call.header.items():
            ET.SubElement(auth, f"{{{call.namespace}}}{name}").text = value
    body = ET.SubElement(root, f"{_ENV}Body")
    op = ET.SubElement(body, f"{{{call.namespace}}}{call.operation}")
    for name, value in call.args.items():
        ET.SubElement(op, name).text = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_call(raw: bytes) -> SoapCall:
    """The server's view of `envelope` (the sandboxes use it)."""
    root = parse(raw)
    if local(root.tag) != "Envelope":
        raise XmlError("not a SOAP envelope")
    body = child(root, "Body")
    ops = list(body) if body is not None else []
    if not ops:
        raise XmlError("SOAP body has no operation")
    op = ops[0]
    auth = child(child(root, "Header"), "AuthHeader")
    header = {local(c.tag): (c.text or "") for c in auth} if auth is not None else {}
    namespace = op.tag[1:].split("}")[0] if op.tag.startswith("{") else ""
    args = {local(c.tag): (c.text or "") for c in op}
    return SoapCall(local(op.tag), args, header, namespace)


def response(operation: str, result: str, namespace: str = "urn:returnflow") -> bytes:
    root = ET.Element(f"{_ENV}Envelope")
    body = ET.SubElement(root, f"{_ENV}Body")
    op = ET.SubElement(body, f"{{{namespace}}}{operation}Response")
    ET.SubElement(op, "return").text = result
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def fault(code: str, message: str) -> bytes:
    root = ET.Element(f"{_ENV}Envelope")
    body = ET.SubElement(root, f"{_ENV}Body")
    node = ET.SubElement(body, f"{_ENV}Fault")
    ET.SubElement(node, "faultcode").text = f"SOAP-ENV:{code}"
    ET.SubElement(node, "faultstring").text = message
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


@dataclass
class SoapReply:
    """A parsed answer: the result string, or a fault's code and message."""

    result: str | None = None
    fault_code: str | None = None
    fault_message: str | None = None


def read_reply(raw: bytes) -> SoapReply:
    root = parse(raw)
    body = child(root, "Body")
    node = next(iter(body), None) if body is not None else None
    if node is None:
        raise XmlError("SOAP reply has an empty body")
    if local(node.tag) == "Fault":
        return SoapReply(
            fault_code=text_of(node, "faultcode").rsplit(":", 1)[-1],
            fault_message=text_of(node, "faultstring"),
        )
    return SoapReply(result=text_of(node, "return"))
