"""The web layer: the FastAPI app, the websocket and its connection tasks, runs and security."""
