"""Browser tests. A package, so that the package-scoped Playwright fixture ends with them and
its running event loop does not leak into the async tests that run later."""
