/** Fixed parties and keys for the library tests: seeds are fixed, so runs are reproducible. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { getBytes, keccak256, toUtf8Bytes } from "ethers";

import { keyPairFromSeed, type VersionedKeyPair } from "../../lib/crypto/keys.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import type { RouteParty } from "../../lib/ticket/seal.js";
import type { Trade } from "../../lib/ticket/schema.js";

export interface TestParty {
  name: string;
  address: string;
  keys: VersionedKeyPair[];
}

export function seed(name: string, version: number): Uint8Array {
  return getBytes(keccak256(toUtf8Bytes(`test seed/${name}/${version}`)));
}

export function party(name: string, address: string, versions = 1): TestParty {
  const keys = Array.from({ length: versions }, (_, i) =>
    keyPairFromSeed(seed(name, i + 1), i + 1),
  );
  return { name, address, keys };
}

export const assetManager = party("asset-manager", "0x1000000000000000000000000000000000000001");
export const custodian = party("custodian-bank", "0x2000000000000000000000000000000000000002");
export const broker = party("securities-firm", "0x3000000000000000000000000000000000000003");
export const csd = party("csd", "0x4000000000000000000000000000000000000004");
export const outsider = party("outsider", "0x5000000000000000000000000000000000000005");

export const current = (p: TestParty) => p.keys[p.keys.length - 1];

export const routeParty = (p: TestParty): RouteParty => ({
  address: p.address,
  publicKey: current(p).publicKey,
  keyVersion: current(p).version,
});

export const publicKeys = (p: TestParty): Map<number, string> =>
  new Map(p.keys.map((k) => [k.version, k.publicKey]));

export const reader = (p: TestParty) => ({ address: p.address, keys: p.keys });

export const dvpTrade = (): Promise<Trade> =>
  readTradeFile("examples/dvp-japanese-equity-buy.json");
export const fopTrade = (): Promise<Trade> =>
  readTradeFile("examples/fop-japanese-equity-delivery.json");

/** A fresh temporary folder, removed by `done()`. */
export async function tempFolder(): Promise<{ path: string; done: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "sr-test-"));
  return { path, done: () => rm(path, { recursive: true, force: true }) };
}
