"""The Model Context Protocol entrypoint: AI agents as clients, over the same use cases as the REST
API, for the same owner a bearer token names. `tools` holds the tools, `http` serves them at /mcp
in the app, `stdio` behind `tasks mcp`."""
