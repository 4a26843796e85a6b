/**
 * Party keys, derived from the party's signing account: per key version an x25519 key (envelope
 * encryption, and the viewing key that finds one-time route addresses) and a secp256k1 spending
 * key (signs for those addresses).
 *
 * The seed of key version `v` is keccak256 of the account's signature over a fixed message that
 * names the chain, the registry, the party and `v`; the x25519 key is the seed itself and the
 * spending key `keccak256("sr-spending/1" ‖ seed) mod n`. Hardhat signs with RFC 6979
 * deterministic ECDSA, so the same account always derives the same keys: a party keeps one secret
 * (its signing key, in Hardhat's keystore or a configuration variable) and rotates by registering
 * the next version. Old versions stay derivable, so old tickets stay readable and actionable.
 */
import { SigningKey, concat, getBytes, keccak256, toUtf8Bytes, type Signer } from "ethers";

import { keyPairFromSeed, type VersionedKeyPair } from "../crypto/keys.js";

/** One key version of a party: its x25519 pair and its spending pair. */
export interface EncryptionKeyPair extends VersionedKeyPair {
  /** 32-byte secp256k1 private key, 0x-hex. */
  spendingPrivateKey: string;
  /** Compressed secp256k1 public key (33 bytes), 0x-hex, as registered on-chain. */
  spendingPublicKey: string;
}

const SPENDING_DOMAIN = toUtf8Bytes("sr-spending/1");
const N = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

export function keyDerivationMessage(
  chainId: bigint,
  registry: string,
  party: string,
  version: number,
): string {
  return [
    "SettlementRegistry encryption key",
    `chain: ${chainId}`,
    `registry: ${registry.toLowerCase()}`,
    `party: ${party.toLowerCase()}`,
    `version: ${version}`,
    "Sign only inside the settlement tooling: this signature is a private key.",
  ].join("\n");
}

/** The spending private key of a seed: keccak256(domain ‖ seed) mod n, never zero. */
export function spendingKeyFromSeed(seed: Uint8Array): string {
  const k = BigInt(keccak256(concat([SPENDING_DOMAIN, seed]))) % N;
  return `0x${(k === 0n ? 1n : k).toString(16).padStart(64, "0")}`;
}

export function keysFromSeed(seed: Uint8Array, version: number): EncryptionKeyPair {
  const spendingPrivateKey = spendingKeyFromSeed(seed);
  return {
    ...keyPairFromSeed(seed, version),
    spendingPrivateKey,
    spendingPublicKey: SigningKey.computePublicKey(spendingPrivateKey, true),
  };
}

export async function deriveEncryptionKey(
  signer: Signer,
  chainId: bigint,
  registry: string,
  version: number,
): Promise<EncryptionKeyPair> {
  const party = await signer.getAddress();
  const message = keyDerivationMessage(chainId, registry, party, version);
  const signature = await signer.signMessage(message);
  return keysFromSeed(getBytes(keccak256(signature)), version);
}

/** Every key version from 1 to `upTo`, so that tickets sealed under older keys stay readable. */
export async function deriveKeyRing(
  signer: Signer,
  chainId: bigint,
  registry: string,
  upTo: number,
): Promise<EncryptionKeyPair[]> {
  const ring: EncryptionKeyPair[] = [];
  for (let v = 1; v <= upTo; v++)
    ring.push(await deriveEncryptionKey(signer, chainId, registry, v));
  return ring;
}
