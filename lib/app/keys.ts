/**
 * Party encryption keys (x25519), derived from the party's signing account.
 *
 * The seed of key version `v` is keccak256 of the account's signature over a fixed message that
 * names the chain, the registry, the party and `v`. Hardhat signs with RFC 6979 deterministic
 * ECDSA, so the same account always derives the same keys: a party keeps one secret (its signing
 * key, in Hardhat's keystore or a configuration variable) and can rotate its encryption key by
 * registering the next version. Old versions stay derivable, so old tickets stay readable.
 */
import { x25519 } from "@noble/curves/ed25519";
import { getBytes, hexlify, keccak256, type Signer } from "ethers";

import { CryptoError } from "../errors.js";

export interface EncryptionKeyPair {
  version: number;
  privateKey: Uint8Array;
  /** 0x-prefixed 32-byte x25519 public key, as registered on-chain. */
  publicKey: string;
}

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

export function keyPairFromSeed(seed: Uint8Array, version: number): EncryptionKeyPair {
  if (seed.length !== 32) throw new CryptoError("an encryption key seed must be 32 bytes");
  return { version, privateKey: seed, publicKey: hexlify(x25519.getPublicKey(seed)) };
}

export async function deriveEncryptionKey(
  signer: Signer,
  chainId: bigint,
  registry: string,
  version: number,
): Promise<EncryptionKeyPair> {
  const party = await signer.getAddress();
  const message = keyDerivationMessage(chainId, registry, party, version);
  const first = await signer.signMessage(message);
  const seed = getBytes(keccak256(first));
  return keyPairFromSeed(seed, version);
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
