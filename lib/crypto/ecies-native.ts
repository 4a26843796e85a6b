/**
 * The ECIES of `./ecies.ts`, byte for byte, with the curve work done by Node's built-in x25519
 * (OpenSSL) instead of eciesjs's pure JavaScript one: about 0.25 ms to encrypt and 0.07 ms to
 * decrypt a 4 KB envelope here, against about 1.6 ms each. eciesjs still does the symmetric part
 * (its `symEncrypt`/`symDecrypt`: XChaCha20-Poly1305, nonce ‖ tag ‖ ciphertext), and the output
 * decrypts with eciesjs's `decrypt` and the other way round (test/store-v2/envelope.ts):
 *
 *   ephemeral key pair (e, E); S = x25519(e, recipient)
 *   k = HKDF-SHA256(ikm = E ‖ S, empty salt, empty info, 32 bytes)
 *   ciphertext = E (32) ‖ nonce (24) ‖ tag (16) ‖ XChaCha20-Poly1305(k, nonce, plaintext)
 *
 * (An empty HKDF salt is the RFC 5869 default of HashLen zero bytes: HMAC pads both alike.)
 */
import { hkdfSync, type KeyObject } from "node:crypto";

import { Config } from "eciesjs/config";
import { symDecrypt, symEncrypt } from "eciesjs/utils";

import { CryptoError } from "../errors.js";
import { ECIES_OVERHEAD } from "./ecies.js";
import { x25519, x25519KeyPair } from "./x25519.js";

const config = new Config();
config.ellipticCurve = "x25519";
config.symmetricAlgorithm = "xchacha20";

const EMPTY = Buffer.alloc(0);

function sharedKey(
  ephemeral: Uint8Array,
  privateKey: Uint8Array | KeyObject,
  publicKey: Uint8Array,
) {
  let shared: Uint8Array;
  try {
    shared = x25519(privateKey, publicKey);
  } catch (error) {
    throw new CryptoError("x25519 key agreement failed (low-order or invalid public key)", {
      cause: error,
    });
  }
  return new Uint8Array(hkdfSync("sha256", Buffer.concat([ephemeral, shared]), EMPTY, EMPTY, 32));
}

/** Encrypts to an x25519 public key; the same format as `eciesEncrypt`. */
export function eciesSeal(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const ephemeral = x25519KeyPair();
  const key = sharedKey(ephemeral.publicKey, ephemeral.privateKey, publicKey);
  return new Uint8Array(Buffer.concat([ephemeral.publicKey, symEncrypt(config, key, plaintext)]));
}

/** Decrypts; throws on a wrong key or a changed byte (the tag does not match). */
export function eciesOpen(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < ECIES_OVERHEAD) throw new CryptoError("ECIES ciphertext too short");
  const ephemeral = ciphertext.subarray(0, 32);
  return symDecrypt(config, sharedKey(ephemeral, privateKey, ephemeral), ciphertext.subarray(32));
}
