"""A raw ASGI app (no framework): what uvicorn itself costs to write header lines.

GET /json           the message with its content type and length
GET /json/headers   the same plus the three ``X-RateLimit-*`` lines a throttle sends

The difference between the two is uvicorn's own work for three header lines (it checks each name and value against
a regular expression, lower-cases the name and copies it), which no framework can save.
"""

BODY = b'{"message":"Hello, World!"}'
PLAIN = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
LIMITS = [
    (b"x-ratelimit-limit", b"1000000000"),
    (b"x-ratelimit-remaining", b"999999999"),
    (b"x-ratelimit-reset", b"1800000000"),
]
HEADERS = {"/json": PLAIN, "/json/headers": PLAIN + LIMITS}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    headers = HEADERS.get(scope["path"])
    if headers is None:
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def build():
    return app
