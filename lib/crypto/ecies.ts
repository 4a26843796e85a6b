/**
 * ECIES for every envelope: eciesjs 0.5 configured with `ellipticCurve: "x25519"` and
 * `symmetricAlgorithm: "xchacha20"`, passed on every call:
 *
 *   ephemeral key pair (e, E); S = x25519(e, recipient)
 *   k = HKDF-SHA256(ikm = E ‖ S, no salt, no info, 32 bytes)
 *   ciphertext = E (32) ‖ nonce (24) ‖ tag (16) ‖ XChaCha20-Poly1305(k, nonce, plaintext)
 *
 * The layout matters for decoys, which must look like ciphertexts of the same length.
 */
import { randomBytes } from "node:crypto";

import { decrypt, encrypt } from "eciesjs";
import { Config } from "eciesjs/config";

import { x25519KeyPair } from "./x25519.js";

/** The scheme as recorded in every envelope. */
export const ECIES_SCHEME = {
  kem: "x25519",
  kdf: "hkdf-sha256",
  cipher: "xchacha20-poly1305",
  nonceLength: 24,
} as const;

/** Bytes ECIES adds to the plaintext: ephemeral key, nonce and tag. */
export const ECIES_OVERHEAD = 32 + 24 + 16;

const config = new Config();
config.ellipticCurve = "x25519";
config.symmetricAlgorithm = "xchacha20";

/** Encrypts to an x25519 public key. */
export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return encrypt(publicKey, plaintext, config);
}

/** Throws on a wrong key or a changed byte (the authentication tag does not match). */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < ECIES_OVERHEAD) throw new Error("ECIES ciphertext too short");
  return decrypt(privateKey, ciphertext, config);
}

/**
 * What {@link eciesEncrypt} returns, without the encryption: a real ephemeral public key (random
 * 32 bytes would not be one: half of them are not on the curve) followed by random bytes, which
 * XChaCha20-Poly1305's nonce, tag and ciphertext are indistinguishable from.
 */
export function eciesDecoy(plaintextLength: number): Uint8Array {
  const out = new Uint8Array(ECIES_OVERHEAD + plaintextLength);
  out.set(x25519KeyPair().publicKey, 0);
  out.set(randomBytes(out.length - 32), 32);
  return out;
}
