/**
 * ECIES as used for every envelope: eciesjs 0.5 with x25519 key encapsulation, HKDF-SHA256 and
 * XChaCha20-Poly1305 (24-byte nonce). The configuration is passed on every call, never set
 * globally, so other users of eciesjs in the same process are not affected.
 *
 * Ciphertext layout (eciesjs): ephemeral public key (32) ‖ nonce (24) ‖ tag (16) ‖ encrypted data.
 */
import { decrypt, encrypt } from "eciesjs";
import { Config } from "eciesjs/config";

/** The scheme as recorded in every envelope. */
export const ECIES_SCHEME = {
  kem: "x25519",
  kdf: "hkdf-sha256",
  cipher: "xchacha20-poly1305",
  nonceLength: 24,
} as const;

/** Bytes eciesjs adds to the plaintext: ephemeral key, nonce and tag. */
export const ECIES_OVERHEAD = 32 + 24 + 16;

const CONFIG = new Config();
CONFIG.ellipticCurve = "x25519";
CONFIG.symmetricAlgorithm = "xchacha20";

export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return encrypt(publicKey, plaintext, CONFIG);
}

/** Throws whatever eciesjs throws (an invalid tag for a wrong key or a changed byte). */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return decrypt(privateKey, ciphertext, CONFIG);
}
