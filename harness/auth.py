"""The XSMP keys of the test fabric (docs/security.md): every host port gets a key derived
from its GUID, the director's configuration holds it, and xscore's keyring gets it each time
xscore is loaded, so every VM test runs with the session proofs on."""

from __future__ import annotations

import hashlib
import json

from harness.director import DIRECTOR_CONFIG, node_guid
from harness.fabric import RXE_DEVICE
from harness.vm import Guest

KEYRING = "%:.xscore"


def test_key(guid: str) -> str:
    """The test fabric's key for the host port `guid` (16 hex digits), as hex. Derived, not
    secret: a test fabric has no secrets."""
    return hashlib.sha256(f"xsigo-linux test fabric {guid}".encode()).hexdigest()


def key_description(guid: str) -> str:
    return f"xsigo:{guid}"


def load_key(host: Guest, guid: str, key_hex: str) -> None:
    """Put `key_hex` into xscore's keyring as the key of port `guid` (xscore is loaded)."""
    host.console.run(
        f"printf %s {key_hex} | python3 -c 'import sys; sys.stdout.buffer.write("
        f"bytes.fromhex(sys.stdin.read()))' | keyctl padd logon {key_description(guid)}"
        f" {KEYRING} > /dev/null"
    )


def load_host_key(host: Guest) -> None:
    """Give a host's xscore its test key, when the host has an RDMA device (just loaded)."""
    if not host.console.run(f"test -e /sys/class/infiniband/{RXE_DEVICE}", check=False).ok:
        return
    guid = node_guid(host)
    load_key(host, guid, test_key(guid))


def provision_director(director: Guest, host: Guest) -> None:
    """Put the host's test key into the director's configuration (made if absent)."""
    guid = node_guid(host)
    keys = json.dumps({guid: test_key(guid)})
    script = (
        "import json, os, sys; p = sys.argv[1]; "
        "d = json.load(open(p)) if os.path.exists(p) else {}; "
        "d.setdefault('host_keys', {}).update(json.loads(sys.argv[2])); "
        "json.dump(d, open(p, 'w'), indent=1)"
    )
    director.console.run(f"python3 -c \"{script}\" {DIRECTOR_CONFIG} '{keys}'")
