"""What a flow asks of the telephony platform that the configured profile cannot give.

``ivr flows check`` prints these. For Somleng: every prompt spoken with
``<Say>`` (Somleng's built-in voice speaks English only; a ``Polly.*`` voice
goes to AWS Polly, which needs the operator's AWS account), and what node
types report through :meth:`~ivr.flows.types.NodeType.platform_notes`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ivr.flows import FlowBundle
from ivr.flows.loader import FLOW_FILE
from ivr.voice.profiles import Profile


@dataclass(frozen=True)
class Finding:
    where: str  # file:line, or file: node
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def findings(bundle: FlowBundle, profile: Profile) -> list[Finding]:
    if profile.name == "twilio":  # Twilio runs all of TwiML and speaks every locale
        return []
    out: list[Finding] = []
    for locale, voice in bundle.prompts.voices.items():
        name = voice.get("voice", "")
        if name.startswith("Polly."):
            instead = (
                "or no voice: Somleng's own speaks English"
                if english(locale)
                else "without it give each prompt audio"
            )
            out.append(
                Finding(
                    f"{FLOW_FILE}: voices",
                    f"{locale} speaks with {name}: on {profile.name} that needs AWS Polly "
                    f"(the operator's AWS account); {instead}",
                )
            )
    for locale, prompts in bundle.prompts.by_locale.items():
        if english(locale):  # Somleng's built-in voice can say these
            continue
        for prompt_id, prompt in prompts.items():
            if prompt.play:
                continue
            fields = sorted({f for _, f, _, _ in string.Formatter().parse(prompt.text) if f})
            variables = bundle.prompts.variables.get(locale, {})
            runtime = [f for f in fields if f not in variables]
            how = (
                f"has values known only during the call ({', '.join(runtime)}): Say with Polly, "
                "or recorded pieces"
                if runtime
                else f"no audio: record or render audio/{locale}/{prompt_id}.wav and set "
                f"{{play: {locale}/{prompt_id}.wav}}"
            )
            out.append(Finding(f"prompts/{locale}.yaml:{prompt.line}", f"{prompt_id}: {how}"))
    for node in bundle.nodes.values():
        node_type = bundle.node_types.get(node.type)
        if node_type is None:
            continue
        for note in node_type.platform_notes(node, profile.platform):
            out.append(Finding(f"{FLOW_FILE}: node {node.id}", note))
    return out


def english(locale: str) -> bool:
    return locale.split("-")[0].lower() == "en"
