#!/usr/bin/env python3
"""cosign's encrypted private-key format, implemented independently of chainproof (hashlib's scrypt,
PyNaCl's secretbox, pyca/cryptography's PKCS#8), as go-securesystemslib's `encrypted` package and
cosign's `keys.go` define it:

  PEM "ENCRYPTED SIGSTORE PRIVATE KEY" around JSON
  {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": b64},
   "cipher": {"name": "nacl/secretbox", "nonce": b64}, "ciphertext": b64}
  ciphertext = secretbox(PKCS#8 DER, key = scrypt(password, salt, N, r, p, 32), nonce)

  cosign_key.py check KEY PUB      decrypts KEY (password: $PASSWORD), checks it matches PUB, signs
  cosign_key.py generate PREFIX    writes PREFIX.key / PREFIX.pub (password: $PASSWORD)
"""
import base64
import hashlib
import json
import os
import re
import sys

import nacl.secret
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def pem_body(text, label):
    m = re.search(rf"-----BEGIN {label}-----(.*?)-----END {label}-----", text, re.S)
    if not m:
        sys.exit(f"no {label} PEM block")
    return base64.b64decode("".join(m.group(1).split()))


def pem(label, der):
    b64 = base64.b64encode(der).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def kdf(password, salt, n, r, p):
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=128 * n * r * p + 2**20, dklen=32)


def main():
    password = os.environ["PASSWORD"]
    if sys.argv[1] == "check":
        key_text, pub_text = open(sys.argv[2]).read(), open(sys.argv[3]).read()
        doc = json.loads(pem_body(key_text, "ENCRYPTED SIGSTORE PRIVATE KEY"))
        assert doc["kdf"]["name"] == "scrypt" and doc["cipher"]["name"] == "nacl/secretbox", doc
        params = doc["kdf"]["params"]
        key = kdf(password, base64.b64decode(doc["kdf"]["salt"]), params["N"], params["r"], params["p"])
        box = nacl.secret.SecretBox(key)
        der = box.decrypt(base64.b64decode(doc["ciphertext"]), base64.b64decode(doc["cipher"]["nonce"]))
        private = serialization.load_der_private_key(der, password=None)
        assert isinstance(private.curve, ec.SECP256R1), private.curve
        public = serialization.load_pem_public_key(pub_text.encode())
        assert private.public_key().public_numbers() == public.public_numbers(), "PUB is not KEY's public key"
        sig = private.sign(b"chainproof", ec.ECDSA(hashes.SHA256()))
        public.verify(sig, b"chainproof", ec.ECDSA(hashes.SHA256()))
        print("cosign key format: ok")
    elif sys.argv[1] == "generate":
        prefix = sys.argv[2]
        private = ec.generate_private_key(ec.SECP256R1())
        der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        salt, nonce = os.urandom(32), os.urandom(24)
        key = kdf(password, salt, 32768, 8, 1)
        ciphertext = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
        doc = {
            "kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": base64.b64encode(salt).decode()},
            "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
        with open(prefix + ".key", "w") as f:
            f.write(pem("ENCRYPTED SIGSTORE PRIVATE KEY", json.dumps(doc).encode()))
        pub = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        with open(prefix + ".pub", "w") as f:
            f.write(pem("PUBLIC KEY", pub))
        print("generated")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
