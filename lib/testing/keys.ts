/**
 * Fixed party keys and one-time route wallets for the registry tests and the gas measurement
 * (no network connection of its own: callers pass their provider).
 */
import { SigningKey, Wallet, getBytes, hexlify, id } from "ethers";

import { StealthScanner, deriveStealthRoute, stealthPrivateKey } from "../crypto/stealth.js";
import { x25519PublicKey } from "../crypto/x25519.js";

import type { Provider } from "ethers";
import type { StealthRoute } from "../crypto/stealth.js";

/** A party's fixed key pair of one version. */
export interface PartyKeys {
  viewingPrivateKey: Uint8Array;
  /** x25519, 0x-hex. */
  viewingKey: string;
  spendingPrivateKey: string;
  /** Compressed secp256k1, 0x-hex (33 bytes). */
  spendingKey: string;
}

const cache = new Map<string, PartyKeys>();

/** The key pair of `label` at `version`, derived from both. */
export function partyKeys(label: string, version = 1): PartyKeys {
  const key = `${label}:${version}`;
  let keys = cache.get(key);
  if (keys === undefined) {
    const viewingPrivateKey = getBytes(id(`viewing:${key}`));
    const spendingPrivateKey = id(`spending:${key}`);
    keys = {
      viewingPrivateKey,
      viewingKey: hexlify(x25519PublicKey(viewingPrivateKey)),
      spendingPrivateKey,
      spendingKey: SigningKey.computePublicKey(spendingPrivateKey, true),
    };
    cache.set(key, keys);
  }
  return keys;
}

/** A route of one-time addresses with, for each slot, the wallet that signs for it. */
export interface OneTimeRoute extends StealthRoute {
  wallets: Wallet[];
}

/**
 * Derives a one-time route for `labels` (key version `version`) as an originator would, and lets
 * each party find its slot with its own scanner and derive the slot's wallet.
 */
export function oneTimeRouteFor(
  labels: readonly string[],
  provider: Provider,
  version = 1,
): OneTimeRoute {
  const keys = labels.map((label) => partyKeys(label, version));
  const derived = deriveStealthRoute(keys);
  const wallets = keys.map((k, slot) => {
    const scanner = new StealthScanner([
      { version, viewingPrivateKey: k.viewingPrivateKey, spendingPublicKey: k.spendingKey },
    ]);
    const [match] = scanner.scan([derived]);
    if (match?.slot !== slot) throw new Error(`party ${labels[slot]} does not find its slot`);
    return new Wallet(stealthPrivateKey(k.spendingPrivateKey, match), provider);
  });
  return { ...derived, wallets };
}
