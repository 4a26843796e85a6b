/**
 * The chain and the stealth library together, as a client uses them: parties find their tickets
 * from the create and revise logs alone, sign from their one-time addresses, and keep finding
 * tickets announced to an older key version after a rotation.
 */
import { expect } from "chai";
import { Wallet } from "ethers";

import { StealthScanner, deriveStealthRoute, stealthPrivateKey } from "../../lib/crypto/stealth.js";

import {
  ENVELOPE,
  REF,
  TRADE,
  TRADE_V2,
  consortiumFixture,
  ethers,
  networkHelpers,
  partyKeys,
  registerKeys,
  ticketKey,
} from "./helpers.js";

import type { Announcement, ScanKey } from "../../lib/crypto/stealth.js";
import type { SettlementRegistry } from "../../typechain-types/index.js";

const { loadFixture } = networkHelpers;

/** Every announcement on the chain, from TicketCreated and TicketRevised, in log order. */
async function announcements(
  registry: SettlementRegistry,
): Promise<(Announcement & { ticket: string; version: bigint })[]> {
  const created = await registry.queryFilter(registry.filters.TicketCreated());
  const revised = await registry.queryFilter(registry.filters.TicketRevised());
  return [...created, ...revised]
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
    .map((log) => ({
      ticket: log.args.ticket,
      version: "version" in log.args ? (log.args.version as bigint) : 1n,
      route: [...log.args.route],
      ephemeralKey: log.args.ephemeralKey,
      viewTags: log.args.viewTags,
    }));
}

function scanKeys(label: string, versions: number[]): ScanKey[] {
  return versions.map((version) => {
    const k = partyKeys(label, version);
    return { version, viewingPrivateKey: k.viewingPrivateKey, spendingPublicKey: k.spendingKey };
  });
}

/** The meta-address of `party` at its current key version, read from the registry. */
async function metaAddress(registry: SettlementRegistry, party: string) {
  const { keyVersion } = await registry.getParty(party);
  const [viewingKey, spendingKey] = await registry.partyKeys(party, keyVersion);
  return { viewingKey, spendingKey };
}

describe("SettlementRegistry with stealth routes", function () {
  it("route parties find their slot from the logs alone, act from it; others find nothing", async function () {
    const cast = await loadFixture(consortiumFixture);
    const { registry, originator, custodian, broker, csd } = cast;
    const parties = [custodian, broker, csd];
    const r = deriveStealthRoute(
      await Promise.all(parties.map((p) => metaAddress(registry, p.address))),
    );
    await registry
      .connect(originator)
      .createTicket(REF, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags);
    const ticket = ticketKey(originator.address, REF);
    const logs = await announcements(registry);

    for (const label of ["outsider", "spare-0", "asset-manager"]) {
      expect(new StealthScanner(scanKeys(label, [1])).scan(logs), label).to.deep.equal([undefined]);
    }
    for (const [step, label] of cast.labels.entries()) {
      const [match] = new StealthScanner(scanKeys(label, [1])).scan(logs);
      expect(match, label).to.deep.include({ slot: step, keyVersion: 1 });
      const wallet = new Wallet(
        stealthPrivateKey(partyKeys(label).spendingPrivateKey, match!),
        ethers.provider,
      );
      await networkHelpers.setBalance(wallet.address, 10n ** 18n);
      await expect(registry.connect(wallet).approve(ticket, 1, [...logs[0].route]))
        .to.emit(registry, "TicketApproved")
        .withArgs(ticket, wallet.address, 1n, step);
    }
  });

  it("a ticket made before a key rotation stays findable and actionable", async function () {
    const cast = await loadFixture(consortiumFixture);
    const { registry, originator, custodian, csd } = cast;
    const before = deriveStealthRoute([await metaAddress(registry, custodian.address)]);
    await registry
      .connect(originator)
      .createTicket(REF, TRADE, ENVELOPE, before.route, before.ephemeralKey, before.viewTags);
    await registerKeys(registry, custodian, partyKeys("custodian-bank", 2));
    const after = deriveStealthRoute([
      await metaAddress(registry, csd.address),
      await metaAddress(registry, custodian.address),
    ]);
    const ref2 = ethers.id("ref:after-rotation");
    await registry
      .connect(originator)
      .createTicket(ref2, TRADE_V2, ENVELOPE, after.route, after.ephemeralKey, after.viewTags);

    const logs = await announcements(registry);
    const found = new StealthScanner(scanKeys("custodian-bank", [2, 1])).scan(logs);
    expect(found[0]).to.deep.include({ slot: 0, keyVersion: 1 });
    expect(found[1]).to.deep.include({ slot: 1, keyVersion: 2 });
    // The old ticket is approved with the old version's spending key.
    const wallet = new Wallet(
      stealthPrivateKey(partyKeys("custodian-bank", 1).spendingPrivateKey, found[0]!),
      ethers.provider,
    );
    await networkHelpers.setBalance(wallet.address, 10n ** 18n);
    const ticket = ticketKey(originator.address, REF);
    await expect(registry.connect(wallet).approve(ticket, 1, [...logs[0].route]))
      .to.emit(registry, "TicketCompleted")
      .withArgs(ticket, 1n);
  });
});
