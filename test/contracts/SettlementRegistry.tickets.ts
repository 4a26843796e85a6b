import { expect } from "chai";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { SettlementRegistry } from "../../typechain-types/index.js";

import {
  DDAT,
  ENVELOPE,
  ENVELOPE_V2,
  NARRATIVE,
  NMAT,
  PENF,
  REJT,
  Status,
  TICKET,
  TRADE,
  TRADE_V2,
  approvedOnceFixture,
  bytes4,
  cancelledFixture,
  completedFixture,
  consortiumFixture,
  ethers,
  networkHelpers,
  openTicketFixture,
  returnedFixture,
} from "./helpers.js";

const { loadFixture } = networkHelpers;

const OTHER = ethers.id("ticket:T-2016-0002");
const UNKNOWN = ethers.id("ticket:never-registered");

async function expectTicket(
  registry: SettlementRegistry,
  ticket: string,
  expected: {
    status: bigint;
    step: bigint;
    version: bigint;
    originator?: string;
    route?: string[];
    tradeCommitment?: string;
    envelopeCommitment?: string;
  },
): Promise<void> {
  const view = await registry.getTicket(ticket);
  expect(view.status, "status").to.equal(expected.status);
  expect(view.step, "step").to.equal(expected.step);
  expect(view.version, "version").to.equal(expected.version);
  if (expected.originator !== undefined) expect(view.originator).to.equal(expected.originator);
  if (expected.route !== undefined) expect([...view.route]).to.deep.equal(expected.route);
  if (expected.tradeCommitment !== undefined) {
    expect(view.tradeCommitment).to.equal(expected.tradeCommitment);
  }
  if (expected.envelopeCommitment !== undefined) {
    expect(view.envelopeCommitment).to.equal(expected.envelopeCommitment);
  }
}

describe("SettlementRegistry: tickets", function () {
  describe("createTicket", function () {
    it("registers the ticket, emits TicketCreated and one TicketRouted per route party", async function () {
      const { registry, originator, route } = await loadFixture(consortiumFixture);
      const tx = registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, route);
      await expect(tx)
        .to.emit(registry, "TicketCreated")
        .withArgs(TICKET, originator.address, TRADE, ENVELOPE, route);
      for (const [step, party] of route.entries()) {
        await expect(tx).to.emit(registry, "TicketRouted").withArgs(party, TICKET, step);
      }
      await expectTicket(registry, TICKET, {
        status: Status.Open,
        step: 0n,
        version: 1n,
        originator: originator.address,
        route,
        tradeCommitment: TRADE,
        envelopeCommitment: ENVELOPE,
      });
    });

    it("lets every route party find its notification by filtering on its own address", async function () {
      const { registry, csd, custodian } = await loadFixture(openTicketFixture);
      const forCsd = await registry.queryFilter(registry.filters.TicketRouted(csd.address));
      expect(forCsd).to.have.length(1);
      expect(forCsd[0].args.ticket).to.equal(TICKET);
      expect(forCsd[0].args.step).to.equal(2n);
      const forCustodian = await registry.queryFilter(
        registry.filters.TicketRouted(custodian.address, TICKET),
      );
      expect(forCustodian.map((e) => e.args.step)).to.deep.equal([0n]);
    });

    it("accepts a one-party route", async function () {
      const { registry, originator, csd } = await loadFixture(consortiumFixture);
      await expect(
        registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, [csd.address]),
      )
        .to.emit(registry, "TicketRouted")
        .withArgs(csd.address, TICKET, 0n);
      await expectTicket(registry, TICKET, {
        status: Status.Open,
        step: 0n,
        version: 1n,
        route: [csd.address],
      });
    });

    it("accepts an eight-party route", async function () {
      const { registry, originator, route, spares } = await loadFixture(consortiumFixture);
      const eight = [...spares.map((s) => s.address), ...route];
      await expect(registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, eight))
        .to.emit(registry, "TicketRouted")
        .withArgs(eight[7], TICKET, 7n);
      await expectTicket(registry, TICKET, {
        status: Status.Open,
        step: 0n,
        version: 1n,
        route: eight,
      });
    });

    it("lets any unsuspended party originate, the outsider included", async function () {
      const { registry, outsider, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry.connect(outsider).createTicket(OTHER, TRADE, ENVELOPE, [custodian.address]),
      )
        .to.emit(registry, "TicketCreated")
        .withArgs(OTHER, outsider.address, TRADE, ENVELOPE, [custodian.address]);
    });

    it("refuses an unknown originator (the admin included)", async function () {
      const { registry, admin, stranger, route } = await loadFixture(consortiumFixture);
      for (const caller of [stranger, admin]) {
        await expect(registry.connect(caller).createTicket(TICKET, TRADE, ENVELOPE, route))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses a suspended originator", async function () {
      const { registry, suspended, route } = await loadFixture(consortiumFixture);
      await expect(registry.connect(suspended).createTicket(TICKET, TRADE, ENVELOPE, route))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(suspended.address);
    });

    it("refuses a zero ticket key or commitment", async function () {
      const { registry, originator, route } = await loadFixture(consortiumFixture);
      const zero = ethers.ZeroHash;
      for (const [ticket, trade, envelope] of [
        [zero, TRADE, ENVELOPE],
        [TICKET, zero, ENVELOPE],
        [TICKET, TRADE, zero],
      ]) {
        await expect(
          registry.connect(originator).createTicket(ticket, trade, envelope, route),
        ).to.be.revertedWithCustomError(registry, "SettlementRegistryZeroValue");
      }
    });

    it("refuses a ticket key already used, whatever the ticket's state", async function () {
      for (const fixture of [openTicketFixture, completedFixture, cancelledFixture]) {
        const { registry, originator, outsider, route } = await loadFixture(fixture);
        for (const caller of [originator, outsider]) {
          await expect(registry.connect(caller).createTicket(TICKET, TRADE_V2, ENVELOPE_V2, route))
            .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketExists")
            .withArgs(TICKET);
        }
      }
    });

    it("refuses an empty route", async function () {
      const { registry, originator } = await loadFixture(consortiumFixture);
      await expect(registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, []))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteLength")
        .withArgs(0n);
    });

    it("refuses a route longer than eight parties", async function () {
      const { registry, originator, route, spares, outsider } =
        await loadFixture(consortiumFixture);
      const nine = [...spares.map((s) => s.address), ...route, outsider.address];
      await expect(registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, nine))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteLength")
        .withArgs(9n);
    });

    it("refuses a duplicate route party, adjacent or not", async function () {
      const { registry, originator, custodian, broker, csd } = await loadFixture(consortiumFixture);
      for (const route of [
        [custodian.address, custodian.address],
        [custodian.address, broker.address, csd.address, broker.address],
      ]) {
        await expect(registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, route))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryDuplicateRouteParty")
          .withArgs(route[route.length - 1]);
      }
    });

    it("refuses the zero address on the route", async function () {
      const { registry, originator, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry
          .connect(originator)
          .createTicket(TICKET, TRADE, ENVELOPE, [custodian.address, ethers.ZeroAddress]),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
        .withArgs(ethers.ZeroAddress);
    });

    it("refuses a route party that was never admitted", async function () {
      const { registry, originator, stranger, route } = await loadFixture(consortiumFixture);
      await expect(
        registry
          .connect(originator)
          .createTicket(TICKET, TRADE, ENVELOPE, [...route.slice(0, 2), stranger.address]),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
        .withArgs(stranger.address);
    });

    it("refuses a suspended route party", async function () {
      const { registry, originator, suspended, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry
          .connect(originator)
          .createTicket(TICKET, TRADE, ENVELOPE, [custodian.address, suspended.address]),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(suspended.address);
    });

    it("refuses the originator on its own route", async function () {
      const { registry, originator, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry
          .connect(originator)
          .createTicket(TICKET, TRADE, ENVELOPE, [custodian.address, originator.address]),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryOriginatorOnRoute")
        .withArgs(originator.address);
    });

    it("refuses a route party without an encryption key", async function () {
      const { registry, originator, keyless, custodian } = await loadFixture(consortiumFixture);
      await expect(
        registry
          .connect(originator)
          .createTicket(TICKET, TRADE, ENVELOPE, [custodian.address, keyless.address]),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNoEncryptionKey")
        .withArgs(keyless.address);
    });
  });

  describe("approve", function () {
    it("records the OK of the party whose turn it is", async function () {
      const { registry, custodian, originator, route } = await loadFixture(openTicketFixture);
      const tx = registry.connect(custodian).approve(TICKET);
      await expect(tx)
        .to.emit(registry, "TicketApproved")
        .withArgs(TICKET, custodian.address, 1n, 0n);
      await expect(tx).not.to.emit(registry, "TicketCompleted");
      await expectTicket(registry, TICKET, {
        status: Status.Open,
        step: 1n,
        version: 1n,
        originator: originator.address,
        route,
      });
    });

    it("completes the ticket on the final approver's OK", async function () {
      const { registry, broker, csd } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(broker).approve(TICKET))
        .to.emit(registry, "TicketApproved")
        .withArgs(TICKET, broker.address, 1n, 1n);
      const tx = registry.connect(csd).approve(TICKET);
      await expect(tx).to.emit(registry, "TicketApproved").withArgs(TICKET, csd.address, 1n, 2n);
      await expect(tx).to.emit(registry, "TicketCompleted").withArgs(TICKET, 1n);
      await expectTicket(registry, TICKET, { status: Status.Completed, step: 3n, version: 1n });
    });

    it("completes a one-party route with a single OK", async function () {
      const { registry, originator, csd } = await loadFixture(consortiumFixture);
      await registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, [csd.address]);
      const tx = registry.connect(csd).approve(TICKET);
      await expect(tx).to.emit(registry, "TicketApproved").withArgs(TICKET, csd.address, 1n, 0n);
      await expect(tx).to.emit(registry, "TicketCompleted").withArgs(TICKET, 1n);
      await expectTicket(registry, TICKET, { status: Status.Completed, step: 1n, version: 1n });
    });

    it("walks an eight-party route in order to completion", async function () {
      const { registry, originator, route, spares, custodian, broker, csd } =
        await loadFixture(consortiumFixture);
      const signers: HardhatEthersSigner[] = [...spares, custodian, broker, csd];
      const eight = [...spares.map((s) => s.address), ...route];
      await registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, eight);
      for (const [step, signer] of signers.entries()) {
        const tx = registry.connect(signer).approve(TICKET);
        await expect(tx)
          .to.emit(registry, "TicketApproved")
          .withArgs(TICKET, signer.address, 1n, step);
        if (step < 7) await expect(tx).not.to.emit(registry, "TicketCompleted");
        else await expect(tx).to.emit(registry, "TicketCompleted").withArgs(TICKET, 1n);
      }
      await expectTicket(registry, TICKET, { status: Status.Completed, step: 8n, version: 1n });
    });

    it("refuses an admitted party that is not on the route, and the originator", async function () {
      const { registry, outsider, originator, custodian } = await loadFixture(openTicketFixture);
      for (const caller of [outsider, originator]) {
        await expect(registry.connect(caller).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
          .withArgs(TICKET, caller.address, custodian.address);
      }
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(openTicketFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses route parties out of turn", async function () {
      const { registry, broker, csd, custodian } = await loadFixture(openTicketFixture);
      for (const caller of [broker, csd]) {
        await expect(registry.connect(caller).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
          .withArgs(TICKET, caller.address, custodian.address);
      }
    });

    it("refuses a second OK from the same party", async function () {
      const { registry, custodian, broker } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(custodian).approve(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
        .withArgs(TICKET, custodian.address, broker.address);
    });

    it("refuses a suspended approver whose turn it is", async function () {
      const { registry, admin, custodian } = await loadFixture(openTicketFixture);
      await registry.connect(admin).suspendParty(custodian.address);
      await expect(registry.connect(custodian).approve(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(custodian.address);
    });

    it("refuses an unknown ticket", async function () {
      const { registry, custodian } = await loadFixture(openTicketFixture);
      await expect(registry.connect(custodian).approve(UNKNOWN))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
    });

    it("refuses a completed ticket", async function () {
      const { registry, csd } = await loadFixture(completedFixture);
      await expect(registry.connect(csd).approve(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
        .withArgs(TICKET, Status.Completed);
    });

    it("refuses a cancelled ticket", async function () {
      const { registry, custodian } = await loadFixture(cancelledFixture);
      await expect(registry.connect(custodian).approve(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
        .withArgs(TICKET, Status.Cancelled);
    });

    it("refuses a returned ticket until it is amended", async function () {
      const { registry, custodian, broker } = await loadFixture(returnedFixture);
      for (const caller of [custodian, broker]) {
        await expect(registry.connect(caller).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(TICKET, Status.Returned);
      }
    });
  });

  describe("reject", function () {
    it("returns the ticket to the originator with the reason, at the current step", async function () {
      const { registry, custodian } = await loadFixture(openTicketFixture);
      await expect(registry.connect(custodian).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.emit(registry, "TicketReturned")
        .withArgs(TICKET, custodian.address, 1n, 0n, NMAT, DDAT, NARRATIVE);
      await expectTicket(registry, TICKET, { status: Status.Returned, step: 0n, version: 1n });
    });

    it("lets a later route party return the ticket before its turn", async function () {
      const { registry, csd } = await loadFixture(openTicketFixture);
      await expect(registry.connect(csd).reject(TICKET, PENF, bytes4("LACK"), ethers.ZeroHash))
        .to.emit(registry, "TicketReturned")
        .withArgs(TICKET, csd.address, 1n, 2n, PENF, bytes4("LACK"), ethers.ZeroHash);
      await expectTicket(registry, TICKET, { status: Status.Returned, step: 2n, version: 1n });
    });

    it("accepts each status qualifier and the edge letters A and Z", async function () {
      for (const [qualifier, reason] of [
        [NMAT, bytes4("AAAA")],
        [PENF, bytes4("ZZZZ")],
        [REJT, bytes4("SAFE")],
      ]) {
        const { registry, broker } = await loadFixture(approvedOnceFixture);
        await expect(registry.connect(broker).reject(TICKET, qualifier, reason, NARRATIVE))
          .to.emit(registry, "TicketReturned")
          .withArgs(TICKET, broker.address, 1n, 1n, qualifier, reason, NARRATIVE);
      }
    });

    it("refuses an admitted party that is not on the route, and the originator", async function () {
      const { registry, outsider, originator } = await loadFixture(openTicketFixture);
      for (const caller of [outsider, originator]) {
        await expect(registry.connect(caller).reject(TICKET, NMAT, DDAT, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOnRoute")
          .withArgs(TICKET, caller.address);
      }
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(openTicketFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).reject(TICKET, NMAT, DDAT, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses a party that is not on a full eight-party route", async function () {
      const { registry, originator, outsider, route, spares } =
        await loadFixture(consortiumFixture);
      const eight = [...spares.map((s) => s.address), ...route];
      await registry.connect(originator).createTicket(TICKET, TRADE, ENVELOPE, eight);
      await expect(registry.connect(outsider).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOnRoute")
        .withArgs(TICKET, outsider.address);
    });

    it("refuses a party that already approved the current version", async function () {
      const { registry, custodian } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(custodian).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryAlreadyApproved")
        .withArgs(TICKET, custodian.address, 0n);
    });

    it("refuses a second NG", async function () {
      const { registry, csd, broker } = await loadFixture(returnedFixture);
      for (const caller of [csd, broker]) {
        await expect(registry.connect(caller).reject(TICKET, NMAT, DDAT, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(TICKET, Status.Returned);
      }
    });

    it("refuses a completed ticket", async function () {
      const { registry, csd } = await loadFixture(completedFixture);
      await expect(registry.connect(csd).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
        .withArgs(TICKET, Status.Completed);
    });

    it("refuses a cancelled ticket", async function () {
      const { registry, custodian } = await loadFixture(cancelledFixture);
      await expect(registry.connect(custodian).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
        .withArgs(TICKET, Status.Cancelled);
    });

    it("refuses an unknown ticket", async function () {
      const { registry, custodian } = await loadFixture(openTicketFixture);
      await expect(registry.connect(custodian).reject(UNKNOWN, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
    });

    it("refuses an unknown status qualifier", async function () {
      const { registry, custodian } = await loadFixture(openTicketFixture);
      for (const qualifier of [bytes4("PEND"), bytes4("nmat"), bytes4("CAND"), "0x00000000"]) {
        await expect(registry.connect(custodian).reject(TICKET, qualifier, DDAT, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidReason")
          .withArgs(qualifier, DDAT);
      }
    });

    it("refuses a reason code that is not four upper-case letters", async function () {
      const { registry, custodian } = await loadFixture(openTicketFixture);
      // '@' and '[' sit just outside A..Z; each position is checked.
      for (const reason of [
        bytes4("ddat"),
        bytes4("DDA1"),
        bytes4("@AAA"),
        bytes4("A[AA"),
        bytes4("AA@A"),
        bytes4("AAA["),
        bytes4("DD T"),
        "0x00000000",
        "0x444441ff",
      ]) {
        await expect(registry.connect(custodian).reject(TICKET, NMAT, reason, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidReason")
          .withArgs(NMAT, reason);
      }
    });

    it("refuses a suspended route party", async function () {
      const { registry, admin, csd } = await loadFixture(openTicketFixture);
      await registry.connect(admin).suspendParty(csd.address);
      await expect(registry.connect(csd).reject(TICKET, NMAT, DDAT, NARRATIVE))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(csd.address);
    });
  });

  describe("amend", function () {
    it("resubmits a returned ticket as the next version and restarts approvals", async function () {
      const { registry, originator, custodian, broker } = await loadFixture(returnedFixture);
      await expect(registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2))
        .to.emit(registry, "TicketAmended")
        .withArgs(TICKET, 2n, TRADE_V2, ENVELOPE_V2);
      await expectTicket(registry, TICKET, {
        status: Status.Open,
        step: 0n,
        version: 2n,
        originator: originator.address,
        tradeCommitment: TRADE_V2,
        envelopeCommitment: ENVELOPE_V2,
      });
      // The custodian approved version 1; version 2 needs its OK again.
      await expect(registry.connect(broker).approve(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
        .withArgs(TICKET, broker.address, custodian.address);
      await expect(registry.connect(custodian).approve(TICKET))
        .to.emit(registry, "TicketApproved")
        .withArgs(TICKET, custodian.address, 2n, 0n);
    });

    it("keeps the whole history readable through events", async function () {
      const { registry, originator, custodian, broker, csd } = await loadFixture(returnedFixture);
      await registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2);
      for (const approver of [custodian, broker, csd])
        await registry.connect(approver).approve(TICKET);

      const returned = await registry.queryFilter(registry.filters.TicketReturned(TICKET));
      expect(returned.map((e) => [e.args.party, e.args.version, e.args.reason])).to.deep.equal([
        [csd.address, 1n, DDAT],
      ]);
      const amended = await registry.queryFilter(registry.filters.TicketAmended(TICKET));
      expect(amended.map((e) => [e.args.version, e.args.tradeCommitment])).to.deep.equal([
        [2n, TRADE_V2],
      ]);
      const approvals = await registry.queryFilter(registry.filters.TicketApproved(TICKET));
      expect(approvals.map((e) => [e.args.approver, e.args.version, e.args.step])).to.deep.equal([
        [custodian.address, 1n, 0n],
        [custodian.address, 2n, 0n],
        [broker.address, 2n, 1n],
        [csd.address, 2n, 2n],
      ]);
      const completed = await registry.queryFilter(registry.filters.TicketCompleted(TICKET));
      expect(completed.map((e) => e.args.version)).to.deep.equal([2n]);
    });

    it("refuses anyone but the originator", async function () {
      const { registry, originator, custodian, csd, outsider } = await loadFixture(returnedFixture);
      for (const caller of [custodian, csd, outsider]) {
        await expect(registry.connect(caller).amend(TICKET, TRADE_V2, ENVELOPE_V2))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOriginator")
          .withArgs(TICKET, caller.address, originator.address);
      }
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(returnedFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).amend(TICKET, TRADE_V2, ENVELOPE_V2))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses a ticket that is not returned", async function () {
      for (const [fixture, status] of [
        [openTicketFixture, Status.Open],
        [approvedOnceFixture, Status.Open],
        [completedFixture, Status.Completed],
        [cancelledFixture, Status.Cancelled],
      ] as const) {
        const { registry, originator } = await loadFixture(fixture);
        await expect(registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotReturned")
          .withArgs(TICKET, status);
      }
    });

    it("refuses an unknown ticket", async function () {
      const { registry, originator } = await loadFixture(returnedFixture);
      await expect(registry.connect(originator).amend(UNKNOWN, TRADE_V2, ENVELOPE_V2))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
    });

    it("refuses zero commitments", async function () {
      const { registry, originator } = await loadFixture(returnedFixture);
      for (const [trade, envelope] of [
        [ethers.ZeroHash, ENVELOPE_V2],
        [TRADE_V2, ethers.ZeroHash],
      ]) {
        await expect(
          registry.connect(originator).amend(TICKET, trade, envelope),
        ).to.be.revertedWithCustomError(registry, "SettlementRegistryZeroValue");
      }
    });

    it("cannot wrap the version around: it only grows, up to 2^24 - 1", async function () {
      const { registry, originator } = await loadFixture(returnedFixture);
      // _tickets is the ninth state variable (slot 8); the hot slot packs, from the low bytes:
      // status (1 byte), step (1), version (3), originator (3), route (24).
      const address = await registry.getAddress();
      const slot = BigInt(ethers.solidityPackedKeccak256(["bytes32", "uint256"], [TICKET, 8n]));
      const hot = BigInt(await ethers.provider.getStorage(address, slot));
      expect(hot & 0xffn, "status byte").to.equal(Status.Returned);
      expect((hot >> 16n) & 0xffffffn, "version bytes").to.equal(1n);
      const max = 2n ** 24n - 1n;
      await networkHelpers.setStorageAt(address, slot, (hot & ~(0xffffffn << 16n)) | (max << 16n));
      expect((await registry.getTicket(TICKET)).version).to.equal(max);
      await expect(
        registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2),
      ).to.be.revertedWithPanic(0x11);
    });

    it("refuses a suspended originator", async function () {
      const { registry, admin, originator } = await loadFixture(returnedFixture);
      await registry.connect(admin).suspendParty(originator.address);
      await expect(registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(originator.address);
    });
  });

  describe("cancel", function () {
    it("cancels an open ticket", async function () {
      const { registry, originator } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(originator).cancel(TICKET))
        .to.emit(registry, "TicketCancelled")
        .withArgs(TICKET, 1n);
      await expectTicket(registry, TICKET, { status: Status.Cancelled, step: 1n, version: 1n });
    });

    it("cancels a returned ticket, and an amended one at its current version", async function () {
      const { registry, originator } = await loadFixture(returnedFixture);
      const snapshot = await networkHelpers.takeSnapshot();
      await expect(registry.connect(originator).cancel(TICKET))
        .to.emit(registry, "TicketCancelled")
        .withArgs(TICKET, 1n);
      await snapshot.restore();
      await registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2);
      await expect(registry.connect(originator).cancel(TICKET))
        .to.emit(registry, "TicketCancelled")
        .withArgs(TICKET, 2n);
      await expectTicket(registry, TICKET, { status: Status.Cancelled, step: 0n, version: 2n });
    });

    it("refuses a completed or cancelled ticket", async function () {
      for (const [fixture, status] of [
        [completedFixture, Status.Completed],
        [cancelledFixture, Status.Cancelled],
      ] as const) {
        const { registry, originator } = await loadFixture(fixture);
        await expect(registry.connect(originator).cancel(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketFinal")
          .withArgs(TICKET, status);
      }
    });

    it("refuses anyone but the originator", async function () {
      const { registry, originator, custodian, outsider } = await loadFixture(openTicketFixture);
      for (const caller of [custodian, outsider]) {
        await expect(registry.connect(caller).cancel(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOriginator")
          .withArgs(TICKET, caller.address, originator.address);
      }
    });

    it("refuses a caller that is not a party (the admin included)", async function () {
      const { registry, admin, stranger } = await loadFixture(openTicketFixture);
      for (const caller of [admin, stranger]) {
        await expect(registry.connect(caller).cancel(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses an unknown ticket", async function () {
      const { registry, originator } = await loadFixture(openTicketFixture);
      await expect(registry.connect(originator).cancel(UNKNOWN))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
    });

    it("refuses a suspended originator", async function () {
      const { registry, admin, originator } = await loadFixture(openTicketFixture);
      await registry.connect(admin).suspendParty(originator.address);
      await expect(registry.connect(originator).cancel(TICKET))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(originator.address);
    });
  });

  describe("final tickets never change", function () {
    for (const [label, fixture, status] of [
      ["completed", completedFixture, Status.Completed],
      ["cancelled", cancelledFixture, Status.Cancelled],
    ] as const) {
      it(`a ${label} ticket refuses every action and keeps its record`, async function () {
        const { registry, originator, custodian, broker, csd } = await loadFixture(fixture);
        const before = await registry.getTicket(TICKET);
        await expect(registry.connect(custodian).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(TICKET, status);
        await expect(registry.connect(csd).approve(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(TICKET, status);
        await expect(registry.connect(broker).reject(TICKET, REJT, DDAT, NARRATIVE))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(TICKET, status);
        await expect(registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotReturned")
          .withArgs(TICKET, status);
        await expect(registry.connect(originator).cancel(TICKET))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketFinal")
          .withArgs(TICKET, status);
        await expect(
          registry.connect(originator).createTicket(TICKET, TRADE_V2, ENVELOPE_V2, [csd.address]),
        )
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketExists")
          .withArgs(TICKET);
        expect(await registry.getTicket(TICKET)).to.deep.equal(before);
      });
    }
  });

  describe("pause", function () {
    it("refuses every ticket action while paused, and resumes after unpause", async function () {
      const { registry, admin, originator, custodian, csd, route } =
        await loadFixture(openTicketFixture);
      await registry.connect(admin).pause();
      const attempts = [
        registry.connect(originator).createTicket(OTHER, TRADE, ENVELOPE, route),
        registry.connect(custodian).approve(TICKET),
        registry.connect(csd).reject(TICKET, NMAT, DDAT, NARRATIVE),
        registry.connect(originator).amend(TICKET, TRADE_V2, ENVELOPE_V2),
        registry.connect(originator).cancel(TICKET),
      ];
      for (const attempt of attempts) {
        await expect(attempt).to.be.revertedWithCustomError(registry, "EnforcedPause");
      }
      await expectTicket(registry, TICKET, { status: Status.Open, step: 0n, version: 1n });

      await registry.connect(admin).unpause();
      await expect(registry.connect(custodian).approve(TICKET))
        .to.emit(registry, "TicketApproved")
        .withArgs(TICKET, custodian.address, 1n, 0n);
    });
  });

  describe("getTicket", function () {
    it("answers status None and empty fields for an unknown key", async function () {
      const { registry } = await loadFixture(openTicketFixture);
      const view = await registry.getTicket(UNKNOWN);
      expect(view.status).to.equal(Status.None);
      expect(view.step).to.equal(0n);
      expect(view.version).to.equal(0n);
      expect(view.originator).to.equal(ethers.ZeroAddress);
      expect([...view.route]).to.deep.equal([]);
      expect(view.tradeCommitment).to.equal(ethers.ZeroHash);
      expect(view.envelopeCommitment).to.equal(ethers.ZeroHash);
    });

    it("shows the same record to every caller", async function () {
      const { registry, outsider, csd, route, originator } = await loadFixture(openTicketFixture);
      const a = await registry.connect(csd).getTicket(TICKET);
      const b = await registry.connect(outsider).getTicket(TICKET);
      expect(a).to.deep.equal(b);
      expect(a.originator).to.equal(originator.address);
      expect([...a.route]).to.deep.equal(route);
    });
  });
});
