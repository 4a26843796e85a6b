/**
 * Shared fixtures and constants for the SettlementRegistry tests.
 *
 * The cast: an admin that runs the consortium, an originator (asset manager), three approvers
 * (custodian bank, securities firm, CSD), an admitted party that is on no route (the outsider),
 * an address that was never admitted, a suspended party, a party without an encryption key and
 * five spare parties so that an eight-party route can be built.
 */
import { network } from "hardhat";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { SettlementRegistry } from "../../typechain-types/index.js";

export const { ethers, networkHelpers } = await network.getOrCreate();

/** Mirrors `ISettlementRegistry.TicketStatus`. */
export const Status = { None: 0n, Open: 1n, Returned: 2n, Completed: 3n, Cancelled: 4n } as const;

export const TICKET = ethers.id("ticket:T-2016-0001");
export const TRADE = ethers.id("trade:T-2016-0001:v1");
export const ENVELOPE = ethers.id("envelope:T-2016-0001:v1");
export const TRADE_V2 = ethers.id("trade:T-2016-0001:v2");
export const ENVELOPE_V2 = ethers.id("envelope:T-2016-0001:v2");
export const NARRATIVE = ethers.id("narrative:settlement date differs");

export const NMAT = bytes4("NMAT");
export const PENF = bytes4("PENF");
export const REJT = bytes4("REJT");
export const DDAT = bytes4("DDAT");
export const ZERO_HASH = ethers.ZeroHash;

export const MEMBERSHIP_ROLE = ethers.id("MEMBERSHIP_ROLE");
export const PAUSER_ROLE = ethers.id("PAUSER_ROLE");
export const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

/** Four ASCII characters as a `bytes4`. */
export function bytes4(text: string): string {
  const bytes = ethers.toUtf8Bytes(text);
  if (bytes.length !== 4) throw new Error(`bytes4 needs four bytes, got "${text}"`);
  return ethers.hexlify(bytes);
}

/** A short name as a left-aligned `bytes32`. */
export function name(text: string): string {
  return ethers.encodeBytes32String(text);
}

/** A deterministic, non-zero x25519-sized public key for `label`. */
export function pubKey(label: string): string {
  return ethers.id(`x25519:${label}`);
}

export interface Cast {
  registry: SettlementRegistry;
  admin: HardhatEthersSigner;
  originator: HardhatEthersSigner;
  custodian: HardhatEthersSigner;
  broker: HardhatEthersSigner;
  csd: HardhatEthersSigner;
  /** Admitted, with a key, but on no route. */
  outsider: HardhatEthersSigner;
  /** Never admitted. */
  stranger: HardhatEthersSigner;
  /** Admitted with a key, then suspended. */
  suspended: HardhatEthersSigner;
  /** Admitted, but never registered an encryption key. */
  keyless: HardhatEthersSigner;
  /** Admitted, with keys: enough for an eight-party route together with the approvers. */
  spares: HardhatEthersSigner[];
  /** custodian → broker → csd */
  route: string[];
}

/** A deployed registry with no parties. */
export async function deployRegistry(): Promise<{
  registry: SettlementRegistry;
  signers: HardhatEthersSigner[];
}> {
  const signers = await ethers.getSigners();
  const registry = await ethers.deployContract("SettlementRegistry", [signers[0].address]);
  return { registry, signers };
}

/** The whole cast admitted, keys registered, `suspended` suspended; no ticket yet. */
export async function consortiumFixture(): Promise<Cast> {
  const { registry, signers } = await deployRegistry();
  const [admin, originator, custodian, broker, csd, outsider, stranger, suspended, keyless] =
    signers;
  const spares = signers.slice(9, 14);
  const members: [HardhatEthersSigner, string][] = [
    [originator, "asset-manager"],
    [custodian, "custodian-bank"],
    [broker, "securities-firm"],
    [csd, "csd"],
    [outsider, "outsider"],
    [suspended, "suspended"],
    [keyless, "keyless"],
    ...spares.map((s, i): [HardhatEthersSigner, string] => [s, `spare-${i}`]),
  ];
  for (const [signer, label] of members) {
    await registry.connect(admin).admitParty(signer.address, name(label));
    if (signer !== keyless) await registry.connect(signer).registerEncryptionKey(pubKey(label));
  }
  await registry.connect(admin).suspendParty(suspended.address);
  const route = [custodian.address, broker.address, csd.address];
  return {
    registry,
    admin,
    originator,
    custodian,
    broker,
    csd,
    outsider,
    stranger,
    suspended,
    keyless,
    spares,
    route,
  };
}

/** The consortium plus one open ticket on custodian → broker → csd. */
export async function openTicketFixture(): Promise<Cast> {
  const cast = await consortiumFixture();
  await cast.registry.connect(cast.originator).createTicket(TICKET, TRADE, ENVELOPE, cast.route);
  return cast;
}

/** The open ticket approved by the custodian: the broker's turn. */
export async function approvedOnceFixture(): Promise<Cast> {
  const cast = await openTicketFixture();
  await cast.registry.connect(cast.custodian).approve(TICKET);
  return cast;
}

/** The ticket approved by everyone: completed. */
export async function completedFixture(): Promise<Cast> {
  const cast = await approvedOnceFixture();
  await cast.registry.connect(cast.broker).approve(TICKET);
  await cast.registry.connect(cast.csd).approve(TICKET);
  return cast;
}

/** The ticket returned by the CSD (DDAT, settlement date) after the custodian's OK. */
export async function returnedFixture(): Promise<Cast> {
  const cast = await approvedOnceFixture();
  await cast.registry.connect(cast.csd).reject(TICKET, NMAT, DDAT, NARRATIVE);
  return cast;
}

/** The open ticket cancelled by its originator. */
export async function cancelledFixture(): Promise<Cast> {
  const cast = await openTicketFixture();
  await cast.registry.connect(cast.originator).cancel(TICKET);
  return cast;
}
