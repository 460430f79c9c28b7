import os
from fastapi import FastAPI, HTTPException, Request
from hookwire import WebhookVerificationError, verify

app = FastAPI()

@app.post("/webhooks/hookwire", status_code=204)
async def receive(request: Request) -> None:
    try:
        event = verify(await request.body(), request.headers, os.environ["HOOKWIRE_WEBHOOK_SECRET"])
    except WebhookVerificationError as error:
        raise HTTPException(400, str(error))
    print(event["type"], event["data"])
