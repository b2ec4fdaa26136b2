from html.parser import HTMLParser

import pytest

from incidents.markdown import render_markdown

# Each payload tries one way of getting script, style or a dangerous URL through.
PAYLOADS = [
    "<script>window.__xss=1</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="window.__xss=1">',
    '<svg onload="window.__xss=1"><circle r=1 /></svg>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<form action="javascript:window.__xss=1"><button>go</button></form>',
    '<a href="javascript:window.__xss=1">x</a>',
    '<a href="JaVaScRiPt:window.__xss=1">x</a>',
    '<a href="&#106;avascript:window.__xss=1">x</a>',
    '<a href="java&#x09;script:window.__xss=1">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[x](javascript:window.__xss=1)",
    "[x](JAVASCRIPT:window.__xss=1)",
    "![x](javascript:window.__xss=1)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<div style="background:url(javascript:window.__xss=1)">s</div>',
    "<style>body{display:none}</style>",
    '<p style="position:fixed;top:0">overlay</p>',
    "<<script>script>window.__xss=1<</script>/script>",
    '<img src="x" """ onerror="window.__xss=1">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    '<object data="javascript:window.__xss=1"></object>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=1">',
    '<base href="javascript:/">',
    '<details open ontoggle="window.__xss=1">',
    '<a href="#" onclick="window.__xss=1">click</a>',
    '<input autofocus onfocus="window.__xss=1">',
    "```\n</code></pre><script>window.__xss=1</script>\n```",
    '<h2 id="id_body" class="messages">clobber</h2>',
]


ALLOWED_SCHEMES = ("http:", "https:", "mailto:")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    collector = _Collector()
    collector.feed(html)
    return collector.elements


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_rendering(payload):
    html = render_markdown(payload)

    for tag, attrs in elements(html):
        assert tag not in {"script", "style", "iframe", "form", "svg", "object",
                           "meta", "base", "input", "math", "button"}, html  # fmt: skip
        assert not any(name.startswith("on") for name in attrs), html
        assert "style" not in attrs, html
        assert attrs.get("id", "pm-").startswith("pm-"), html
        assert attrs.get("class", "language-").startswith("language-"), html
        for name in ("href", "src", "action", "data"):
            url = attrs.get(name)
            if url is not None and ":" in url.split("/")[0]:
                assert url.lower().startswith(ALLOWED_SCHEMES), html


def test_tables_fenced_code_and_heading_ids_render():
    html = render_markdown(
        "## Zeitplan für Ö\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nx<1\n```"
    )

    assert '<h2 id="pm-zeitplan-für-ö">Zeitplan für Ö</h2>' in html
    assert '<th align="left">a</th>' in html
    assert '<td align="right">2</td>' in html
    assert '<code class="language-python">x&lt;1\n</code>' in html


def test_links_keep_safe_schemes_and_get_rel():
    html = render_markdown("[a](https://example.com) [m](mailto:a@example.com)")

    assert (
        '<a href="https://example.com" rel="noopener noreferrer nofollow">a</a>' in html
    )
    assert 'href="mailto:a@example.com"' in html


def test_a_class_other_than_a_language_is_dropped():
    html = render_markdown('<code class="language-py messages">x</code>')

    assert html == "<p><code>x</code></p>"


def test_remote_images_send_no_referrer():
    html = render_markdown("![chart](https://grafana.example/render.png)")

    assert html == (
        '<p><img alt="chart" src="https://grafana.example/render.png" '
        'referrerpolicy="no-referrer"></p>'
    )
