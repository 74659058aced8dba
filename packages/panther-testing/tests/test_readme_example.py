from panther import Panther
from panther.app import API


@API()
async def hello():
    return {"hello": "world"}


app = Panther(__name__, configs={}, urls={"hello/": hello})


async def test_hello(api_client):
    response = await api_client.get("/hello/")
    assert response.status_code == 200 and response.data == {"hello": "world"}
