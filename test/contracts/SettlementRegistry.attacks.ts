/**
 * The registry under attack by members and outsiders: each test plays one attack from the audit
 * and checks that the contract refuses it with the error a client can act on.
 */
import { expect } from "chai";

import {
  ENVELOPE,
  ENVELOPE_V2,
  REF,
  Status,
  TRADE,
  TRADE_V2,
  consortiumFixture,
  ethers,
  networkHelpers,
  oneTimeRoute,
  openTicketFixture,
  partyKeys,
  ticketKey,
} from "./helpers.js";

const { loadFixture } = networkHelpers;

/** Storage slot of `mapping(bytes32 => Ticket) _tickets` (see the layout in membership tests). */
const TICKETS_SLOT = 8n;

/** The hex (no 0x) of an ASCII needle. */
const hexOf = (text: string) => Buffer.from(text, "ascii").toString("hex");

interface StructLog {
  op: string;
  stack?: string[];
}

describe("SettlementRegistry: attacks", function () {
  it("a copied pending create makes a different record; the victim's create still lands", async function () {
    const cast = await loadFixture(consortiumFixture);
    const { registry, originator, outsider } = cast;
    const r = await oneTimeRoute(cast.labels);
    const victimTx = await registry
      .connect(originator)
      .createTicket.populateTransaction(REF, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags);

    // The attacker sees the pending transaction and sends its calldata first, with more gas.
    await networkHelpers.mine(); // a clean block boundary
    await ethers.provider.send("evm_setAutomine", [false]);
    try {
      const copy = await outsider.sendTransaction({
        to: victimTx.to,
        data: victimTx.data,
        gasPrice: 10n ** 10n,
      });
      const victim = await originator.sendTransaction({ ...victimTx, gasPrice: 10n ** 9n });
      await networkHelpers.mine();
      const [copyReceipt, victimReceipt] = await Promise.all([copy.wait(), victim.wait()]);
      expect(copyReceipt?.status).to.equal(1);
      expect(victimReceipt?.status).to.equal(1);
      expect(copyReceipt!.index).to.be.lessThan(victimReceipt!.index);
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }

    const mine = ticketKey(originator.address, REF);
    const theirs = ticketKey(outsider.address, REF);
    expect(mine).to.not.equal(theirs);
    expect((await registry.getTicket(mine)).originator).to.equal(originator.address);
    expect((await registry.getTicket(theirs)).originator).to.equal(outsider.address);
    // The victim keeps full control of its record...
    await expect(registry.connect(r.wallets[0]).approve(mine, 1, r.route))
      .to.emit(registry, "TicketApproved")
      .withArgs(mine, r.route[0], 1n, 0n);
    await expect(registry.connect(originator).cancel(mine))
      .to.emit(registry, "TicketCancelled")
      .withArgs(mine, 1n);
    // ...and the attacker cannot touch it.
    await expect(registry.connect(outsider).cancel(mine))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOriginator")
      .withArgs(mine, outsider.address, originator.address);
  });

  it("an approval of a version its approver never saw fails and names the current version", async function () {
    const cast = await loadFixture(openTicketFixture);
    const { registry, originator, ticket, route } = cast;
    // The custodian reads version 1; the CSD returns it; the originator amends it.
    await registry.connect(route.wallets[2]).reject(ticket, 1, route.route, ethers.id("reason"));
    const v2 = await oneTimeRoute(cast.labels);
    await registry
      .connect(originator)
      .revise(ticket, 1, TRADE_V2, ENVELOPE_V2, v2.route, v2.ephemeralKey, v2.viewTags);
    // The custodian's approval of what it read (version 1) does not land on version 2.
    await expect(registry.connect(route.wallets[0]).approve(ticket, 1, route.route))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
      .withArgs(ticket, 1n, 2n);
    // Nor does a decision sent with the new version but the old route.
    await expect(
      registry.connect(route.wallets[0]).approve(ticket, 2, route.route),
    ).to.be.revertedWithCustomError(registry, "SettlementRegistryRouteMismatch");
  });

  it("an approval cannot be replayed on a new version, even by the same party", async function () {
    const cast = await loadFixture(openTicketFixture);
    const { registry, originator, ticket, route } = cast;
    // The custodian signs and sends its approval of version 1; an attacker keeps the raw bytes.
    const custodian = route.wallets[0];
    const signed = await custodian.signTransaction(
      await custodian.populateTransaction({
        ...(await registry.approve.populateTransaction(ticket, 1, route.route)),
        gasLimit: 200_000n,
      }),
    );
    await (await ethers.provider.broadcastTransaction(signed)).wait();
    // The originator re-routes the open ticket (same parties, fresh addresses).
    const v2 = await oneTimeRoute(cast.labels);
    await registry
      .connect(originator)
      .revise(ticket, 1, TRADE, ENVELOPE, v2.route, v2.ephemeralKey, v2.viewTags);
    // The signed transaction cannot be sent again (its nonce is used)...
    const replay = await ethers.provider.broadcastTransaction(signed).then(
      () => "accepted",
      (e: unknown) => (e instanceof Error ? e.message : String(e)),
    );
    expect(replay).to.match(/nonce/i);
    // ...and a new one from the version-1 address fails: with version 1 it is stale, with
    // version 2 its address is not on the new route.
    await expect(registry.connect(custodian).approve(ticket, 1, route.route))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
      .withArgs(ticket, 1n, 2n);
    await expect(registry.connect(custodian).approve(ticket, 2, v2.route))
      .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
      .withArgs(ticket, route.route[0], v2.route[0]);
    const view = await registry.getTicket(ticket);
    expect([view.status, view.step, view.version]).to.deep.equal([Status.Open, 0n, 2n]);
  });

  it("no address but the one-time address of the current step can approve", async function () {
    const cast = await loadFixture(openTicketFixture);
    const { registry, ticket, route, admin, originator, custodian, outsider, stranger } = cast;
    const fresh = ethers.Wallet.createRandom(ethers.provider);
    await networkHelpers.setBalance(fresh.address, 10n ** 18n);
    // The custodian's well-known address is not its one-time address.
    for (const caller of [admin, originator, custodian, outsider, stranger, fresh]) {
      await expect(registry.connect(caller).approve(ticket, 1, route.route))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
        .withArgs(ticket, await caller.getAddress(), route.route[0]);
      await expect(registry.connect(caller).reject(ticket, 1, route.route, ethers.id("r")))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOnRoute")
        .withArgs(ticket, await caller.getAddress());
    }
    // Passing a route that names the attacker does not open the commitment.
    await expect(
      registry.connect(outsider).approve(ticket, 1, [outsider.address, ...route.route.slice(1)]),
    ).to.be.revertedWithCustomError(registry, "SettlementRegistryRouteMismatch");
  });

  it("a return puts no reason byte in calldata, logs or storage", async function () {
    const cast = await loadFixture(openTicketFixture);
    const { registry, ticket, route } = cast;
    const note = "settlement date differs from the CSD record";
    const reason = { qualifier: "NMAT", codes: ["DDAT", "DEAL"], note };
    const salt = ethers.hexlify(ethers.randomBytes(32));
    const commitment = ethers.keccak256(
      ethers.concat([salt, ethers.toUtf8Bytes(JSON.stringify(reason))]),
    );
    const tx = await registry.connect(route.wallets[1]).reject(ticket, 1, route.route, commitment);
    const receipt = await tx.wait();
    const needles = ["NMAT", "DDAT", "DEAL", "settlement date", "PENF", "REJT"].map(hexOf);

    const logs = receipt!.logs.map((l) => [...l.topics, l.data].join("")).join("");
    const trace = (await ethers.provider.send("debug_traceTransaction", [tx.hash, {}])) as {
      structLogs: StructLog[];
    };
    // Every value the transaction stored: the SSTORE operand (stack top is the slot, then value).
    const stored = trace.structLogs
      .filter((s) => s.op === "SSTORE" && s.stack !== undefined)
      .map((s) => s.stack![s.stack!.length - 2]);
    expect(stored.length, "the return writes storage").to.be.greaterThan(0);
    // And what the ticket's two slots hold afterwards.
    const base = BigInt(
      ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256"], [ticket, TICKETS_SLOT]),
      ),
    );
    const address = await registry.getAddress();
    const slots = await Promise.all(
      [0n, 1n].map((i) => ethers.provider.getStorage(address, base + i)),
    );
    expect(BigInt(slots[0]) & 0xffn, "the slot read is the ticket's").to.equal(Status.Returned);

    for (const [what, haystack] of [
      ["calldata", tx.data],
      ["logs", logs],
      ["stored values", stored.join("")],
      ["ticket slots", slots.join("")],
    ] as const) {
      for (const needle of needles) {
        expect(haystack.toLowerCase(), `${what} carries ${needle}`).to.not.include(needle);
      }
    }
    expect(receipt!.logs[0].data).to.include(commitment.slice(2));
  });

  it("a low-order x25519 key never reaches the directory", async function () {
    const { registry, outsider } = await loadFixture(consortiumFixture);
    const lowOrder = `0x01${"00".repeat(31)}`;
    await expect(
      registry.connect(outsider).registerKeys(lowOrder, partyKeys("outsider", 2).spendingKey),
    )
      .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidX25519Key")
      .withArgs(lowOrder);
    expect((await registry.getParty(outsider.address)).keyVersion).to.equal(1n);
  });
});
