/**
 * x25519 through Node's built-in crypto (OpenSSL): the same function as RFC 7748 (scalar clamping
 * included) at a fraction of the cost of a pure JavaScript Montgomery ladder. Key objects are
 * cached, so a party's own private key and the public keys of its counterparties are parsed once.
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";

import { CryptoError } from "../errors.js";

// DER prefixes of a raw 32-byte x25519 key (RFC 8410): PKCS#8 private key, SPKI public key.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/** Parsed private keys, keyed by the caller's key bytes (a key pair is reused for every call). */
const privateKeys = new WeakMap<Uint8Array, { copy: Buffer; key: KeyObject }>();
/** Parsed public keys by hex; bounded, oldest dropped first. */
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_PUBLIC_KEYS = 4096;

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  const cached = privateKeys.get(privateKey);
  // The cache is keyed by identity; a caller that changed the bytes in place gets a fresh parse.
  if (cached !== undefined && cached.copy.equals(privateKey)) return cached.key;
  if (privateKey.length !== 32) throw new CryptoError("an x25519 private key must be 32 bytes");
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, privateKey]),
    format: "der",
    type: "pkcs8",
  });
  privateKeys.set(privateKey, { copy: Buffer.from(privateKey), key });
  return key;
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const hex = Buffer.from(publicKey).toString("hex");
  let key = publicKeys.get(hex);
  if (key === undefined) {
    if (publicKey.length !== 32) throw new CryptoError("an x25519 public key must be 32 bytes");
    key = createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, publicKey]),
      format: "der",
      type: "spki",
    });
    if (publicKeys.size >= MAX_CACHED_PUBLIC_KEYS)
      publicKeys.delete(publicKeys.keys().next().value as string);
    publicKeys.set(hex, key);
  }
  return key;
}

const rawPublic = (key: KeyObject): Uint8Array =>
  new Uint8Array(key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length));

/** The public key of a 32-byte private key. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  return rawPublic(createPublicKey(privateKeyObject(privateKey)));
}

/** A fresh key pair (ephemeral keys, decoys). */
export function x25519KeyPair(): { privateKey: KeyObject; publicKey: Uint8Array } {
  const pair = generateKeyPairSync("x25519");
  return { privateKey: pair.privateKey, publicKey: rawPublic(pair.publicKey) };
}

/**
 * x25519(privateKey, publicKey). Throws on a low-order public key (all-zero result), like
 * `@noble/curves`' `getSharedSecret`.
 */
export function x25519(privateKey: Uint8Array | KeyObject, publicKey: Uint8Array): Uint8Array {
  const priv = privateKey instanceof Uint8Array ? privateKeyObject(privateKey) : privateKey;
  return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: publicKeyObject(publicKey) }));
}
