/**
 * Party encryption keys (x25519), derived from the party's signing account.
 *
 * The seed of key version `v` is keccak256 of the account's signature over a fixed message that
 * names the chain, the registry, the party and `v`. Hardhat signs with RFC 6979 deterministic
 * ECDSA, so the same account always derives the same keys: a party keeps one secret (its signing
 * key, in Hardhat's keystore or a configuration variable) and can rotate its encryption key by
 * registering the next version. Old versions stay derivable, so old tickets stay readable.
 */
import { getBytes, keccak256, type Signer } from "ethers";

import { keyPairFromSeed, type VersionedKeyPair } from "../crypto/keys.js";

export type EncryptionKeyPair = VersionedKeyPair;

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
