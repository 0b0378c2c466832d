"""Tests of the MPS door's XML layer (portal.mps.xmlio): no Django, no database, no directory.

The example requests are the seeds' examples byte for byte, trailing spaces and comments included
(Hosted Email 2007::Unsubscribe, MPS Import::EnableCustomerForPlans), read from tests/data/seeds.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from portal import xml as portal_xml
from portal.errors import InvalidArgument, InvalidRequest
from portal.mps import xmlio
from portal.mps.xmlio import (
    DTD_REFUSED,
    ExecuteStep,
    MpsRequest,
    Transform,
    apply_transform,
    element_to_value,
    parse_request,
    render_error,
    render_response,
    value_to_elements,
)


# The seeds' examples, read from tests/data/seeds.
@pytest.fixture
def unsubscribe_request_1(seed) -> bytes:
    return seed.example("Unsubscribe", "Example XML Request 1")


@pytest.fixture
def unsubscribe_request_2(seed) -> bytes:
    return seed.example("Unsubscribe", "Example XML Request 2")


@pytest.fixture
def unsubscribe_response(seed) -> bytes:
    return seed.example("Unsubscribe", "Example XML Response")


@pytest.fixture
def enable_customer_for_plans_request(seed) -> bytes:
    return seed.example("EnableCustomerForPlans", "Example XML Request")


ORGANIZATION = "LDAP://OU=AlpineSkiHouse,OU=ConsolidatedMessenger,OU=Hosting,DC=Fabrikam,DC=Com"
GUID = "cd2bfd08d6dc804d9cd41e88069e37f8"
DC = "AD01.Fabrikam.Com"


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def xml(text: str) -> etree._Element:
    """A standalone element from a literal, whitespace between elements dropped."""
    return etree.fromstring(text, etree.XMLParser(remove_blank_text=True))


def nodes(data: str = "<data/>", execute_data: str = "<executeData/>") -> dict[str, etree._Element]:
    return {"data": xml(data), "executeData": xml(execute_data)}


def tags(element: etree._Element) -> list[str]:
    return [child.tag for child in element]


def request(execute: str, data: str = "") -> bytes:
    return f"<request>{data}<procedure>{execute}</procedure></request>".encode()


def refused(body: bytes) -> str:
    with pytest.raises(InvalidRequest) as info:
        parse_request(body)
    return info.value.text


def run_request(body: bytes) -> tuple[MpsRequest, etree._Element, list[dict]]:
    """Run a request's transforms as the door will, each procedure mirroring its input."""
    parsed = parse_request(body)
    data = parsed.data if parsed.data is not None else etree.Element("data")
    seen = []
    for step in parsed.executes:
        current = {"data": data, "executeData": step.execute_data}
        for transform in step.before:
            apply_transform(transform, current)
        seen.append(element_to_value(step.execute_data))
        for transform in step.after:
            apply_transform(transform, current)
    return parsed, data, seen


# ------------------------------------------------------------------------------------------
# the seeds' examples
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("procedure", "heading"),
    [
        ("Unsubscribe", "Example XML Request 1"),
        ("Unsubscribe", "Example XML Request 2"),
        ("Unsubscribe", "Example XML Response"),
        ("EnableCustomerForPlans", "Example XML Request"),
    ],
)
def test_examples_are_the_seeds_byte_for_byte_and_whole(seed, procedure: str, heading: str) -> None:
    example = seed.example(procedure, heading)

    assert example.startswith(b"<") and example.rstrip().endswith(b">")
    assert b"\n\n" + example + b"\n\n" in seed.document(procedure).raw


def test_unsubscribe_example_1_parses_into_one_impersonating_step(unsubscribe_request_1: bytes) -> None:
    parsed = parse_request(unsubscribe_request_1)

    assert parsed.data is not None
    assert element_to_value(parsed.data) == {
        "organization": ORGANIZATION,
        "preferredDomainController": DC,
    }
    assert len(parsed.executes) == 1
    step = parsed.executes[0]
    assert (step.namespace, step.procedure, step.impersonate) == (
        "Hosted Email 2007",
        "Unsubscribe",
        1,
    )
    assert step.execute_data.tag == "executeData"
    assert len(step.execute_data) == 0
    assert step.before == [
        Transform("data", "GUID", "executeData", None, "move"),
        Transform("data", "organization", "executeData", None, "move"),
        Transform("data", "preferredDomainController", "executeData", None, "move"),
    ]
    assert step.after == [Transform("executeData", None, "data", None, "merge")]


def test_unsubscribe_example_2_parses_into_one_impersonating_step(unsubscribe_request_2: bytes) -> None:
    parsed = parse_request(unsubscribe_request_2)

    assert parsed.data is not None
    assert element_to_value(parsed.data) == {"GUID": GUID, "preferredDomainController": DC}
    [step] = parsed.executes
    assert isinstance(step, ExecuteStep)
    assert (step.namespace, step.procedure, step.impersonate) == (
        "Hosted Email 2007",
        "Unsubscribe",
        1,
    )
    assert step.before == [
        Transform("data", "GUID", "executeData", None, "move"),
        Transform("data", "preferredDomainController", "executeData", None, "move"),
    ]
    assert step.after == [Transform("executeData", None, "data", None, "merge")]


def test_enable_customer_for_plans_example_parses_with_execute_data_and_no_data(
    enable_customer_for_plans_request: bytes,
) -> None:
    parsed = parse_request(enable_customer_for_plans_request)

    assert parsed.data is None
    [step] = parsed.executes
    assert (step.namespace, step.procedure, step.impersonate) == (
        "MPS Import",
        "EnableCustomerForPlans",
        1,
    )
    assert step.before == [] and step.after == []
    assert element_to_value(step.execute_data) == {
        "path": "LDAP://OU=alpineskihouse,OU=consolidatedmessenger,OU=Hosting,DC=fabrikam,DC=Com",
        "preferredDomainController": "AD01.fabrikam.Com",
        "customerTypeName": "BusinessOrganization",
    }


def test_unsubscribe_example_1_before_moves_organization_and_dc_and_absent_guid_moves_nothing(
    unsubscribe_request_1: bytes,
) -> None:
    _, data, seen = run_request(unsubscribe_request_1)

    assert seen == [{"organization": ORGANIZATION, "preferredDomainController": DC}]
    # The after merge puts them back.
    assert element_to_value(data) == {"organization": ORGANIZATION, "preferredDomainController": DC}


def test_unsubscribe_example_2_before_moves_guid_and_dc_out_of_data(unsubscribe_request_2: bytes) -> None:
    parsed = parse_request(unsubscribe_request_2)
    assert parsed.data is not None
    step = parsed.executes[0]
    current = {"data": parsed.data, "executeData": step.execute_data}

    for transform in step.before:
        apply_transform(transform, current)

    assert element_to_value(step.execute_data) == {"GUID": GUID, "preferredDomainController": DC}
    assert len(parsed.data) == 0  # move took them out of data


def test_unsubscribe_example_2_after_merge_gives_the_seeds_response(
    unsubscribe_request_2: bytes, unsubscribe_response: bytes
) -> None:
    _, data, _ = run_request(unsubscribe_request_2)

    rendered = render_response(data)

    expected = etree.fromstring(unsubscribe_response)
    got = etree.fromstring(rendered)
    assert got.tag == "response"
    assert [child.tag for child in got] == ["data"]
    assert element_to_value(got) == element_to_value(expected)
    assert tags(got[0]) == ["GUID", "preferredDomainController"]


def test_enable_customer_for_plans_response_mirrors_execute_data_when_there_is_no_data(
    enable_customer_for_plans_request: bytes,
) -> None:
    parsed = parse_request(enable_customer_for_plans_request)

    rendered = render_response(parsed.executes[0].execute_data)

    got = etree.fromstring(rendered)
    assert [child.tag for child in got] == ["executeData"]
    assert element_to_value(got[0]) == element_to_value(parsed.executes[0].execute_data)


def test_a_taken_answer_renders_as_a_copy_does_and_becomes_the_responses_own(
    unsubscribe_request_2: bytes,
) -> None:
    _, data, _ = run_request(unsubscribe_request_2)
    copied = render_response(data)
    assert data.getparent() is None  # a copy was rendered: data is as it was

    taken = render_response(data, taken=True)

    assert taken == copied
    assert data.getparent() is not None and data.getparent().tag == "response"


def test_parsed_data_and_execute_data_stand_alone(unsubscribe_request_2: bytes) -> None:
    """What parse_request returns is a document of its own: no parent, no text after it, and
    nothing of the rest of the request reachable from it (an absolute path in a transform sees
    only it)."""
    parsed = parse_request(unsubscribe_request_2)

    for element in (parsed.data, *(step.execute_data for step in parsed.executes)):
        assert element.getparent() is None
        assert element.tail is None
        assert element.getroottree().getroot() is element


# ------------------------------------------------------------------------------------------
# parse_request: shape
# ------------------------------------------------------------------------------------------


def test_parse_tolerates_declaration_comments_pis_and_whitespace() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!-- before -->\n<?app hint?>\n'
        b"<request>\n  <!-- c -->\n  <procedure>\n    <?pi x?>\n"
        b'    <execute namespace="N" procedure="P"/>\n  </procedure>\n</request>\n<!-- after -->\n'
    )

    parsed = parse_request(body)

    assert parsed.data is None
    assert [(s.namespace, s.procedure, s.impersonate) for s in parsed.executes] == [("N", "P", 0)]
    assert parsed.executes[0].execute_data.tag == "executeData"
    assert parsed.executes[0].before == [] and parsed.executes[0].after == []


def test_parse_accepts_utf16_with_bom() -> None:
    body = '<request><procedure><execute namespace="É" procedure="P"/></procedure></request>'

    parsed = parse_request(body.encode("utf-16"))

    assert parsed.executes[0].namespace == "É"


def test_parse_accepts_the_request_in_the_provisioning_namespace() -> None:
    body = (
        b'<request xmlns="https://maps/specs/prov.xml"><data><GUID>g</GUID></data>'
        b'<procedure><execute namespace="N" procedure="P">'
        b'<before source="data" sourcePath="GUID" destination="executeData" mode="move"/>'
        b"</execute></procedure></request>"
    )

    _, _, seen = run_request(body)

    assert seen == [{"GUID": "g"}]


def test_parse_keeps_several_executes_and_their_transforms_in_document_order() -> None:
    body = request(
        '<execute namespace="A" procedure="One" impersonate="2">'
        '<after source="executeData" destination="data"/>'
        '<before source="data" sourcePath="x" destination="executeData" mode="replace"/>'
        '<before source="data" sourcePath="y" destination="executeData" '
        'destinationPath="z" mode="insert"/>'
        "</execute>"
        '<execute namespace="B" procedure="Two"/>'
    )

    parsed = parse_request(body)

    first, second = parsed.executes
    assert (first.namespace, first.procedure, first.impersonate) == ("A", "One", 2)
    assert first.before == [
        Transform("data", "x", "executeData", None, "replace"),
        Transform("data", "y", "executeData", "z", "insert"),
    ]
    assert first.after == [Transform("executeData", None, "data", None, "insert")]
    assert (second.namespace, second.procedure, second.impersonate) == ("B", "Two", 0)


def test_parse_returns_detached_data_and_execute_data(unsubscribe_request_1: bytes) -> None:
    parsed = parse_request(unsubscribe_request_1)
    assert parsed.data is not None

    assert parsed.data.getparent() is None
    assert parsed.executes[0].execute_data.getparent() is None
    assert parsed.data.xpath("..") == []


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("1", 1), ("2", 2)])
def test_parse_reads_impersonate(raw: str, expected: int) -> None:
    body = request(f'<execute namespace="N" procedure="P" impersonate="{raw}"/>')

    assert parse_request(body).executes[0].impersonate == expected


@pytest.mark.parametrize("raw", ["3", "-1", "yes", "", " 1", "01", "true"])
def test_parse_refuses_bad_impersonate(raw: str) -> None:
    text = refused(request(f'<execute namespace="N" procedure="P" impersonate="{raw}"/>'))

    assert f'impersonate="{raw}"' in text


@pytest.mark.parametrize(
    ("execute", "missing"),
    [
        ('<execute procedure="P"/>', "namespace"),
        ('<execute namespace="N"/>', "procedure"),
        ('<execute namespace="" procedure="P"/>', "namespace"),
        ('<execute namespace="N" procedure="  "/>', "procedure"),
    ],
)
def test_parse_refuses_execute_without_namespace_or_procedure(execute: str, missing: str) -> None:
    text = refused(request(execute))

    assert f'missing the required attribute "{missing}"' in text


@pytest.mark.parametrize("mode", ["append", "MERGE", "", "copy"])
def test_parse_refuses_unknown_mode(mode: str) -> None:
    text = refused(
        request(
            '<execute namespace="N" procedure="P">'
            f'<before source="data" destination="executeData" mode="{mode}"/></execute>'
        )
    )

    assert f'mode="{mode}"' in text


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ('source="procedureData" destination="executeData"', 'source="procedureData"'),
        ('source="context" destination="executeData"', 'source="context"'),
        ('source="data" destination="Data"', 'destination="Data"'),
        ('destination="executeData"', '"source"'),
        ('source="data"', '"destination"'),
    ],
)
def test_parse_refuses_bad_or_missing_source_and_destination(attributes: str, named: str) -> None:
    text = refused(request(f'<execute namespace="N" procedure="P"><after {attributes}/></execute>'))

    assert named in text


@pytest.mark.parametrize("attribute", ["sourcePath", "destinationPath"])
def test_parse_refuses_an_invalid_xpath_and_names_it(attribute: str) -> None:
    text = refused(
        request(
            '<execute namespace="N" procedure="P">'
            f'<before source="data" destination="executeData" {attribute}="a[["/></execute>'
        )
    )

    assert f'{attribute}="a[["' in text


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<response/>", "root element must be <request>"),
        (b"<request/>", "no <procedure>"),
        (b"<request><data/></request>", "no <procedure>"),
        (b"<request><procedure/></request>", "no <execute>"),
        (b"<request><procedure> <!-- none --> </procedure></request>", "no <execute>"),
        (
            (
                b'<request><data/><data/><procedure><execute namespace="N" procedure="P"/>'
                b"</procedure></request>"
            ),
            "more than one <data>",
        ),
        (
            (b'<request><procedure><execute namespace="N" procedure="P"/></procedure><procedure/></request>'),
            "more than one <procedure>",
        ),
        (
            (b'<request><context/><procedure><execute namespace="N" procedure="P"/></procedure></request>'),
            "<context> is not supported",
        ),
        (b"<request><procedure><try/></procedure></request>", "<try> is not supported"),
        (
            request('<execute namespace="N" procedure="P"><executeData/><executeData/></execute>'),
            "more than one <executeData>",
        ),
        (
            request(
                '<execute namespace="N" procedure="P"><forEach name="o" root="data" path="a"/></execute>'
            ),
            "<forEach> is not supported",
        ),
        (
            request('<execute namespace="N" procedure="P"><bogus/></execute>'),
            "unknown element <bogus>",
        ),
        (
            request(
                '<execute namespace="N" procedure="P">'
                '<before source="data" destination="executeData">'
                '<xsl:template xmlns:xsl="http://www.w3.org/1999/XSL/Transform" match="a"/>'
                "</before></execute>"
            ),
            "XSL templates",
        ),
    ],
)
def test_parse_refuses_a_wrong_shape(body: bytes, words: str) -> None:
    assert words in refused(body)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b"<request>\n<procedure>\n<execute></procedure>\n</request>", 3),
        (b"<request>\n\n<data a='1' a='2'/></request>", 3),
        (b"<request>&undefined;</request>", 1),
        (b"", 1),
        (b"not xml at all", 1),
        (b"<request/><request/>", 1),
        (b"<request>\x01</request>", 1),
    ],
)
def test_parse_refuses_malformed_xml_naming_the_parser_message_and_line(body: bytes, line: int) -> None:
    text = refused(body)

    assert text.startswith("The request is not well-formed XML: ")
    assert f"(line {line}, column " in text


def test_parse_refusal_is_an_invalid_request_with_its_code() -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_request(b"<nope")

    assert info.value.hex_code == "0x8004100E"
    assert info.value.status == 400


def test_parse_takes_bytes_only() -> None:
    with pytest.raises(TypeError):
        parse_request("<request/>")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# parse_request: DTDs and entities are refused, never expanded
# ------------------------------------------------------------------------------------------

EXECUTE = '<procedure><execute namespace="N" procedure="P"/></procedure>'


def billion_laughs() -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    subset = "\n  ".join(entities)
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE request [\n  {subset}\n]>\n'
        f'<request><data><x a="&lol9;">&lol9;</x></data>{EXECUTE}</request>'
    ).encode()


@pytest.fixture
def spy_resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every external resource libxml2 asks for (there must be none)."""
    asked: list[str] = []
    original = portal_xml.RefuseExternal.resolve

    def resolve(self: object, system_url: str, public_id: str, context: object) -> object:
        asked.append(system_url)
        return original(self, system_url, public_id, context)

    monkeypatch.setattr(portal_xml.RefuseExternal, "resolve", resolve)
    return asked


def test_xxe_file_entity_is_refused_and_never_read(spy_resolver: list[str]) -> None:
    body = (
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<request><data><x>&x;</x></data>" + EXECUTE.encode() + b"</request>"
    )

    text = refused(body)

    assert text == DTD_REFUSED == "DTDs and entity declarations are not allowed in a request."
    assert "root:" not in text
    assert spy_resolver == []


def test_billion_laughs_is_refused_before_expansion(spy_resolver: list[str]) -> None:
    assert refused(billion_laughs()) == DTD_REFUSED
    assert spy_resolver == []


def test_external_dtd_is_refused_and_never_loaded(tmp_path: Path, spy_resolver: list[str]) -> None:
    evil = tmp_path / "evil.dtd"
    evil.write_text("this is not a DTD <<<", encoding="utf-8")
    body = f'<!DOCTYPE request SYSTEM "{evil.as_uri()}"><request>{EXECUTE}</request>'.encode()

    assert refused(body) == DTD_REFUSED
    assert spy_resolver == []


def test_network_dtd_is_refused_without_a_connection(spy_resolver: list[str]) -> None:
    body = (
        b'<!DOCTYPE request PUBLIC "-//X//Y" "http://127.0.0.1:9/evil.dtd">'
        b"<request>" + EXECUTE.encode() + b"</request>"
    )

    assert refused(body) == DTD_REFUSED
    assert spy_resolver == []


def test_parameter_entities_are_refused_and_never_loaded(tmp_path: Path, spy_resolver: list[str]) -> None:
    evil = tmp_path / "evil.ent"
    evil.write_text('<!ENTITY leak SYSTEM "file:///etc/passwd">', encoding="utf-8")
    body = (
        f'<!DOCTYPE request [<!ENTITY % p SYSTEM "{evil.as_uri()}"> %p;]>'
        f"<request><data><x>&leak;</x></data>{EXECUTE}</request>"
    ).encode()

    assert refused(body) == DTD_REFUSED
    assert spy_resolver == []


@pytest.mark.parametrize(
    "doctype",
    [
        b"<!DOCTYPE request>",
        b'<!DOCTYPE request [<!ENTITY greeting "hello">]>',
        b"<!DOCTYPE request [ this internal subset is never read ]>",
        b'<!DOCTYPE request [<!ATTLIST request x CDATA "default">]>',
    ],
)
def test_any_doctype_is_refused(doctype: bytes) -> None:
    body = b'<?xml version="1.0"?>\n' + doctype + b"\n<request>" + EXECUTE.encode() + b"</request>"

    assert refused(body) == DTD_REFUSED


def test_doctype_in_utf16_is_refused() -> None:
    body = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request>{EXECUTE}</request>'

    assert refused(body.encode("utf-16")) == DTD_REFUSED


@pytest.mark.parametrize(
    "encoding",
    ["utf-7", "utf-16", "utf-32", "cp500"],  # a DOCTYPE whose bytes hold no "<!" read as ASCII
)
def test_doctype_in_an_encoding_not_read_as_ascii_is_refused(encoding: str) -> None:
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    body = f'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><request>{EXECUTE}</request>'
    if encoding == "utf-7":  # UTF-7 may write "<!" as "+ADwAIQ-"
        document = (declaration + body.replace("<!", "+ADwAIQ-")).encode("ascii")
        assert b"<!" not in document
    else:
        document = (declaration + body).encode(encoding)

    assert not portal_xml._no_declarations(document)
    # refused before any declaration is read: as a DOCTYPE, or as an encoding libxml2 cannot read
    assert refused(document) in (
        DTD_REFUSED,
        "The request is not well-formed XML: Unsupported encoding: detecting EBCDIC (line 1, column 1).",
    )


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        (b"<request><procedure/></request>", True),
        (b'<?xml version="1.0" encoding="UTF-8"?><request/>', True),
        (b"\xef\xbb\xbf<request/>", True),
        (b"<?xml version='1.0' encoding = 'iso-8859-1' ?><request/>", True),
        (b'<?xml version="1.0" encoding="utf-7"?><request/>', False),
        (b"<request><!-- a comment --></request>", False),
        (b"<request><![CDATA[x]]></request>", False),
        (b" <request/>", False),
        ("<request/>".encode("utf-16"), False),
    ],
)
def test_only_a_document_that_cannot_hold_a_doctype_skips_the_tripwire(body: bytes, plain: bool) -> None:
    assert portal_xml._no_declarations(body) is plain


def test_doctype_text_inside_a_comment_or_cdata_is_not_a_doctype() -> None:
    body = (
        b"<!-- <!DOCTYPE x> --><request><data><note><![CDATA[<!ENTITY x 'y'>]]></note></data>"
        + EXECUTE.encode()
        + b"</request>"
    )

    parsed = parse_request(body)

    assert parsed.data is not None
    assert element_to_value(parsed.data) == {"note": "<!ENTITY x 'y'>"}


# ------------------------------------------------------------------------------------------
# apply_transform: the four modes
# ------------------------------------------------------------------------------------------


def test_insert_without_source_path_copies_all_children_and_keeps_the_source() -> None:
    current = nodes("<data><a>1</a><b>2</b></data>", "<executeData><c>3</c></executeData>")

    apply_transform(Transform("data", None, "executeData", None, "insert"), current)

    assert tags(current["executeData"]) == ["c", "a", "b"]
    assert element_to_value(current["data"]) == {"a": "1", "b": "2"}


def test_insert_with_source_path_copies_only_the_selection() -> None:
    current = nodes("<data><a><b>1</b><b>2</b></a><c>3</c></data>")

    apply_transform(Transform("data", "a/b", "executeData", None, "insert"), current)

    assert element_to_value(current["executeData"]) == {"b": ["1", "2"]}
    assert element_to_value(current["data"]) == {"a": {"b": ["1", "2"]}, "c": "3"}


def test_insert_with_destination_path_puts_the_copy_under_that_element() -> None:
    current = nodes("<data><a>1</a></data>", "<executeData><x><y/></x></executeData>")

    apply_transform(Transform("data", "a", "executeData", "x/y", "insert"), current)

    assert element_to_value(current["executeData"]) == {"x": {"y": {"a": "1"}}}


def test_insert_copies_are_independent_of_the_source() -> None:
    current = nodes("<data><a>1</a></data>")

    apply_transform(Transform("data", "a", "executeData", None, "insert"), current)
    current["data"][0].text = "changed"

    assert element_to_value(current["executeData"]) == {"a": "1"}


def test_move_with_source_path_takes_the_element_out_of_the_source() -> None:
    current = nodes("<data><a>1</a><b>2</b></data>")

    apply_transform(Transform("data", "b", "executeData", None, "move"), current)

    assert element_to_value(current["data"]) == {"a": "1"}
    assert element_to_value(current["executeData"]) == {"b": "2"}


def test_move_without_source_path_empties_the_source() -> None:
    current = nodes("<data/>", "<executeData><a>1</a><b>2</b></executeData>")

    apply_transform(Transform("executeData", None, "data", None, "move"), current)

    assert len(current["executeData"]) == 0
    assert element_to_value(current["data"]) == {"a": "1", "b": "2"}


def test_move_with_destination_path_inside_the_same_node() -> None:
    current = nodes("<data><a>1</a><box/></data>")

    apply_transform(Transform("data", "a", "data", "box", "move"), current)

    assert element_to_value(current["data"]) == {"box": {"a": "1"}}


def test_move_into_one_of_the_moved_elements_is_refused_and_changes_nothing() -> None:
    current = nodes("<data><a><b/></a></data>")
    before = etree.tostring(current["data"])

    with pytest.raises(InvalidRequest, match="into itself"):
        apply_transform(Transform("data", "a", "data", "a/b", "move"), current)

    assert etree.tostring(current["data"]) == before


def test_move_keeps_text_that_followed_the_element_in_the_source() -> None:
    current = {"data": etree.fromstring("<data>x<a/>y<b/></data>"), "executeData": xml("<e/>")}

    apply_transform(Transform("data", "a", "executeData", None, "move"), current)

    assert etree.tostring(current["data"]) == b"<data>xy<b/></data>"
    assert etree.tostring(current["executeData"]) == b"<e><a/></e>"


def test_replace_with_source_path_removes_same_named_children_only() -> None:
    current = nodes(
        "<data><a>new</a></data>", "<executeData><a>old</a><keep>k</keep><a>old2</a></executeData>"
    )

    apply_transform(Transform("data", "a", "executeData", None, "replace"), current)

    assert tags(current["executeData"]) == ["keep", "a"]
    assert element_to_value(current["executeData"]) == {"keep": "k", "a": "new"}
    assert element_to_value(current["data"]) == {"a": "new"}


def test_replace_without_source_path_replaces_all_children() -> None:
    current = nodes("<data><a>1</a></data>", "<executeData><x/><y/>text</executeData>")

    apply_transform(Transform("data", None, "executeData", None, "replace"), current)

    assert etree.tostring(current["executeData"]) == b"<executeData><a>1</a></executeData>"


def test_replace_with_destination_path_works_on_that_element() -> None:
    current = nodes(
        "<data><a>new</a></data>",
        "<executeData><a>top</a><x><a>old</a><b>b</b></x></executeData>",
    )

    apply_transform(Transform("data", "a", "executeData", "x", "replace"), current)

    assert element_to_value(current["executeData"]) == {"a": "top", "x": {"b": "b", "a": "new"}}


def test_merge_replaces_a_same_named_child_in_place_and_appends_new_names() -> None:
    current = nodes(
        "<data><b>new</b><c>3</c></data>", "<executeData><a>1</a><b>old</b><d>4</d></executeData>"
    )

    apply_transform(Transform("data", None, "executeData", None, "merge"), current)

    assert tags(current["executeData"]) == ["a", "b", "d", "c"]
    assert element_to_value(current["executeData"]) == {"a": "1", "b": "new", "d": "4", "c": "3"}


def test_merge_with_source_path_merges_only_the_selection() -> None:
    current = nodes("<data><b>new</b><c>3</c></data>", "<executeData><b>old</b></executeData>")

    apply_transform(Transform("data", "b", "executeData", None, "merge"), current)

    assert element_to_value(current["executeData"]) == {"b": "new"}


def test_merge_recurses_into_elements_that_have_children() -> None:
    current = nodes(
        '<data><org kind="new"><name>N</name><plan>P</plan></org></data>',
        '<executeData><org kind="old" id="7"><name>old</name><dc>D</dc></org></executeData>',
    )

    apply_transform(Transform("data", "org", "executeData", None, "merge"), current)

    org = current["executeData"][0]
    assert tags(org) == ["name", "dc", "plan"]
    assert element_to_value(org) == {"@kind": "new", "@id": "7", "name": "N", "dc": "D", "plan": "P"}
    assert dict(org.attrib) == {"kind": "new", "id": "7"}


def test_merge_replaces_a_leaf_with_an_element_that_has_children() -> None:
    current = nodes("<data><a><b>1</b></a></data>", "<executeData><a>text</a></executeData>")

    apply_transform(Transform("data", None, "executeData", None, "merge"), current)

    assert element_to_value(current["executeData"]) == {"a": {"b": "1"}}


def test_merge_replaces_a_repeated_name_as_a_whole_list() -> None:
    current = nodes(
        "<data><s>x</s><s>y</s></data>",
        "<executeData><p>1</p><s>a</s><q>2</q><s>b</s><s>c</s></executeData>",
    )

    apply_transform(Transform("data", None, "executeData", None, "merge"), current)

    assert tags(current["executeData"]) == ["p", "s", "s", "q"]
    assert element_to_value(current["executeData"]) == {"p": "1", "s": ["x", "y"], "q": "2"}


def test_merge_with_destination_path_merges_into_that_element() -> None:
    current = nodes(
        "<data><orgSignup><a>old</a></orgSignup></data>",
        "<executeData><a>new</a><b>2</b></executeData>",
    )

    apply_transform(Transform("executeData", None, "data", "orgSignup", "merge"), current)

    assert element_to_value(current["data"]) == {"orgSignup": {"a": "new", "b": "2"}}


@pytest.mark.parametrize("mode", xmlio.MODES)
def test_a_source_path_that_matches_nothing_changes_nothing(mode: str) -> None:
    current = nodes("<data><a>1</a></data>", "<executeData><b>2</b></executeData>")
    data_before = etree.tostring(current["data"])
    execute_before = etree.tostring(current["executeData"])

    apply_transform(Transform("data", "GUID", "executeData", None, mode), current)

    assert etree.tostring(current["data"]) == data_before
    assert etree.tostring(current["executeData"]) == execute_before


@pytest.mark.parametrize("mode", xmlio.MODES)
def test_a_destination_path_that_selects_nothing_is_refused(mode: str) -> None:
    current = nodes("<data><a>1</a></data>")

    with pytest.raises(InvalidRequest, match='destinationPath="missing"'):
        apply_transform(Transform("data", "a", "executeData", "missing", mode), current)

    assert element_to_value(current["data"]) == {"a": "1"}


def test_only_elements_move_not_text_or_attributes() -> None:
    current = nodes('<data><a x="1">text</a></data>')

    apply_transform(Transform("data", "a/text()", "executeData", None, "insert"), current)
    apply_transform(Transform("data", "a/@x", "executeData", None, "move"), current)

    assert len(current["executeData"]) == 0
    assert element_to_value(current["data"]) == {"a": "text"}


def test_moved_elements_carry_no_whitespace_from_the_source() -> None:
    current = {
        "data": etree.fromstring("<data>\n  <a>1</a>\n  <b>2</b>\n</data>"),
        "executeData": etree.Element("executeData"),
    }

    apply_transform(Transform("data", None, "executeData", None, "move"), current)

    assert etree.tostring(current["executeData"]) == b"<executeData><a>1</a><b>2</b></executeData>"


def test_a_nested_selection_moves_the_outermost_element_once() -> None:
    current = nodes("<data><a><a>inner</a></a></data>")

    apply_transform(Transform("data", "//a", "executeData", None, "move"), current)

    assert etree.tostring(current["executeData"]) == (b"<executeData><a><a>inner</a></a></executeData>")


def test_paths_cannot_reach_outside_their_own_node(unsubscribe_request_2: bytes) -> None:
    parsed = parse_request(unsubscribe_request_2)
    assert parsed.data is not None
    current = {"data": parsed.data, "executeData": parsed.executes[0].execute_data}

    for path in ("..", "/", "/request/procedure", "."):
        apply_transform(Transform("data", path, "executeData", None, "insert"), current)

    assert len(current["executeData"]) == 0
    with pytest.raises(InvalidRequest, match="selects no element"):
        apply_transform(Transform("data", "GUID", "executeData", "..", "insert"), current)


def test_several_before_steps_run_in_order() -> None:
    body = (
        b"<request><data><first>1</first><second>2</second></data><procedure>"
        b'<execute namespace="N" procedure="P">'
        b'<before source="data" sourcePath="second" destination="executeData" mode="move"/>'
        b'<before source="data" sourcePath="first" destination="executeData" mode="move"/>'
        b'<before source="data" sourcePath="first" destination="executeData" mode="insert"/>'
        b'<before source="executeData" sourcePath="second" destination="executeData" '
        b'destinationPath="first" mode="move"/>'
        b"</execute></procedure></request>"
    )

    _, data, seen = run_request(body)

    # second moved first, then first; the insert of first finds nothing left in data; the last
    # step moves second into first, which only exists because the earlier steps ran before it.
    assert seen == [{"first": {"second": "2"}}]
    assert len(data) == 0


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("a[[", "not a valid XPath"),
        ("count(a)", "must select elements"),
        ("string(a)", "must select elements"),
        ("document('file:///etc/passwd')", "not a valid XPath"),
        ("exsl:node-set(a)", "not a valid XPath"),
        ("$var", "not a valid XPath"),
    ],
)
def test_apply_refuses_a_bad_source_path_and_names_it(path: str, words: str) -> None:
    current = nodes("<data><a>1</a></data>")

    with pytest.raises(InvalidRequest) as info:
        apply_transform(Transform("data", path, "executeData", None, "insert"), current)

    assert f'sourcePath="{path}"' in info.value.text
    assert words in info.value.text


def test_apply_refuses_an_unknown_mode_or_node() -> None:
    current = nodes()

    with pytest.raises(InvalidRequest):
        apply_transform(Transform("data", None, "executeData", None, "copy"), current)
    with pytest.raises(InvalidRequest):
        apply_transform(Transform("procedureData", None, "executeData", None, "insert"), current)


# ------------------------------------------------------------------------------------------
# element_to_value / value_to_elements
# ------------------------------------------------------------------------------------------


def test_element_to_value_strips_leaf_text_and_gives_empty_string_for_empty() -> None:
    assert element_to_value(etree.fromstring("<a>\n  x y \n</a>")) == "x y"
    assert element_to_value(etree.fromstring("<a/>")) == ""
    assert element_to_value(etree.fromstring("<a>   </a>")) == ""


def test_element_to_value_nests_and_lists_repeated_names_in_document_order() -> None:
    element = etree.fromstring("<d><s>1</s><o><n>N</n><p>A</p><p>B</p></o><s>2</s><s><t>3</t></s></d>")

    assert element_to_value(element) == {
        "s": ["1", "2", {"t": "3"}],
        "o": {"n": "N", "p": ["A", "B"]},
    }


def test_element_to_value_ignores_comments_pis_the_attributes_of_text_and_namespaces() -> None:
    element = etree.fromstring(
        '<d xmlns:x="urn:x" a="1"><x:k b="2">v<!-- c -->w<?pi z?></x:k><!-- top --></d>'
    )

    assert element_to_value(element) == {"@a": "1", "k": "vw"}


def test_element_to_value_keeps_the_attributes_of_structures_and_empty_elements() -> None:
    element = etree.fromstring(
        '<executeData><properties><property name="otherHomePhone"><value>1</value><value>2</value>'
        '</property></properties><mailStore algorithm="level"/>'
        '<newPassword do-not-log="1">x</newPassword><e do-not-log="1"/></executeData>'
    )

    assert element_to_value(element) == {
        "properties": {"property": {"@name": "otherHomePhone", "value": ["1", "2"]}},
        "mailStore": {"@algorithm": "level"},
        "newPassword": "x",
        "e": "",
    }
    rebuilt = etree.Element("executeData")
    value_to_elements(rebuilt, element_to_value(element))
    assert element_to_value(rebuilt) == element_to_value(element)


def test_value_to_elements_writes_scalars_none_dicts_and_lists_in_order() -> None:
    parent = etree.Element("executeData")

    value_to_elements(
        parent,
        {
            "name": "Alpine",
            "count": 3,
            "price": Decimal("12.50"),
            "on": True,
            "off": False,
            "empty": None,
            "org": {"dc": "AD01", "plans": ["A", {"p": "B"}]},
            "item": ["x", "y"],
        },
    )

    assert etree.tostring(parent) == (
        b"<executeData><name>Alpine</name><count>3</count><price>12.50</price><on>1</on>"
        b"<off>0</off><empty/><org><dc>AD01</dc><plans>A</plans><plans><p>B</p></plans></org>"
        b"<item>x</item><item>y</item></executeData>"
    )


@pytest.mark.parametrize("value", [1.5, object(), [["nested"]], {1, 2}])
def test_value_to_elements_refuses_values_it_cannot_write(value: object) -> None:
    with pytest.raises(TypeError):
        value_to_elements(etree.Element("e"), {"k": value})


def test_value_to_elements_refuses_a_key_that_is_not_an_xml_name() -> None:
    with pytest.raises(ValueError):
        value_to_elements(etree.Element("e"), {"not a name": "x"})


_TEXT = st.text(
    alphabet=st.characters(max_codepoint=0xD7FF, exclude_categories=("Cc", "Cs"))
    | st.sampled_from(" \t\r\n<>&\"'"),
    max_size=6,
)
_TAGS = st.sampled_from(["a", "b", "GUID", "{urn:x}a", "{urn:y}c"])


@st.composite
def xml_elements(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    element = etree.Element(draw(_TAGS))
    element.text = draw(st.none() | _TEXT)
    if draw(st.booleans()):
        element.set("attr", draw(_TEXT))
    for _ in range(draw(st.integers(0, 4 if depth < 3 else 0))):
        kind = draw(st.sampled_from(["element", "element", "comment", "pi"]))
        if kind == "element":
            child = draw(xml_elements(depth + 1))
        elif kind == "comment":
            child = etree.Comment(draw(st.sampled_from(["", " note ", "x"])))
        else:
            child = etree.ProcessingInstruction("pi", "data")
        child.tail = draw(st.none() | _TEXT)
        element.append(child)
    return element


def build(value: dict | str) -> etree._Element:
    element = etree.Element("root")
    if isinstance(value, dict):
        value_to_elements(element, value)
    else:
        element.text = value
    return element


@settings(max_examples=300, deadline=None)
@given(xml_elements())
def test_value_round_trip_through_elements_is_stable(element: etree._Element) -> None:
    value = element_to_value(element)

    assert element_to_value(build(value)) == value


@settings(max_examples=100, deadline=None)
@given(xml_elements())
def test_rendered_response_reads_back_to_the_same_value(element: etree._Element) -> None:
    data = etree.Element("data")
    data.append(element)

    rendered = render_response(data)

    assert element_to_value(etree.fromstring(rendered)[0]) == element_to_value(data)


# ------------------------------------------------------------------------------------------
# render_response / render_error
# ------------------------------------------------------------------------------------------


def test_render_response_has_the_declaration_and_utf8_and_leaves_data_alone() -> None:
    data = xml("<data><name>Åsa &amp; Co</name></data>")
    before = etree.tostring(data)

    rendered = render_response(data)

    assert rendered.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<response>')
    assert "Åsa &amp; Co".encode() in rendered
    assert etree.tostring(data) == before


def error_context(rendered: bytes) -> etree._Element:
    root = etree.fromstring(rendered)
    assert root.tag == "response"
    (context,) = root
    assert context.tag == "errorContext"
    return context


def test_render_error_shape_code_description_and_sources_in_order() -> None:
    rendered = render_error(
        0x80070057,
        "You must supply either a <GUID> or <organization> element.",
        [("Hosted Email 2007", "Unsubscribe"), ("Managed Hosting", "GetOrgType")],
    )

    assert rendered.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<response>')
    root = error_context(rendered)
    assert root.get("code") == "0x80070057"
    assert root.get("description") == "You must supply either a <GUID> or <organization> element."
    assert root.get("executeSeqNo") is None
    assert [child.tag for child in root] == ["errorSource", "errorSource"]
    assert [(s.get("namespace"), s.get("procedure")) for s in root.iter("errorSource")] == [
        ("Hosted Email 2007", "Unsubscribe"),
        ("Managed Hosting", "GetOrgType"),
    ]


def test_render_error_with_its_execute_number_and_one_error_description() -> None:
    root = error_context(
        render_error(
            0x80070057,
            "x",
            [("Hosted Email 2007", "Subscribe")],
            execute_seq_no=2,
            error_description={"error": "InvalidArgument", "argument": "planName"},
        )
    )

    assert root.get("executeSeqNo") == "2"
    assert [child.tag for child in root] == ["errorDescription", "errorSource"]
    assert element_to_value(root.find("errorDescription")) == {
        "error": "InvalidArgument",
        "argument": "planName",
    }


def test_render_error_of_the_request_names_the_request_as_its_source() -> None:
    root = error_context(render_error(0x8004100E, "The request has no <procedure> element.", []))

    assert [(s.get("namespace"), s.get("procedure")) for s in root.iter("errorSource")] == [
        ("Provisioning Schema", "request")
    ]


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        (0x8004100E, "0x8004100E"),
        (0x5, "0x00000005"),
        (0, "0x00000000"),
        (0xFFFFFFFF, "0xFFFFFFFF"),
        (-2147024809, "0x80070057"),
    ],
)
def test_render_error_prints_the_code_as_eight_upper_case_hex_digits(code: int, shown: str) -> None:
    assert error_context(render_error(code, "x", [])).get("code") == shown


def test_render_error_refuses_a_code_wider_than_32_bits() -> None:
    with pytest.raises(ValueError):
        render_error(2**32, "x", [])


def test_render_error_escapes_everything() -> None:
    nasty = "a < b & \"c\" 'd' ]]> </errorContext><x/>"

    root = error_context(
        render_error(0x80004005, nasty, [(nasty, nasty)], error_description={"error": nasty})
    )

    assert root.get("description") == nasty
    assert root.find("errorDescription").findtext("error") == nasty
    [source] = root.iter("errorSource")
    assert (source.get("namespace"), source.get("procedure")) == (nasty, nasty)
    assert len(root) == 2


def test_render_error_replaces_characters_xml_cannot_carry() -> None:
    root = error_context(render_error(0x80004005, "bad\x00byte\x1b", []))

    assert root.get("description") == "bad\ufffdbyte\ufffd"


def test_render_error_of_a_portal_error_shows_its_hex_code() -> None:
    error = InvalidArgument("Neither GUID nor organization.")
    error.sources.extend([("Hosted Email 2007", "Unsubscribe")])

    root = error_context(render_error(error.code, error.text, error.sources))

    assert root.get("code") == error.hex_code
    assert root.get("description") == "Neither GUID nor organization."


def test_the_parsers_kept_per_thread_refuse_and_read_alike_one_document_after_another(
    spy_resolver: list[str],
) -> None:
    good = f"<request>{EXECUTE}</request>".encode()
    for _ in range(3):
        assert refused(billion_laughs()) == DTD_REFUSED
        assert "not well-formed XML" in refused(b"<request><procedure></request>")
        assert [step.procedure for step in parse_request(good).executes] == ["P"]
        assert refused(b"<!DOCTYPE request>" + good) == DTD_REFUSED
    assert spy_resolver == []
