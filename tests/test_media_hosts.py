"""IVR_MEDIA_HOSTS: which hosts and ports recordings are fetched from, and what counts as audio."""

from __future__ import annotations

import pytest

from ivr.download import DownloadError
from ivr.recordings.media import MediaRefused, check_audio, check_url
from ivr.settings import SettingsError, load_settings

REC = "/2010-04-01/Accounts/AC1/Recordings/RE1"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(20)


def hosts(value: str):
    environ = {"IVR_ENV_FILE": "/nonexistent", "TWILIO_AUTH_TOKEN": "t", "SECRET_KEY": "s"}
    return load_settings({**environ, "IVR_MEDIA_HOSTS": value}).media_hosts


@pytest.mark.parametrize(
    ("listed", "url"),
    [
        ("api.twilio.com", f"https://api.twilio.com{REC}"),
        ("api.twilio.com", f"https://API.twilio.com:443{REC}"),
        ("storage.example.com:9000", "https://storage.example.com:9000/rec/RE1"),
        ("127.0.0.1", f"http://127.0.0.1:8123{REC}"),  # loopback: any port
        ("localhost", f"http://localhost:1{REC}"),
        ("::1", f"http://[::1]:5000{REC}"),
        ("[::1]:5000", f"http://[0:0:0:0:0:0:0:1]:5000{REC}"),
        ("127.0.0.1:8000", f"http://127.0.0.1:8000{REC}"),
    ],
)
def test_allowed(listed: str, url: str) -> None:
    assert check_url(url, hosts(listed)) in (url, url + ".wav")


@pytest.mark.parametrize(
    ("listed", "url", "reason"),
    [
        ("api.twilio.com", f"https://api.twilio.com:8443{REC}", "api.twilio.com:8443 is not in"),
        ("api.twilio.com", f"https://api.twilio.com:0{REC}", "api.twilio.com:0 is not in"),
        ("storage.example.com:9000", "https://storage.example.com/rec", ":443 is not in"),
        ("127.0.0.1:8000", f"http://127.0.0.1:8001{REC}", "127.0.0.1:8001 is not in"),
        ("api.twilio.com", f"http://api.twilio.com{REC}", "scheme 'http'"),
        ("api.twilio.com", f"https://api.twilio.com.evil.com{REC}", "is not in"),
        ("api.twilio.com", f"https://api.twilio.com:x{REC}", "no valid port"),
        ("api.twilio.com", f"https://AC1:t@api.twilio.com{REC}", "credentials"),
    ],
)
def test_refused(listed: str, url: str, reason: str) -> None:
    with pytest.raises(MediaRefused, match=reason):
        check_url(url, hosts(listed))


def test_entries_are_read_with_their_ports() -> None:
    listed = hosts("api.twilio.com, S3.example.com:9000,127.0.0.1,[::1]:8000")
    assert [str(entry) for entry in listed] == [
        "api.twilio.com:443",
        "s3.example.com:9000",
        "127.0.0.1",
        "[::1]:8000",
    ]


@pytest.mark.parametrize(
    "value",
    [
        "api.twilio.com:0",
        "api.twilio.com:70000",
        "api.twilio.com:https",
        "https://api.twilio.com",
        "api.twilio.com/2010-04-01",
        "api twilio.com",
        "api.twilio.com,,127.0.0.1",
        "api.twilio.com\nevil.com",
        "api.twilio.com:443:1",
        "api.twilio.com:\u0664\u0664\u0663",  # Arabic-Indic digits are not a port
        "[::1",
        "[::1]:x",
        "[localhost]",
        "-bad-.example.com",
    ],
)
def test_a_malformed_entry_stops_the_start_naming_the_variable(value: str) -> None:
    with pytest.raises(SettingsError, match="IVR_MEDIA_HOSTS=.* is invalid"):
        hosts(value)


@pytest.mark.parametrize(
    ("content_type", "head"),
    [
        ("audio/x-wav", WAV),
        ("audio/wav; charset=binary", WAV),
        ("application/octet-stream", WAV),  # object storage often does not know
        ("binary/octet-stream", b"OggS\x00\x02" + bytes(20)),
        ("", b"ID3\x04\x00" + bytes(20)),
        ("audio/mpeg", b"\xff\xfb\x90\x64" + bytes(20)),  # an MPEG-1 layer III frame
    ],
)
def test_audio_is_known_by_its_first_bytes(content_type: str, head: bytes) -> None:
    check_audio(content_type, head)


@pytest.mark.parametrize(
    ("content_type", "head", "reason"),
    [
        ("audio/x-wav", b"", "empty"),
        ("text/html; charset=utf-8", b"<html><body>Sign in</body></html>", "served as text/html"),
        ("application/xml", WAV, "served as application/xml"),
        ("audio/x-wav", b'{"code": 20404, "message": "not found"}', "not WAV, MP3 or Ogg"),
        ("application/octet-stream", b"PK\x03\x04" + bytes(20), "not WAV, MP3 or Ogg"),
        ("audio/aac", b"\xff\xf1\x50\x80" + bytes(20), "not WAV, MP3 or Ogg"),  # ADTS, not MP3
    ],
)
def test_what_is_not_audio_is_a_failed_download(
    content_type: str, head: bytes, reason: str
) -> None:
    with pytest.raises(DownloadError, match=reason):
        check_audio(content_type, head)
