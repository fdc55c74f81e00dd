"""check_memo never raises, whatever it is given."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.checking import ELEMENTS, check_memo

_TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<b>",
        "</b>",
        "<br>",
        "<ul><li>",
        "</li></ul>",
        "<table><tr><td>",
        "<blockquote>",
        "</blockquote>",
        "<div style='display:none'>",
        "</div>",
        "&amp;",
        "&#x",
        "Goals:",
        "TBD",
        "On Mon wrote:",
        "> ",
        "-- \n",
        "\n",
    ]
)
_HTMLISH = st.lists(st.one_of(_TAGS, st.text(max_size=30)), max_size=60).map("".join)


@settings(max_examples=150, deadline=None)
@given(body=st.text(max_size=2000), subject=st.text(max_size=50))
def test_text_never_raises(body: str, subject: str) -> None:
    checklist = check_memo(body, "text", subject)
    assert set(checklist.elements) == set(ELEMENTS)


@settings(max_examples=150, deadline=None)
@given(body=_HTMLISH)
def test_html_never_raises(body: str) -> None:
    checklist = check_memo(body, "html")
    assert set(checklist.to_dict()["elements"]) == set(ELEMENTS)
