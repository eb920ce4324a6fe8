"""The return writers' XML text builder writes the same bytes as lxml's pretty printer, so the
903 and CIN Census files are unchanged by building them as text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from cscperf.synth.returns_ssd import XmlText, xml_escape

Tree = tuple[str, "str | list[Tree] | None"]

TAGS = st.sampled_from(["CHILD", "HEADER", "EPISODE", "DECOM", "Reviews", "A"])
TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.text(alphabet="ab1/&<>é -\r", min_size=1, max_size=8),
)
TREES: st.SearchStrategy[Tree] = st.recursive(
    st.tuples(TAGS, TEXT),
    lambda children: st.tuples(TAGS, st.lists(children, max_size=4)),
    max_leaves=20,
)


def _with_lxml(tree: Tree) -> bytes:
    def build(parent: etree._Element | None, node: Tree) -> etree._Element:
        tag, body = node
        element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
        if isinstance(body, list):
            for child in body:
                build(element, child)
        else:
            element.text = body or None
        return element

    root = build(None, ("ROOT", [tree]))
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _with_text(tree: Tree) -> bytes:
    xml = XmlText("ROOT")

    def write(node: Tree) -> None:
        tag, body = node
        if isinstance(body, list):
            xml.open(tag)
            for child in body:
                write(child)
            xml.close()
        else:
            xml.leaf(tag, body)

    write(tree)
    return xml.to_bytes()


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_text_builder_writes_what_lxml_writes(tree: Tree) -> None:
    assert _with_text(tree) == _with_lxml(tree)


def test_empty_containers_close_themselves_and_text_is_escaped() -> None:
    xml = XmlText("Message")
    xml.open("Children")
    xml.close()
    xml.leaf("Name", "A & B <c>")
    xml.leaf("Blank", None)
    expected = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<Message>\n"
        "  <Children/>\n"
        "  <Name>A &amp; B &lt;c&gt;</Name>\n"
        "  <Blank/>\n"
        "</Message>\n"
    )
    assert xml.to_bytes() == expected.encode("utf-8")


def test_escape_leaves_plain_text_alone() -> None:
    assert xml_escape("01/04/2024") == "01/04/2024"
    assert xml_escape("a>b") == "a&gt;b"
