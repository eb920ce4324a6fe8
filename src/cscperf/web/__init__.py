"""The web dashboard served by ``cscperf serve``: server-rendered, accessible pages."""
