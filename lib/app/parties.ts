/**
 * Membership use cases: admit, suspend, restore, register or rotate an encryption key, list.
 */
import { getAddress, isAddress, type Signer } from "ethers";

import { InputError } from "../errors.js";
import { encodePartyName, type PartyInfo } from "../chain/registry.js";
import type { Actor, App } from "./context.js";
import { deriveEncryptionKey, type EncryptionKeyPair } from "./keys.js";

export async function admitParty(
  app: App,
  admin: Signer,
  address: string,
  name: string,
): Promise<{ party: PartyInfo; txHash: string }> {
  if (!isAddress(address)) {
    throw new InputError(`address "${address}" is not an Ethereum address`, {
      hint: "give --address 0x… (40 hex digits)",
    });
  }
  const encoded = encodePartyName(name);
  const registry = app.registry.connect(admin);
  const receipt = await registry.send(() =>
    registry.contract.admitParty(getAddress(address), encoded),
  );
  app.registry.refreshParties();
  return { party: await app.registry.party(address), txHash: receipt.hash };
}

export async function setSuspended(
  app: App,
  admin: Signer,
  nameOrAddress: string,
  suspended: boolean,
): Promise<{ party: PartyInfo; txHash: string }> {
  const target = await app.registry.resolveParty(nameOrAddress);
  const registry = app.registry.connect(admin);
  const receipt = await registry.send(() =>
    suspended
      ? registry.contract.suspendParty(target.address)
      : registry.contract.restoreParty(target.address),
  );
  app.registry.refreshParties();
  return { party: await app.registry.party(target.address), txHash: receipt.hash };
}

/**
 * Registers the actor's next key version (the first one, or a rotation): its x25519 key and its
 * secp256k1 spending key. Older versions stay derivable: tickets routed to them stay actionable.
 */
export async function registerKey(
  app: App,
  actor: Actor,
): Promise<{ key: EncryptionKeyPair; txHash: string }> {
  const version = actor.party.keyVersion + 1;
  const key = await deriveEncryptionKey(actor.signer, app.chainId, app.registry.address, version);
  const receipt = await actor.registry.send(() =>
    actor.registry.contract.registerKeys(key.publicKey, key.spendingPublicKey),
  );
  app.registry.refreshParties();
  actor.party = await app.registry.party(actor.party.address);
  actor.keys = [...actor.keys, key];
  return { key, txHash: receipt.hash };
}
