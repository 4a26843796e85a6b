/**
 * Party encryption keys: x25519, as registered on-chain (32-byte public keys with versions).
 */
import { getBytes, hexlify } from "ethers";

import { CryptoError } from "../errors.js";
import { x25519, x25519PublicKey } from "./x25519.js";

/** One version of a party's encryption key. */
export interface VersionedKeyPair {
  version: number;
  /** 32-byte x25519 private key. */
  privateKey: Uint8Array;
  /** 0x-prefixed 32-byte x25519 public key, as registered on-chain. */
  publicKey: string;
}

/** A party's public keys by key version (from the registry's `encryptionKey(party, v)`). */
export type PublicKeyVersions =
  ReadonlyMap<number, string | Uint8Array> | Readonly<Record<number, string | Uint8Array>>;

/** The key pair of version `version` from a 32-byte seed (any 32 bytes are a valid x25519 key). */
export function keyPairFromSeed(seed: Uint8Array, version: number): VersionedKeyPair {
  if (seed.length !== 32) throw new CryptoError("an encryption key seed must be 32 bytes");
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) {
    throw new CryptoError(`key version ${version} is not a positive 32-bit integer`);
  }
  const privateKey = Uint8Array.from(seed);
  return { version, privateKey, publicKey: hexlify(x25519PublicKey(privateKey)) };
}

/** A 32-byte x25519 public key from 0x-hex or bytes; anything else is a {@link CryptoError}. */
export function publicKeyBytes(key: string | Uint8Array, what = "public key"): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = typeof key === "string" ? getBytes(key) : key;
  } catch {
    throw new CryptoError(`${what}: not 0x-hex`);
  }
  if (bytes.length !== 32) throw new CryptoError(`${what}: must be 32 bytes, got ${bytes.length}`);
  if (bytes.every((b) => b === 0)) throw new CryptoError(`${what}: is zero (no key registered)`);
  return bytes;
}

/** `[version, key]` pairs, ascending by version. */
export function keyVersionEntries(keys: PublicKeyVersions): [number, Uint8Array][] {
  const entries: [number, string | Uint8Array][] =
    keys instanceof Map
      ? [...(keys as ReadonlyMap<number, string | Uint8Array>).entries()]
      : Object.entries(keys).map(([v, k]) => [Number(v), k as string | Uint8Array]);
  return entries
    .map(([v, k]): [number, Uint8Array] => [v, publicKeyBytes(k, `public key version ${v}`)])
    .sort((a, b) => a[0] - b[0]);
}

/** x25519 Diffie–Hellman; rejects the all-zero result of a low-order public key. */
export function sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519(privateKey, publicKey);
  } catch (error) {
    throw new CryptoError("x25519 key agreement failed (low-order or invalid public key)", {
      cause: error,
    });
  }
}
