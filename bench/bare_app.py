"""The baseline for bench/webhooks.py: a bare Flask app that answers every webhook at once.

No signature check, no form parsing, no flow, no database: each POST under /voice/
gets the same TwiML menu (a Gather whose action is another /voice/ URL, about the size
of the real server's answers), so the benchmark's simulated callers run exactly the
same loop against it as against ``ivr``. Served by gunicorn as ``bench.bare_app:app``.
"""

from __future__ import annotations

from flask import Flask, Response

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/voice/input/info_menu?stack=main_menu&amp;n=1&amp;t=0" '
    'actionOnEmptyResult="false" finishOnKey="" input="dtmf" method="POST" '
    'numDigits="1" timeout="6">'
    '<Say language="cmn-CN" voice="Polly.Zhiyu">'
    "养老保险请按1，医疗保险请按2，失业保险请按3，工伤保险请按4，生育保险请按5，"
    "劳动合同请按6，工资支付请按7，社会保障卡请按8，返回上一级菜单请按星号键。</Say>"
    "</Gather>"
    '<Redirect method="POST">/voice/node/info_menu?stack=main_menu&amp;n=1&amp;t=1</Redirect>'
    "</Response>"
)

app = Flask(__name__)


@app.post("/voice/<path:_anything>")
def webhook(_anything: str) -> Response:
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok", mimetype="text/plain")
