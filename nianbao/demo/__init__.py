"""The bundled demo portals (loopback HTTP) and the portal templates they are built from."""

from nianbao.demo.portal import DEMO_AS_OF, DEMO_CRAWL_OVERRIDES, DemoPortal, demo_sites, expected_demo_reports

__all__ = ["DEMO_AS_OF", "DEMO_CRAWL_OVERRIDES", "DemoPortal", "demo_sites", "expected_demo_reports"]
