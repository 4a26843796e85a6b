/**
 * Shared fixtures and constants for the SettlementRegistry tests.
 *
 * The cast: an admin that runs the consortium, an originator (asset manager), three approvers
 * (custodian bank, securities firm, CSD), an admitted party that is on no route (the outsider),
 * an address that was never admitted, a suspended party, a party without keys and five spare
 * parties so that an eight-party route can be built. Every party's keys are fixed (derived from
 * its name), and routes are real one-time addresses whose wallets sign the approvals.
 */
import { network } from "hardhat";

import { oneTimeRouteFor, partyKeys } from "../../lib/testing/keys.js";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { StealthRoute } from "../../lib/crypto/stealth.js";
import type { SettlementRegistry } from "../../typechain-types/index.js";
import type { OneTimeRoute, PartyKeys } from "../../lib/testing/keys.js";

export { partyKeys };
export type { OneTimeRoute, PartyKeys } from "../../lib/testing/keys.js";

export const { ethers, networkHelpers } = await network.getOrCreate();

/** Mirrors `ISettlementRegistry.TicketStatus`. */
export const Status = { None: 0n, Open: 1n, Returned: 2n, Completed: 3n, Cancelled: 4n } as const;

export const REF = ethers.id("ref:T-2016-0001");
export const TRADE = ethers.id("trade:T-2016-0001:v1");
export const ENVELOPE = ethers.id("envelope:T-2016-0001:v1");
export const TRADE_V2 = ethers.id("trade:T-2016-0001:v2");
export const ENVELOPE_V2 = ethers.id("envelope:T-2016-0001:v2");
export const REASON = ethers.id("reason:T-2016-0001:v1");

export const MEMBERSHIP_ROLE = ethers.id("MEMBERSHIP_ROLE");
export const PAUSER_ROLE = ethers.id("PAUSER_ROLE");
export const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;

/** A short name as a left-aligned `bytes32`. */
export function name(text: string): string {
  return ethers.encodeBytes32String(text);
}

/** `keccak256(abi.encode(originator, ref))`, the record key the contract computes. */
export function ticketKey(originator: string, ref: string): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [originator, ref]),
  );
}

/** `keccak256(abi.encode(route))`, the route commitment the contract stores. */
export function routeCommitment(route: readonly string[]): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["address[]"], [route]));
}

/**
 * A one-time route for `labels`, each slot's address funded (the simulated chain charges gas; a
 * free-gas chain would not need this).
 */
export async function oneTimeRoute(labels: readonly string[], version = 1): Promise<OneTimeRoute> {
  const route = oneTimeRouteFor(labels, ethers.provider, version);
  for (const w of route.wallets) await networkHelpers.setBalance(w.address, 10n ** 18n);
  return route;
}

export interface Cast {
  registry: SettlementRegistry;
  admin: HardhatEthersSigner;
  originator: HardhatEthersSigner;
  custodian: HardhatEthersSigner;
  broker: HardhatEthersSigner;
  csd: HardhatEthersSigner;
  /** Admitted, with keys, but on no route. */
  outsider: HardhatEthersSigner;
  /** Never admitted. */
  stranger: HardhatEthersSigner;
  /** Admitted with keys, then suspended. */
  suspended: HardhatEthersSigner;
  /** Admitted, but never registered keys. */
  keyless: HardhatEthersSigner;
  /** Admitted, with keys: enough for an eight-party route together with the approvers. */
  spares: HardhatEthersSigner[];
  /** The labels of custodian → broker → csd. */
  labels: string[];
}

export interface TicketCast extends Cast {
  /** The ticket key of REF created by the originator. */
  ticket: string;
  /** Version 1's route: custodian → broker → csd, as one-time addresses. */
  route: OneTimeRoute;
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

/** Registers `keys` for `signer`. */
export async function registerKeys(
  registry: SettlementRegistry,
  signer: HardhatEthersSigner,
  keys: PartyKeys,
): Promise<void> {
  await registry.connect(signer).registerKeys(keys.viewingKey, keys.spendingKey);
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
    if (signer !== keyless) await registerKeys(registry, signer, partyKeys(label));
  }
  await registry.connect(admin).suspendParty(suspended.address);
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
    labels: ["custodian-bank", "securities-firm", "csd"],
  };
}

/** Creates REF on `route` as the originator. */
export function create(cast: Cast, route: StealthRoute, ref = REF) {
  return cast.registry
    .connect(cast.originator)
    .createTicket(ref, TRADE, ENVELOPE, route.route, route.ephemeralKey, route.viewTags);
}

/** The consortium plus one open ticket on custodian → broker → csd. */
export async function openTicketFixture(): Promise<TicketCast> {
  const cast = await consortiumFixture();
  const route = await oneTimeRoute(cast.labels);
  await create(cast, route);
  return { ...cast, route, ticket: ticketKey(cast.originator.address, REF) };
}

/** The open ticket approved by the custodian: the broker's turn. */
export async function approvedOnceFixture(): Promise<TicketCast> {
  const cast = await openTicketFixture();
  await cast.registry.connect(cast.route.wallets[0]).approve(cast.ticket, 1, cast.route.route);
  return cast;
}

/** The ticket approved by everyone: completed. */
export async function completedFixture(): Promise<TicketCast> {
  const cast = await approvedOnceFixture();
  const { registry, ticket, route } = cast;
  await registry.connect(route.wallets[1]).approve(ticket, 1, route.route);
  await registry.connect(route.wallets[2]).approve(ticket, 1, route.route);
  return cast;
}

/** The ticket returned by the CSD (from step 2) after the custodian's OK. */
export async function returnedFixture(): Promise<TicketCast> {
  const cast = await approvedOnceFixture();
  await cast.registry
    .connect(cast.route.wallets[2])
    .reject(cast.ticket, 1, cast.route.route, REASON);
  return cast;
}

/** The open ticket cancelled by its originator. */
export async function cancelledFixture(): Promise<TicketCast> {
  const cast = await openTicketFixture();
  await cast.registry.connect(cast.originator).cancel(cast.ticket);
  return cast;
}
