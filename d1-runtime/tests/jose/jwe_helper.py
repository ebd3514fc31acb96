#!/usr/bin/env python3
"""Independent JOSE peer for the d1-tests crate: Python `jwcrypto`, nobody here wrote it.

The Rust tests (tests/jwe_interop.rs) run this script with a JSON job on stdin:

    {"ops": [ {"op": "...", ...}, ... ]}

and read {"results": [...]} on stdout, one result per op, each {"ok": true, ...} or
{"ok": false, "error": "..."}. Keys are exchanged as files (JWK or PEM) in a directory the
test owns. Ops:

  check                                   -> {"jwcrypto": version}
  genkey   {dir, kid, crv="P-256"|"P-384", kty="EC"|"RSA"}
           writes dir/{private_pkcs8.pem, private_sec1.pem, private.jwk, public.jwk, public.pem}
  encrypt  {public_jwk_file, plaintext, alg="ECDH-ES", enc="A256GCM", kid?, apu?, apv?}
           -> {"jwe": compact}
  decrypt  {key_file, jwe}                 key_file: PEM (PKCS#8 or SEC1) or JWK
           -> {"plaintext": str, "header": {...}}  (only ECDH-ES + A256GCM allowed)

Install: pip install 'jwcrypto>=1.5.6'
"""
import json
import os
import sys

try:
    import jwcrypto
    from jwcrypto import jwe, jwk
    from jwcrypto.common import json_encode
except ImportError as e:  # pragma: no cover - reported to the Rust test
    print(json.dumps({"fatal": "jwcrypto is not installed (%s): pip install 'jwcrypto>=1.5.6'" % e}))
    sys.exit(3)

from cryptography.hazmat.primitives import serialization


def _version():
    try:
        from importlib.metadata import version

        return version("jwcrypto")
    except Exception:  # noqa: BLE001
        return getattr(jwcrypto, "__version__", "unknown")


def op_check(_):
    return {"jwcrypto": _version()}


def op_genkey(op):
    d = op["dir"]
    kty = op.get("kty", "EC")
    if kty == "EC":
        key = jwk.JWK.generate(kty="EC", crv=op.get("crv", "P-256"), kid=op["kid"])
    else:
        key = jwk.JWK.generate(kty="RSA", size=2048, kid=op["kid"])
    priv = key.get_op_key("unwrapKey")
    files = {
        "private.jwk": key.export_private(),
        "public.jwk": key.export_public(),
        "public.pem": key.export_to_pem().decode(),
        "private_pkcs8.pem": priv.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }
    if kty == "EC":
        files["private_sec1.pem"] = priv.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
    for name, text in files.items():
        with open(os.path.join(d, name), "w", encoding="ascii") as f:
            f.write(text)
    return {"files": sorted(files)}


def op_encrypt(op):
    with open(op["public_jwk_file"], encoding="utf-8") as f:
        key = jwk.JWK.from_json(f.read())
    header = {"alg": op.get("alg", "ECDH-ES"), "enc": op.get("enc", "A256GCM")}
    for member in ("kid", "apu", "apv"):
        if op.get(member) is not None:
            header[member] = op[member]
    token = jwe.JWE(
        op["plaintext"].encode("utf-8"),
        protected=json_encode(header),
        algs=[header["alg"], header["enc"]],
    )
    token.add_recipient(key)
    return {"jwe": token.serialize(compact=True)}


def _load_private(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.lstrip().startswith(b"{"):
        return jwk.JWK.from_json(data.decode("utf-8"))
    return jwk.JWK.from_pem(data)


def op_decrypt(op):
    key = _load_private(op["key_file"])
    token = jwe.JWE(algs=["ECDH-ES", "A256GCM"])
    token.deserialize(op["jwe"], key=key)
    return {
        "plaintext": token.payload.decode("utf-8"),
        "header": json.loads(token.objects["protected"]),
    }


OPS = {"check": op_check, "genkey": op_genkey, "encrypt": op_encrypt, "decrypt": op_decrypt}


def main():
    job = json.load(sys.stdin)
    results = []
    for op in job["ops"]:
        try:
            out = OPS[op["op"]](op)
            out["ok"] = True
        except Exception as e:  # noqa: BLE001 - every failure is reported to the test
            out = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        results.append(out)
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
