import { expect } from "chai";

import type { SettlementRegistry } from "../../typechain-types/index.js";

import {
  ENVELOPE,
  ENVELOPE_V2,
  REASON,
  REF,
  Status,
  TRADE,
  TRADE_V2,
  approvedOnceFixture,
  cancelledFixture,
  completedFixture,
  consortiumFixture,
  create,
  ethers,
  networkHelpers,
  oneTimeRoute,
  openTicketFixture,
  returnedFixture,
  routeCommitment,
  ticketKey,
} from "./helpers.js";

const { loadFixture } = networkHelpers;

const UNKNOWN = ethers.id("ticket:never-registered");
/** A valid ephemeral key for announcements the tests build by hand. */
const EPHEMERAL = `0x09${"00".repeat(31)}`;
const TAGS = "0x0102030405060708";

async function expectTicket(
  registry: SettlementRegistry,
  ticket: string,
  expected: {
    status: bigint;
    step: bigint;
    version: bigint;
    steps?: bigint;
    originator?: string;
    route?: readonly string[];
  },
): Promise<void> {
  const view = await registry.getTicket(ticket);
  expect(view.status, "status").to.equal(expected.status);
  expect(view.step, "step").to.equal(expected.step);
  expect(view.version, "version").to.equal(expected.version);
  if (expected.steps !== undefined) expect(view.steps, "steps").to.equal(expected.steps);
  if (expected.originator !== undefined) expect(view.originator).to.equal(expected.originator);
  if (expected.route !== undefined) {
    expect(view.routeCommitment).to.equal(routeCommitment(expected.route));
  }
}

describe("SettlementRegistry: tickets", function () {
  describe("createTicket", function () {
    it("creates the record under keccak(originator, ref) and announces the route", async function () {
      const cast = await loadFixture(consortiumFixture);
      const { registry, originator } = cast;
      const r = await oneTimeRoute(cast.labels);
      const ticket = ticketKey(originator.address, REF);
      expect(await registry.ticketKey(originator.address, REF)).to.equal(ticket);
      expect(
        await registry
          .connect(originator)
          .createTicket.staticCall(REF, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags),
      ).to.equal(ticket);
      await expect(create(cast, r))
        .to.emit(registry, "TicketCreated")
        .withArgs(ticket, originator.address, TRADE, ENVELOPE, r.route, r.ephemeralKey, r.viewTags);
      await expectTicket(registry, ticket, {
        status: Status.Open,
        step: 0n,
        steps: 3n,
        version: 1n,
        originator: originator.address,
        route: r.route,
      });
    });

    it("names no route party: the route is one-time addresses, fresh on every ticket", async function () {
      const cast = await loadFixture(consortiumFixture);
      const a = await oneTimeRoute(cast.labels);
      const b = await oneTimeRoute(cast.labels);
      const known = (await ethers.getSigners()).map((s) => s.address);
      for (const address of [...a.route, ...b.route]) expect(known).to.not.include(address);
      expect(a.route.filter((x) => b.route.includes(x))).to.deep.equal([]);
    });

    it("accepts every route length from 1 to 8", async function () {
      const cast = await loadFixture(consortiumFixture);
      const labels = [...cast.labels, "outsider", "spare-0", "spare-1", "spare-2", "spare-3"];
      for (let n = 1; n <= 8; n++) {
        const r = await oneTimeRoute(labels.slice(0, n));
        await create(cast, r, ethers.id(`ref:${n}`));
        const view = await cast.registry.getTicket(
          ticketKey(cast.originator.address, ethers.id(`ref:${n}`)),
        );
        expect(view.steps).to.equal(BigInt(n));
      }
    });

    it("refuses a ref it already holds from the same sender", async function () {
      const cast = await loadFixture(openTicketFixture);
      const r = await oneTimeRoute(cast.labels);
      await expect(create(cast, r))
        .to.be.revertedWithCustomError(cast.registry, "SettlementRegistryTicketExists")
        .withArgs(cast.ticket);
    });

    it("refuses zero ref or commitments", async function () {
      const { registry, originator } = await loadFixture(consortiumFixture);
      const z = ethers.ZeroHash;
      const route = [ethers.Wallet.createRandom().address];
      for (const [ref, trade, envelope] of [
        [z, TRADE, ENVELOPE],
        [REF, z, ENVELOPE],
        [REF, TRADE, z],
      ]) {
        await expect(
          registry.connect(originator).createTicket(ref, trade, envelope, route, EPHEMERAL, TAGS),
        ).to.be.revertedWithCustomError(registry, "SettlementRegistryZeroValue");
      }
    });

    it("refuses an empty route and one longer than 8", async function () {
      const { registry, originator } = await loadFixture(consortiumFixture);
      const nine = Array.from({ length: 9 }, () => ethers.Wallet.createRandom().address);
      for (const route of [[], nine]) {
        await expect(
          registry.connect(originator).createTicket(REF, TRADE, ENVELOPE, route, EPHEMERAL, TAGS),
        )
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteLength")
          .withArgs(route.length);
      }
    });

    it("refuses the zero address, the originator itself and repeated addresses", async function () {
      const { registry, originator } = await loadFixture(consortiumFixture);
      const a = ethers.Wallet.createRandom().address;
      const b = ethers.Wallet.createRandom().address;
      const send = (route: string[]) =>
        registry.connect(originator).createTicket(REF, TRADE, ENVELOPE, route, EPHEMERAL, TAGS);
      await expect(send([a, ethers.ZeroAddress]))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteAddress")
        .withArgs(ethers.ZeroAddress);
      await expect(send([originator.address, a]))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteAddress")
        .withArgs(originator.address);
      await expect(send([a, b, a]))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryDuplicateRouteAddress")
        .withArgs(a);
    });

    it("refuses a small-order or non-canonical ephemeral key", async function () {
      const { registry, originator } = await loadFixture(consortiumFixture);
      const route = [ethers.Wallet.createRandom().address];
      for (const key of [ethers.ZeroHash, `0x01${"00".repeat(31)}`, `0x${"ff".repeat(32)}`]) {
        await expect(
          registry.connect(originator).createTicket(REF, TRADE, ENVELOPE, route, key, TAGS),
        )
          .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidX25519Key")
          .withArgs(key);
      }
    });

    it("refuses a suspended party, a stranger and the admin", async function () {
      const { registry, suspended, stranger, admin } = await loadFixture(consortiumFixture);
      const route = [ethers.Wallet.createRandom().address];
      await expect(
        registry.connect(suspended).createTicket(REF, TRADE, ENVELOPE, route, EPHEMERAL, TAGS),
      )
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(suspended.address);
      for (const caller of [stranger, admin]) {
        await expect(
          registry.connect(caller).createTicket(REF, TRADE, ENVELOPE, route, EPHEMERAL, TAGS),
        )
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
          .withArgs(caller.address);
      }
    });

    it("refuses while paused", async function () {
      const cast = await loadFixture(consortiumFixture);
      await cast.registry.connect(cast.admin).pause();
      const r = await oneTimeRoute(cast.labels);
      await expect(create(cast, r)).to.be.revertedWithCustomError(cast.registry, "EnforcedPause");
    });
  });

  describe("approve", function () {
    it("advances one step per approval and completes on the last", async function () {
      const { registry, ticket, route } = await loadFixture(openTicketFixture);
      for (const [step, wallet] of route.wallets.entries()) {
        const tx = registry.connect(wallet).approve(ticket, 1, route.route);
        await expect(tx)
          .to.emit(registry, "TicketApproved")
          .withArgs(ticket, wallet.address, 1n, step);
        if (step === 2) {
          await expect(tx).to.emit(registry, "TicketCompleted").withArgs(ticket, 1n);
        } else {
          await expect(tx).to.not.emit(registry, "TicketCompleted");
        }
      }
      await expectTicket(registry, ticket, { status: Status.Completed, step: 3n, version: 1n });
    });

    it("refuses anyone but the address at the current step", async function () {
      const { registry, ticket, route, originator, custodian } =
        await loadFixture(openTicketFixture);
      for (const caller of [route.wallets[1], route.wallets[2], originator, custodian]) {
        await expect(registry.connect(caller).approve(ticket, 1, route.route))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
          .withArgs(ticket, await caller.getAddress(), route.route[0]);
      }
    });

    it("refuses a second approval of the same step", async function () {
      const { registry, ticket, route } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(route.wallets[0]).approve(ticket, 1, route.route))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotNextApprover")
        .withArgs(ticket, route.route[0], route.route[1]);
    });

    it("refuses a route that is not the committed one", async function () {
      const { registry, ticket, route } = await loadFixture(openTicketFixture);
      const swapped = [route.route[1], route.route[0], route.route[2]];
      await expect(registry.connect(route.wallets[1]).approve(ticket, 1, swapped))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryRouteMismatch")
        .withArgs(ticket, routeCommitment(swapped), routeCommitment(route.route));
    });

    it("refuses a version other than the current one", async function () {
      const { registry, ticket, route } = await loadFixture(openTicketFixture);
      for (const version of [0, 2]) {
        await expect(registry.connect(route.wallets[0]).approve(ticket, version, route.route))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
          .withArgs(ticket, version, 1n);
      }
    });

    it("refuses unknown, returned, completed and cancelled tickets", async function () {
      const open = await loadFixture(openTicketFixture);
      await expect(
        open.registry.connect(open.route.wallets[0]).approve(UNKNOWN, 1, open.route.route),
      )
        .to.be.revertedWithCustomError(open.registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
      for (const [fixture, status] of [
        [returnedFixture, Status.Returned],
        [completedFixture, Status.Completed],
        [cancelledFixture, Status.Cancelled],
      ] as const) {
        const { registry, ticket, route } = await loadFixture(fixture);
        await expect(registry.connect(route.wallets[2]).approve(ticket, 1, route.route))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
          .withArgs(ticket, status);
      }
    });

    it("refuses while paused", async function () {
      const { registry, admin, ticket, route } = await loadFixture(openTicketFixture);
      await registry.connect(admin).pause();
      await expect(
        registry.connect(route.wallets[0]).approve(ticket, 1, route.route),
      ).to.be.revertedWithCustomError(registry, "EnforcedPause");
    });
  });

  describe("reject", function () {
    it("returns the ticket from the current step with the reason commitment only", async function () {
      const { registry, ticket, route } = await loadFixture(openTicketFixture);
      await expect(registry.connect(route.wallets[0]).reject(ticket, 1, route.route, REASON))
        .to.emit(registry, "TicketReturned")
        .withArgs(ticket, route.route[0], 1n, 0n, REASON);
      await expectTicket(registry, ticket, { status: Status.Returned, step: 0n, version: 1n });
    });

    it("lets a later party return before its turn", async function () {
      const { registry, ticket, route } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(route.wallets[2]).reject(ticket, 1, route.route, REASON))
        .to.emit(registry, "TicketReturned")
        .withArgs(ticket, route.route[2], 1n, 2n, REASON);
      await expectTicket(registry, ticket, { status: Status.Returned, step: 2n, version: 1n });
    });

    it("refuses a party that already approved this version", async function () {
      const { registry, ticket, route } = await loadFixture(approvedOnceFixture);
      await expect(registry.connect(route.wallets[0]).reject(ticket, 1, route.route, REASON))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryAlreadyApproved")
        .withArgs(ticket, route.route[0], 0n);
    });

    it("refuses an address that is not on the route", async function () {
      const { registry, ticket, route, csd, originator } = await loadFixture(openTicketFixture);
      for (const caller of [csd, originator]) {
        await expect(registry.connect(caller).reject(ticket, 1, route.route, REASON))
          .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOnRoute")
          .withArgs(ticket, caller.address);
      }
    });

    it("refuses a zero reason commitment, a stale version and a wrong route", async function () {
      const { registry, ticket, route } = await loadFixture(openTicketFixture);
      const w = route.wallets[1];
      await expect(
        registry.connect(w).reject(ticket, 1, route.route, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(registry, "SettlementRegistryZeroValue");
      await expect(registry.connect(w).reject(ticket, 2, route.route, REASON))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
        .withArgs(ticket, 2n, 1n);
      const shorter = route.route.slice(0, 2);
      await expect(registry.connect(w).reject(ticket, 1, shorter, REASON))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryRouteMismatch")
        .withArgs(ticket, routeCommitment(shorter), routeCommitment(route.route));
    });

    it("refuses a returned ticket (one decision per step per version)", async function () {
      const { registry, ticket, route } = await loadFixture(returnedFixture);
      await expect(registry.connect(route.wallets[1]).reject(ticket, 1, route.route, REASON))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryTicketNotOpen")
        .withArgs(ticket, Status.Returned);
    });
  });

  describe("revise", function () {
    it("amends a returned ticket: new version, commitments and addresses, step 0", async function () {
      const cast = await loadFixture(returnedFixture);
      const { registry, originator, ticket } = cast;
      const next = await oneTimeRoute(cast.labels);
      await expect(
        registry
          .connect(originator)
          .revise(ticket, 1, TRADE_V2, ENVELOPE_V2, next.route, next.ephemeralKey, next.viewTags),
      )
        .to.emit(registry, "TicketRevised")
        .withArgs(ticket, 2n, TRADE_V2, ENVELOPE_V2, next.route, next.ephemeralKey, next.viewTags);
      await expectTicket(registry, ticket, {
        status: Status.Open,
        step: 0n,
        steps: 3n,
        version: 2n,
        route: next.route,
      });
      for (const [step, w] of next.wallets.entries()) {
        await expect(registry.connect(w).approve(ticket, 2, next.route))
          .to.emit(registry, "TicketApproved")
          .withArgs(ticket, w.address, 2n, step);
      }
    });

    it("re-routes an open ticket mid-way, around a suspended party", async function () {
      const cast = await loadFixture(approvedOnceFixture);
      const { registry, admin, originator, ticket, broker } = cast;
      await registry.connect(admin).suspendParty(broker.address);
      const next = await oneTimeRoute(["custodian-bank", "spare-0", "csd"]);
      await registry
        .connect(originator)
        .revise(ticket, 1, TRADE, ENVELOPE, next.route, next.ephemeralKey, next.viewTags);
      await expectTicket(registry, ticket, { status: Status.Open, step: 0n, version: 2n });
      // The suspended broker's version-1 address can no longer act.
      await expect(registry.connect(cast.route.wallets[1]).approve(ticket, 1, cast.route.route))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
        .withArgs(ticket, 1n, 2n);
    });

    it("changes the route length", async function () {
      const cast = await loadFixture(returnedFixture);
      const next = await oneTimeRoute(["csd"]);
      await cast.registry
        .connect(cast.originator)
        .revise(
          cast.ticket,
          1,
          TRADE_V2,
          ENVELOPE_V2,
          next.route,
          next.ephemeralKey,
          next.viewTags,
        );
      await cast.registry.connect(next.wallets[0]).approve(cast.ticket, 2, next.route);
      await expectTicket(cast.registry, cast.ticket, {
        status: Status.Completed,
        step: 1n,
        steps: 1n,
        version: 2n,
      });
    });

    it("refuses a stale version, zero commitments and a bad route or key", async function () {
      const cast = await loadFixture(returnedFixture);
      const { registry, originator, ticket } = cast;
      const next = await oneTimeRoute(cast.labels);
      const revise = (
        version: number,
        trade: string,
        route: string[],
        key: string = next.ephemeralKey,
      ) =>
        registry
          .connect(originator)
          .revise(ticket, version, trade, ENVELOPE_V2, route, key, next.viewTags);
      await expect(revise(2, TRADE_V2, next.route))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryStaleVersion")
        .withArgs(ticket, 2n, 1n);
      await expect(revise(1, ethers.ZeroHash, next.route)).to.be.revertedWithCustomError(
        registry,
        "SettlementRegistryZeroValue",
      );
      await expect(revise(1, TRADE_V2, []))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidRouteLength")
        .withArgs(0n);
      await expect(revise(1, TRADE_V2, [next.route[0], next.route[0]]))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryDuplicateRouteAddress")
        .withArgs(next.route[0]);
      await expect(revise(1, TRADE_V2, next.route, ethers.ZeroHash))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryInvalidX25519Key")
        .withArgs(ethers.ZeroHash);
    });

    it("refuses anyone but the originator, and a suspended originator", async function () {
      const cast = await loadFixture(returnedFixture);
      const { registry, ticket, admin, originator, custodian } = cast;
      const next = await oneTimeRoute(cast.labels);
      const revise = (caller: typeof originator) =>
        registry
          .connect(caller)
          .revise(ticket, 1, TRADE_V2, ENVELOPE_V2, next.route, next.ephemeralKey, next.viewTags);
      await expect(revise(custodian))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOriginator")
        .withArgs(ticket, custodian.address, originator.address);
      await registry.connect(admin).suspendParty(originator.address);
      await expect(revise(originator))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(originator.address);
    });

    it("refuses completed, cancelled and unknown tickets", async function () {
      for (const [fixture, status] of [
        [completedFixture, Status.Completed],
        [cancelledFixture, Status.Cancelled],
      ] as const) {
        const cast = await loadFixture(fixture);
        const r = cast.route;
        await expect(
          cast.registry
            .connect(cast.originator)
            .revise(cast.ticket, 1, TRADE_V2, ENVELOPE_V2, r.route, r.ephemeralKey, r.viewTags),
        )
          .to.be.revertedWithCustomError(cast.registry, "SettlementRegistryTicketFinal")
          .withArgs(cast.ticket, status);
      }
      const cast = await loadFixture(openTicketFixture);
      const r = cast.route;
      await expect(
        cast.registry
          .connect(cast.originator)
          .revise(UNKNOWN, 1, TRADE_V2, ENVELOPE_V2, r.route, r.ephemeralKey, r.viewTags),
      )
        .to.be.revertedWithCustomError(cast.registry, "SettlementRegistryUnknownTicket")
        .withArgs(UNKNOWN);
    });
  });

  describe("cancel", function () {
    it("cancels an open or a returned ticket", async function () {
      for (const fixture of [openTicketFixture, returnedFixture]) {
        const { registry, originator, ticket } = await loadFixture(fixture);
        await expect(registry.connect(originator).cancel(ticket))
          .to.emit(registry, "TicketCancelled")
          .withArgs(ticket, 1n);
        await expectTicket(registry, ticket, {
          status: Status.Cancelled,
          step: (await registry.getTicket(ticket)).step,
          version: 1n,
        });
      }
    });

    it("refuses final tickets, other callers and a suspended originator", async function () {
      const done = await loadFixture(completedFixture);
      await expect(done.registry.connect(done.originator).cancel(done.ticket))
        .to.be.revertedWithCustomError(done.registry, "SettlementRegistryTicketFinal")
        .withArgs(done.ticket, Status.Completed);
      const { registry, ticket, admin, originator, outsider, route } =
        await loadFixture(openTicketFixture);
      await expect(registry.connect(outsider).cancel(ticket))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotOriginator")
        .withArgs(ticket, outsider.address, originator.address);
      await expect(registry.connect(route.wallets[0]).cancel(ticket))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryNotParty")
        .withArgs(route.route[0]);
      await registry.connect(admin).suspendParty(originator.address);
      await expect(registry.connect(originator).cancel(ticket))
        .to.be.revertedWithCustomError(registry, "SettlementRegistryPartySuspended")
        .withArgs(originator.address);
    });

    it("refuses while paused", async function () {
      const { registry, admin, originator, ticket } = await loadFixture(openTicketFixture);
      await registry.connect(admin).pause();
      await expect(registry.connect(originator).cancel(ticket)).to.be.revertedWithCustomError(
        registry,
        "EnforcedPause",
      );
    });
  });

  describe("getTicket", function () {
    it("answers zeros for an unknown key", async function () {
      const { registry } = await loadFixture(openTicketFixture);
      const view = await registry.getTicket(UNKNOWN);
      expect([...view]).to.deep.equal([
        Status.None,
        0n,
        0n,
        0n,
        ethers.ZeroAddress,
        ethers.ZeroHash,
      ]);
    });
  });
});
