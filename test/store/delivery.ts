/**
 * Four parties, four stores: delivery after each transaction, store-and-forward when a store is
 * down, replicas that serve tampered data, and a party rebuilding a lost store from the chain.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";

import { expect } from "chai";

import { createTicket } from "../../lib/app/create.js";
import { approveTicket, amendTicket, rejectTicket, showTicket } from "../../lib/app/tickets.js";
import { actAs } from "../../lib/app/context.js";
import { ChainError, InputError } from "../../lib/errors.js";
import { fetchSet, recoverStore } from "../../lib/delivery/replica.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { newTicketId } from "../../lib/ticket/id.js";
import {
  ROUTE,
  runCli,
  startConsortium,
  type Consortium,
  type Name,
} from "../../lib/testing/consortium.js";

async function snapshot(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (!entry.name.startsWith(".tmp-"))
        out.set(path.slice(root.length), (await readFile(path)).toString("base64"));
    }
  };
  await walk(root);
  return out;
}

/** A replica in front of `target` that flips one byte of every envelope after the first `honest` ones. */
async function tamperingReplica(
  target: string,
  honest: number,
): Promise<{ url: string; close(): Promise<void> }> {
  let served = 0;
  const server: Server = createServer(async (req, res) => {
    const upstream = await fetch(`${target}${req.url}`);
    const bytes = Buffer.from(await upstream.arrayBuffer());
    if (upstream.ok && req.url!.startsWith("/v1/envelopes/") && served++ >= honest) {
      bytes[bytes.length - 40] ^= 0x01;
    }
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("per-party stores with verified delivery", function () {
  this.timeout(180_000);
  let c: Consortium;
  const me = (name: Name) => ({
    address: c.parties[name].actor.party.address,
    keys: c.parties[name].actor.keys,
  });
  const show = (name: Name, id: string) =>
    showTicket(c.parties[name].app, c.parties[name].actor, id);

  before(async function () {
    c = await startConsortium();
    for (const name of ["asset-manager", "custodian-bank", "securities-firm", "csd"] as const)
      await c.serve(name);
  });

  beforeEach(async function () {
    // Every test starts with the four stores up, whatever the previous one did.
    for (const name of ["asset-manager", "custodian-bank", "securities-firm", "csd"] as const) {
      if (c.parties[name].server === undefined) await c.serve(name);
    }
  });

  after(async function () {
    await c?.stop();
  });

  it("runs the whole scenario with each of the four parties reading from its own store", async function () {
    const am = c.parties["asset-manager"];
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(am.app, am.actor, { trade, route: ROUTE });
    expect(await am.app.delivery!.pending(am.actor.party.address)).to.deep.equal([]);

    for (const name of ROUTE as Name[]) {
      const view = await show(name, created.id);
      expect(view.trade).to.deep.equal(trade);
      expect(view.status).to.equal("open");
      // Each store holds the whole set (decoys included), never more.
      expect(await c.parties[name].app.store.list(created.id, 1)).to.have.length(9);
    }
    await approveTicket(
      c.parties["custodian-bank"].app,
      c.parties["custodian-bank"].actor,
      created.id,
    );
    await approveTicket(
      c.parties["securities-firm"].app,
      c.parties["securities-firm"].actor,
      created.id,
    );
    await rejectTicket(c.parties.csd.app, c.parties.csd.actor, created.id, {
      reason: "NMAT/DDAT",
      note: "Settlement date differs from the CSD's record",
    });
    for (const name of ["asset-manager", "custodian-bank", "securities-firm", "csd"] as Name[]) {
      const view = await show(name, created.id);
      expect(view.status).to.equal("returned");
      const returned = view.history.find((h) => h.kind === "returned");
      expect(returned?.note).to.equal("Settlement date differs from the CSD's record");
    }

    const amended = { ...trade, settlementDate: "2026-12-03" };
    await amendTicket(am.app, am.actor, created.id, amended);
    for (const name of ROUTE as Name[]) {
      await approveTicket(c.parties[name].app, c.parties[name].actor, created.id);
    }
    for (const name of ["asset-manager", ...ROUTE] as Name[]) {
      const view = await show(name, created.id);
      expect(view.status).to.equal("completed");
      expect(view.trade.settlementDate).to.equal("2026-12-03");
    }
    expect(await am.app.delivery!.pending(am.actor.party.address)).to.deep.equal([]);
    expect(
      await c.parties.csd.app.delivery!.pending(c.parties.csd.actor.party.address),
    ).to.deep.equal([]);
    // The outsider published no store and was pushed nothing: it does not even know the ID.
    const outsider = c.parties.outsider;
    await show("outsider", created.id).then(
      () => expect.fail("the outsider read the ticket"),
      (error) => expect(error).to.be.instanceOf(InputError),
    );
    expect(await outsider.app.store.versions(created.id)).to.deep.equal([]);
  });

  it("lets a ticket through while a store is down and delivers once it is back", async function () {
    const am = c.parties["asset-manager"];
    await c.halt("csd");
    const trade = await readTradeFile("examples/fop-japanese-equity-delivery.json");
    const created = await createTicket(am.app, am.actor, { trade, route: ROUTE });
    expect((await show("custodian-bank", created.id)).status).to.equal("open");

    const pending = await am.app.delivery!.pending(am.actor.party.address);
    expect(pending.map((e) => [e.recipient, e.kind, e.version])).to.deep.equal([
      [c.parties.csd.actor.party.address, "ticket", 1],
    ]);
    expect(pending[0].lastError).to.match(/cannot reach the store/);
    await show("csd", created.id).then(
      () => expect.fail("read before delivery"),
      (error) => expect(error).to.be.instanceOf(InputError),
    );

    // The CSD comes back on another port and publishes it; the originator retries.
    await c.serve("csd");
    const flushed = await am.app.delivery!.flush(am.actor.party.address);
    expect(flushed.outcomes.map((o) => o.state)).to.deep.equal(["delivered"]);
    expect(await am.app.delivery!.pending(am.actor.party.address)).to.deep.equal([]);
    expect((await show("csd", created.id)).trade).to.deep.equal(trade);
  });

  it("delivers a ticket whose create was lost with its node once the retry finds it", async function () {
    const am = c.parties["asset-manager"];
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const id = newTicketId();
    // The transaction lands, but the node is lost before the receipt: nothing was delivered.
    const send = am.actor.registry.send.bind(am.actor.registry);
    am.actor.registry.send = async (call) => {
      am.actor.registry.send = send;
      await send(call);
      throw new ChainError("cannot reach the chain's RPC endpoint", { details: "socket hang up" });
    };
    const lost = await createTicket(am.app, am.actor, { trade, route: ROUTE, id }).catch(
      (e: unknown) => e,
    );
    expect(lost).to.be.instanceOf(ChainError);
    await show("csd", id).then(
      () => expect.fail("read before delivery"),
      (error) => expect(error).to.be.instanceOf(InputError),
    );

    const retried = await createTicket(am.app, am.actor, { trade, route: ROUTE, id });
    expect(retried.alreadyRegistered).to.equal(true);
    for (const name of ["custodian-bank", "securities-firm", "csd"] as const) {
      expect((await show(name, id)).trade).to.deep.equal(trade);
    }
  });

  it("shows, flushes and publishes through the store tasks", async function () {
    const am = c.parties["asset-manager"];
    await c.halt("csd");
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(am.app, am.actor, { trade, route: ROUTE });

    const pending = await runCli(c, "asset-manager", "store:pending", ["--json"]);
    expect(pending.code, pending.stderr).to.equal(0);
    const rows = JSON.parse(pending.stdout) as { recipient: string; kind: string }[];
    expect(rows.map((r) => [r.recipient, r.kind])).to.deep.equal([
      [c.parties.csd.actor.party.address, "ticket"],
    ]);

    // Publishing another party's store under one's own name is refused.
    const wrong = await runCli(c, "csd", "store:endpoint", [
      "--url",
      c.parties["custodian-bank"].server!.url,
    ]);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/belongs to custodian-bank/);

    const server = await c.serve("csd");
    const flushed = await runCli(c, "asset-manager", "store:flush", ["--json"]);
    expect(flushed.code, flushed.stderr).to.equal(0);
    expect((JSON.parse(flushed.stdout) as { state: string }[]).map((o) => o.state)).to.deep.equal([
      "delivered",
    ]);
    const published = await runCli(c, "csd", "store:endpoint", ["--url", server.url, "--json"]);
    expect(published.code, published.stderr).to.equal(0);
    expect((await show("csd", created.id)).trade).to.deep.equal(trade);
  });

  it("detects a replica serving tampered data and takes the next one", async function () {
    const am = c.parties["asset-manager"];
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(am.app, am.actor, { trade, route: ROUTE });
    const csd = c.parties.csd;
    const before = await snapshot(csd.app.dataDir);
    // The CSD loses the set, then asks two replicas: the first flips a byte in a decoy, the
    // second flips a byte in the CSD's own envelope, the third is honest.
    for (const locator of await csd.app.store.list(created.id, 1))
      await csd.app.store.remove(created.id, 1, locator);
    const decoyTamperer = await tamperingReplica(c.parties["asset-manager"].server!.url, 1);
    const ownTamperer = await tamperingReplica(c.parties["asset-manager"].server!.url, 0);
    try {
      const result = await fetchSet({
        registry: csd.app.registry,
        store: csd.app.store,
        me: me("csd"),
        ticketKey: created.ticketKey,
        kind: "ticket",
        version: 1,
        replicas: [decoyTamperer.url, ownTamperer.url, c.parties["securities-firm"].server!.url],
      });
      expect(result.replica).to.equal(c.parties["securities-firm"].server!.url);
      expect(result.skipped.map((s) => s.replica)).to.deep.equal([
        decoyTamperer.url,
        ownTamperer.url,
      ]);
      expect(result.skipped[0].error).to.match(/does not match the on-chain commitment/);
      expect(result.skipped[1].error).to.match(/does not decrypt|tamper|changed/i);
    } finally {
      await decoyTamperer.close();
      await ownTamperer.close();
    }
    expect(await snapshot(csd.app.dataDir)).to.deep.equal(before);
    expect((await show("csd", created.id)).trade).to.deep.equal(trade);
  });

  it("rebuilds a lost store from the chain and the other replicas without losing anything", async function () {
    const am = c.parties["asset-manager"];
    const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const created = await createTicket(am.app, am.actor, { trade, route: ROUTE });
    await rejectTicket(
      c.parties["custodian-bank"].app,
      c.parties["custodian-bank"].actor,
      created.id,
      {
        reason: "NMAT/DMON",
        note: "Cash amount differs",
      },
    );
    const broker = c.parties["securities-firm"];
    const store = join(broker.dataDir, "store");
    const before = await snapshot(store);
    const viewBefore = await show("securities-firm", created.id);

    // The broker loses its machine's data: store, inbox, everything. Its own server is down.
    await c.halt("securities-firm");
    await rm(broker.dataDir, { recursive: true, force: true });
    // A fresh start: the encryption keys come back from the signing key alone.
    broker.actor = await actAs(broker.app, "securities-firm");
    const report = await recoverStore({
      registry: broker.app.registry,
      store: broker.app.store,
      me: me("securities-firm"),
    });
    expect(report.failed).to.deep.equal([]);
    expect(report.present).to.equal(0);
    expect(report.fetched).to.equal(report.expected);
    expect(await snapshot(store)).to.deep.equal(before);
    const viewAfter = await show("securities-firm", created.id);
    expect(viewAfter.trade).to.deep.equal(viewBefore.trade);
    expect(viewAfter.history.find((h) => h.kind === "returned")?.note).to.equal(
      "Cash amount differs",
    );

    // Running it again finds everything in place.
    const again = await recoverStore({
      registry: broker.app.registry,
      store: broker.app.store,
      me: me("securities-firm"),
    });
    expect(again.present).to.equal(again.expected);
  });
});
