/**
 * ECIES as used for every envelope, byte for byte the scheme of eciesjs 0.5 configured with
 * `ellipticCurve: "x25519"` and `symmetricAlgorithm: "xchacha20"`:
 *
 *   ephemeral key pair (e, E); S = x25519(e, recipient)
 *   k = HKDF-SHA256(ikm = E ‖ S, no salt, no info, 32 bytes)
 *   ciphertext = E (32) ‖ nonce (24) ‖ tag (16) ‖ XChaCha20-Poly1305(k, nonce, plaintext)
 *
 * eciesjs computes this in pure JavaScript (about 2 ms per envelope); here x25519, HKDF and
 * ChaCha20-Poly1305 run in Node's built-in crypto and only HChaCha20 (one block, to turn the
 * 24-byte nonce into a subkey) in JavaScript. `test/lib/ecies.ts` checks that each side decrypts
 * what the other encrypts.
 */
import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";

import { x25519, x25519KeyPair } from "./x25519.js";

/** The scheme as recorded in every envelope. */
export const ECIES_SCHEME = {
  kem: "x25519",
  kdf: "hkdf-sha256",
  cipher: "xchacha20-poly1305",
  nonceLength: 24,
} as const;

/** Bytes ECIES adds to the plaintext: ephemeral key, nonce and tag. */
export const ECIES_OVERHEAD = 32 + 24 + 16;

const KEY = 32;
const NONCE = 24;
const TAG = 16;

const rotl = (x: number, n: number) => (x << n) | (x >>> (32 - n));

/** HChaCha20 (draft-irtf-cfrg-xchacha §2.2): a 32-byte subkey from a key and a 16-byte nonce. */
export function hchacha20(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  const k = Buffer.from(key.buffer, key.byteOffset, KEY);
  const n = Buffer.from(nonce16.buffer, nonce16.byteOffset, 16);
  const s = new Uint32Array(16);
  s[0] = 0x61707865;
  s[1] = 0x3320646e;
  s[2] = 0x79622d32;
  s[3] = 0x6b206574;
  for (let i = 0; i < 8; i++) s[4 + i] = k.readUInt32LE(4 * i);
  for (let i = 0; i < 4; i++) s[12 + i] = n.readUInt32LE(4 * i);
  const qr = (a: number, b: number, c: number, d: number) => {
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 12);
    s[a] += s[b];
    s[d] = rotl(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = rotl(s[b] ^ s[c], 7);
  };
  for (let round = 0; round < 10; round++) {
    qr(0, 4, 8, 12);
    qr(1, 5, 9, 13);
    qr(2, 6, 10, 14);
    qr(3, 7, 11, 15);
    qr(0, 5, 10, 15);
    qr(1, 6, 11, 12);
    qr(2, 7, 8, 13);
    qr(3, 4, 9, 14);
  }
  const out = Buffer.alloc(KEY);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(s[i], 4 * i);
  for (let i = 0; i < 4; i++) out.writeUInt32LE(s[12 + i], 16 + 4 * i);
  return out;
}

/** XChaCha20-Poly1305 = ChaCha20-Poly1305 under HChaCha20(key, nonce[0..16]), nonce 0⁴ ‖ nonce[16..24]. */
function chachaParams(key: Uint8Array, nonce: Uint8Array): [Uint8Array, Buffer] {
  const iv = Buffer.alloc(12);
  iv.set(nonce.subarray(16, NONCE), 4);
  return [hchacha20(key, nonce.subarray(0, 16)), iv];
}

function sharedKey(ephemeralPublic: Uint8Array, shared: Uint8Array): Buffer {
  return Buffer.from(
    hkdfSync(
      "sha256",
      Buffer.concat([ephemeralPublic, shared]),
      Buffer.alloc(0),
      Buffer.alloc(0),
      KEY,
    ),
  );
}

/** Encrypts to an x25519 public key. */
export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const ephemeral = x25519KeyPair();
  return sealWith(ephemeral.privateKey, ephemeral.publicKey, publicKey, plaintext);
}

function sealWith(
  ephemeralPrivate: KeyObject,
  ephemeralPublic: Uint8Array,
  recipient: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const key = sharedKey(ephemeralPublic, x25519(ephemeralPrivate, recipient));
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("chacha20-poly1305", ...chachaParams(key, nonce), {
    authTagLength: TAG,
  });
  const out = new Uint8Array(ECIES_OVERHEAD + plaintext.length);
  out.set(ephemeralPublic, 0);
  out.set(nonce, KEY);
  const body = cipher.update(plaintext);
  cipher.final();
  out.set(cipher.getAuthTag(), KEY + NONCE);
  out.set(body, ECIES_OVERHEAD);
  return out;
}

/**
 * What {@link eciesEncrypt} returns, without the encryption: a real ephemeral public key (random
 * 32 bytes would not be one: half of them are not on the curve) followed by random bytes, which
 * XChaCha20-Poly1305's nonce, tag and ciphertext are indistinguishable from.
 */
export function eciesDecoy(plaintextLength: number): Uint8Array {
  const out = new Uint8Array(ECIES_OVERHEAD + plaintextLength);
  out.set(x25519KeyPair().publicKey, 0);
  out.set(randomBytes(out.length - KEY), KEY);
  return out;
}

/** Throws on a wrong key or a changed byte (the authentication tag does not match). */
export function eciesDecrypt(privateKey: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < ECIES_OVERHEAD) throw new Error("ECIES ciphertext too short");
  const ephemeralPublic = ciphertext.subarray(0, KEY);
  const nonce = ciphertext.subarray(KEY, KEY + NONCE);
  const key = sharedKey(ephemeralPublic, x25519(privateKey, ephemeralPublic));
  const decipher = createDecipheriv("chacha20-poly1305", ...chachaParams(key, nonce), {
    authTagLength: TAG,
  });
  decipher.setAuthTag(ciphertext.subarray(KEY + NONCE, ECIES_OVERHEAD));
  const body = decipher.update(ciphertext.subarray(ECIES_OVERHEAD));
  decipher.final();
  return new Uint8Array(body.buffer, body.byteOffset, body.length);
}
