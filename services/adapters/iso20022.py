"""ISO 20022 XML at the edges: files from banks are parsed as untrusted (defusedxml: no
entity expansion, no external references), and files to banks are built with one small
element helper. Errors are one readable line (ConfigError)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from services.domain.errors import ConfigError


def parse_untrusted(data: bytes) -> Element:
    try:
        return fromstring(data)
    except DefusedXmlException as e:
        raise ConfigError(f"refused: the XML uses {type(e).__name__} (entities or external references)") from None
    except ParseError as e:
        raise ConfigError(f"not XML: {e}") from None
    except (LookupError, ValueError) as e:  # an unknown encoding in the declaration, and the like
        raise ConfigError(f"not XML that can be read: {e}") from None


def namespace_of(root: Element) -> str:
    """The document's namespace ("" when it has none)."""
    return root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""


def qualified(namespace: str) -> Callable[[str], str]:
    """q("A/B") -> "{ns}A/{ns}B": a path of children in the document's namespace."""
    return lambda path: "/".join(f"{{{namespace}}}{p}" for p in path.split("/"))


def builder(namespace: str) -> Callable[..., Element]:
    """el(parent, tag, text=None, **attributes): a child element in the namespace."""
    ET.register_namespace("", namespace)

    def el(parent: Element, tag: str, text: str | None = None, **attributes: str) -> Element:
        e = ET.SubElement(parent, f"{{{namespace}}}{tag}", attributes)
        if text is not None:
            e.text = text
        return e

    return el


def document(namespace: str, el: Callable[..., Element], root_child: str) -> tuple[Element, Element]:
    """(the Document, its one child)."""
    root = ET.Element(f"{{{namespace}}}Document")
    return root, el(root, root_child)


def message(namespace: str, root_child: str, message_id: str,
            created_at: str) -> tuple[Callable[..., Element], Element, Element, Element]:
    """(el, the Document, its one child, the child's GrpHdr with MsgId and CreDtTm):
    how every message to or from a bank opens."""
    el = builder(namespace)
    root, child = document(namespace, el, root_child)
    hdr = el(child, "GrpHdr")
    el(hdr, "MsgId", message_id)
    el(hdr, "CreDtTm", created_at)
    return el, root, child, hdr


def serialize(root: Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)
