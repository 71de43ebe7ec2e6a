"""Which service answers which path, and what a viewer may send."""

import pytest

from gateway.domain.routing import resolve, viewer_may_send


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/assemblies", "assemblies"),
        ("/service-areas", "assemblies"),
        ("/locations/7", "assemblies"),
        ("/organization", "assemblies"),
        ("/batches/1/letters/mark-mailed", "batches"),
        ("/auto-runs", "batches"),
        ("/communications/errors", "batches"),
        ("/communication-types", "generator"),
        ("/templates/3/preview", "generator"),
        ("/documents/abc.def", "documents"),
    ],
)
def test_each_resource_belongs_to_one_service(path, service):
    assert resolve("GET", path).service == service


@pytest.mark.parametrize(
    "path",
    ["/internal/members", "/batches/../internal", "/batches//x", "/batchesx", "/documents", "/unknown", "/batches/%2e"],
)
def test_internal_unknown_and_odd_paths_have_no_route(path):
    assert resolve("GET", path) is None


def test_only_reading_a_document_link_needs_no_login():
    assert resolve("GET", "/documents/tok").public
    assert not resolve("POST", "/documents/tok").public
    assert not resolve("GET", "/batches").public


def test_a_viewer_may_read_and_preview_but_not_change():
    assert viewer_may_send("GET", resolve("GET", "/batches/1"))
    assert viewer_may_send("POST", resolve("POST", "/templates/1/preview"))
    assert not viewer_may_send("POST", resolve("POST", "/batches/1/generate"))
    assert not viewer_may_send("PUT", resolve("PUT", "/templates/1"))
    assert not viewer_may_send("POST", resolve("POST", "/templates/1/publish"))
