/**
 * The graph attack (route privacy): a member that is on none of the routes holds every block, log,
 * transaction and the registry's public state, and tries to rebuild originator → route for 36
 * tickets among eight parties: a custodian on almost every ticket, a party on a single ticket,
 * approvals, returns with reasons, amendments, a re-route and a key rotation, all played through
 * the client library (`lib/app`) exactly as the tasks play them.
 *
 * It tries every link it can make from public data: a route address that is a party's directory
 * address or appears twice; a sender, a funding transfer or a nonce that ties two one-time
 * addresses together; the view tags and one-time addresses recomputed from the parties' public
 * keys with every public input; its own viewing keys. Then it names, for every slot of every
 * route, its best guess of the party, and the test asserts that no party is named better than
 * the base rate (always guessing the most frequent party) allows by chance.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { secp256k1 } from "@noble/curves/secp256k1";
import { expect } from "chai";
import { computeAddress, getAddress, keccak256, type Log } from "ethers";
import hre from "hardhat";

import { actAs, createApp, type Actor, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { admitParty, registerKey } from "../../lib/app/parties.js";
import { amendTicket, approveTicket, rejectTicket, rerouteTicket } from "../../lib/app/tickets.js";
import { announcements, commitmentsByVersion, ticketHistory } from "../../lib/chain/events.js";
import { REGISTRY_ABI } from "../../lib/chain/registry.js";
import { StealthScanner } from "../../lib/crypto/stealth.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import type { Trade } from "../../lib/ticket/schema.js";

const ORIGINATORS = ["fund-a", "fund-b"] as const;
const HUB = "custodian-hub";
const SINGLE = "boutique-broker";
const ROUTE_PARTIES = [HUB, "broker-1", "broker-2", "csd", "custodian-2", SINGLE] as const;
const OBSERVER = "observer";
const TICKETS = 36;

/** Deterministic choices (no test depends on a random draw). */
function* lcg(seed: number): Generator<number> {
  let x = seed;
  for (;;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    yield x;
  }
}

/** The route of ticket `i`: the hub on all but every ninth, the single party on ticket 7 only. */
function routeOf(i: number, rand: Generator<number>): string[] {
  const others = ["broker-1", "broker-2", "custodian-2"];
  const route: string[] = [];
  if (i % 9 !== 4) route.push(HUB);
  if (i === 7) route.push(SINGLE);
  const extra = rand.next().value! % 3;
  for (let k = 0; k < extra; k++) {
    const p = others[(i + k) % others.length];
    if (!route.includes(p)) route.push(p);
  }
  route.push("csd");
  return route;
}

describe("route privacy: the graph attack from public chain data", function () {
  this.timeout(300_000);
  let dataDir: string;
  let app: App;
  /** Ground truth the attacker must not recover: per (ticket key, version), the route's parties. */
  const truth = new Map<string, string[]>();
  const actors = new Map<string, Actor>();
  let directory: Map<string, { address: string; viewingKeys: string[]; spendingKeys: string[] }>;
  let logs: Log[];
  let txs: { hash: string; from: string; to: string | null; value: bigint; nonce: number }[];

  const actor = (name: string) => actors.get(name)!;
  const recordTruth = async (id: string, owner: string) => {
    const view = await (await import("../../lib/app/tickets.js")).showTicket(app, actor(owner), id);
    truth.set(
      `${view.ticketKey}:${view.version}`,
      view.route.map((s) => s.party.name),
    );
    return view;
  };

  before(async function () {
    const { ethers } = await hre.network.create();
    const signers = await ethers.getSigners();
    const admin = signers[0];
    const registry = await ethers.deployContract("SettlementRegistry", [admin.address]);
    dataDir = await mkdtemp(join(tmpdir(), "sr-graph-"));
    app = await createApp({
      provider: ethers.provider,
      signers,
      store: SqliteEnvelopeStore.open(join(dataDir, "store")),
      config: { registry: await registry.getAddress(), dataDir, delivery: false },
    });
    const names = [...ORIGINATORS, ...ROUTE_PARTIES, OBSERVER];
    for (const [i, name] of names.entries()) {
      await admitParty(app, admin, signers[i + 1].address, name);
      const a = await actAs(app, name);
      await registerKey(app, a);
      actors.set(name, a);
    }

    const trade: Trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
    const rand = lcg(20_161_115);
    let early: string | undefined;
    for (let i = 0; i < TICKETS; i++) {
      const originator = ORIGINATORS[i % 2];
      const route = routeOf(i, rand);
      const { id } = await createTicket(app, actor(originator), { trade, route });
      await recordTruth(id, originator);
      // The hub rotates its keys a third of the way through; older tickets stay actionable.
      if (i === 12) {
        await registerKey(app, actor(HUB));
        actors.set(HUB, await actAs(app, HUB));
      }
      const fate = i < 12 && route[0] === HUB && early === undefined ? 0 : rand.next().value! % 6;
      if (fate === 0) {
        if (i < 12 && route[0] === HUB) early ??= id;
        continue; // stays open
      }
      if (fate === 1) {
        await rejectTicket(app, actor(route[0]), id, { reason: "NMAT/DDAT,PEND/MONY" });
        continue;
      }
      if (fate === 2) {
        await rejectTicket(app, actor(route.at(-1)!), id, { reason: "LACK", note: "short" });
        await amendTicket(app, actor(originator), id, { ...trade, settlementDate: "2024-05-16" });
        await recordTruth(id, originator);
      }
      if (fate === 3 && route.length > 1) {
        await rerouteTicket(app, actor(originator), id, route.slice(1));
        await recordTruth(id, originator);
        route.shift();
      }
      for (const party of route) await approveTicket(app, actor(party), id);
    }
    // A ticket routed to the hub's first key version stays actionable after its rotation.
    expect(early, "an open ticket from before the rotation").to.not.equal(undefined);
    const approved = await approveTicket(app, actor(HUB), early!);
    expect(approved.version).to.equal(1);
    expect(truth.size).to.be.greaterThan(TICKETS);

    // What the attacker holds: the directory and its keys, every log, every transaction.
    directory = new Map();
    for (const name of names) {
      const p = await app.registry.resolveParty(name);
      const viewingKeys: string[] = [];
      const spendingKeys: string[] = [];
      for (let v = 1; v <= p.keyVersion; v++) {
        const k = await app.registry.keysOf(p.address, v);
        viewingKeys.push(k.viewingKey);
        spendingKeys.push(k.spendingKey);
      }
      directory.set(name, { address: p.address, viewingKeys, spendingKeys });
    }
    logs = await ethers.provider.getLogs({ fromBlock: 0, toBlock: "latest" });
    txs = [];
    const head = await ethers.provider.getBlockNumber();
    for (let b = 0; b <= head; b++) {
      const block = await ethers.provider.getBlock(b, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        txs.push({ hash: tx.hash, from: tx.from, to: tx.to, value: tx.value, nonce: tx.nonce });
      }
    }
  });

  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Every announced version: its one-time route, tags and ephemeral key. */
  const announced = async () => announcements(app.registry, 0, await app.provider.getBlockNumber());

  it("played 36 tickets among eight parties, with a hub, a single-ticket party, returns, revisions and a rotation", async function () {
    const routes = [...truth.values()];
    const count = (name: string) => routes.filter((r) => r.includes(name)).length;
    expect(new Set([...truth.keys()].map((k) => k.split(":")[0])).size).to.equal(TICKETS);
    expect(count(HUB)).to.be.greaterThan(25);
    expect(count(SINGLE)).to.equal(1);
    expect(directory.get(HUB)!.viewingKeys).to.have.length(2);
    expect((await announced()).length).to.equal(truth.size);
  });

  it("reads the announcements (decoded by hand) exactly as the registry's ABI decodes them", async function () {
    for (const a of (await announced()).slice(0, 12)) {
      const record = commitmentsByVersion(await ticketHistory(app.registry, a.key)).get(a.version)!;
      expect({ ...a, route: a.route.map((r) => getAddress(r)) }).to.deep.include(record);
    }
  });

  it("no route address is a directory address, or appears on two routes", async function () {
    const all = (await announced()).flatMap((a) => a.route.map((r) => getAddress(r)));
    const known = new Set([...directory.values()].map((p) => getAddress(p.address)));
    expect(all.filter((a) => known.has(a))).to.deep.equal([]);
    expect(new Set(all).size).to.equal(all.length);
  });

  it("no transaction ties a one-time address to a party or to another one-time address", async function () {
    const routeAddresses = new Set(
      (await announced()).flatMap((a) => a.route.map((r) => r.toLowerCase())),
    );
    const fromOneTime = txs.filter((t) => routeAddresses.has(t.from.toLowerCase()));
    // Each one-time address sends one decision, its first transaction, from a zero balance...
    expect(fromOneTime.length).to.be.greaterThan(TICKETS);
    for (const t of fromOneTime) {
      expect(t.nonce, t.hash).to.equal(0);
      expect(t.to?.toLowerCase()).to.equal((await app.registry.address).toLowerCase());
    }
    // ...and nobody ever sends it anything: no funding transfer to follow.
    expect(
      txs.filter((t) => t.to !== null && routeAddresses.has(t.to.toLowerCase())),
    ).to.deep.equal([]);
    // The parties' own addresses send only membership and originator transactions.
    const routeOnly = ROUTE_PARTIES.map((n) => directory.get(n)!.address.toLowerCase());
    const own = txs.filter((t) => routeOnly.includes(t.from.toLowerCase()));
    expect(own.length, "a route party sends only its key registrations").to.equal(
      ROUTE_PARTIES.length + 1,
    );
  });

  it("no party's address or public key appears in any ticket event", async function () {
    const iface = app.registry.contract.interface;
    const ticketTopics = [
      "TicketApproved",
      "TicketReturned",
      "TicketRevised",
      "TicketCompleted",
      "TicketCancelled",
    ].map((n) => iface.getEvent(n as "TicketApproved")!.topicHash);
    const text = logs
      .filter((l) => ticketTopics.includes(l.topics[0]))
      .map((l) => [l.data, ...l.topics].join(""))
      .join("")
      .toLowerCase();
    for (const [name, p] of directory) {
      const needles = [p.address, ...p.viewingKeys, ...p.spendingKeys].map((n) =>
        n.slice(2).toLowerCase(),
      );
      for (const n of needles) expect(text.includes(n), name).to.equal(false);
    }
  });

  it("an observer's own keys find none of the tickets", async function () {
    const observer = actor(OBSERVER);
    const scanner = new StealthScanner(
      observer.keys.map((k) => ({
        version: k.version,
        viewingPrivateKey: k.privateKey,
        spendingPublicKey: k.spendingPublicKey,
      })),
    );
    expect(scanner.scan(await announced()).filter((m) => m !== undefined)).to.deep.equal([]);
  });

  it("no route party is named better than chance from public data", async function () {
    const sha = (...parts: Uint8Array[]) => {
      const h = createHash("sha256");
      for (const p of parts) h.update(p);
      return h.digest();
    };
    const bytes = (hex: string) => Buffer.from(hex.slice(2), "hex");
    const Point = secp256k1.ProjectivePoint;
    const N = secp256k1.CURVE.n;
    const routeNames = [...ROUTE_PARTIES];
    // The attacker's public-data derivations per party: tags and addresses recomputed with the
    // ephemeral key and the party's public keys in place of the secret shared point.
    const guesses = (a: { ephemeralKey: string }, name: string) => {
      const p = directory.get(name)!;
      const tags = new Set<number>();
      const addresses = new Set<string>();
      for (const [i, V] of p.viewingKeys.entries()) {
        const S = Point.fromHex(bytes(p.spendingKeys[i]));
        for (const secret of [
          bytes(V),
          sha(bytes(a.ephemeralKey), bytes(V)),
          bytes(keccak256(V)),
        ]) {
          tags.add(sha(secret)[0]);
          const h = BigInt(`0x${sha(Buffer.from("sr-stealth/1"), secret).toString("hex")}`) % N;
          addresses.add(computeAddress(`0x${S.add(Point.BASE.multiply(h)).toHex(false)}`));
        }
        addresses.add(computeAddress(p.spendingKeys[i]));
      }
      return { tags, addresses };
    };

    let slots = 0;
    let exactHits = 0;
    let correct = 0;
    const hubSlots = [...truth.values()].flat().filter((n) => n === HUB).length;
    for (const a of await announced()) {
      const parties = truth.get(`${a.key}:${a.version}`)!;
      const tags = bytes(a.viewTags);
      for (const [slot, address] of a.route.entries()) {
        slots++;
        // The attacker's best rule: a recomputed address wins; else a recomputed view tag;
        // else the base rate (the most frequent party).
        let guess: string = HUB;
        for (const name of routeNames) {
          const g = guesses(a, name);
          if (g.addresses.has(getAddress(address))) {
            guess = name;
            exactHits++;
            break;
          }
          if (g.tags.has(tags[slot])) guess = name;
        }
        if (guess === parties[slot]) correct++;
      }
    }
    expect(exactHits, "no one-time address is recomputed from public data").to.equal(0);
    // Chance: always naming the hub is right `hubSlots` times; allow three standard deviations.
    const p = hubSlots / slots;
    const bound = slots * p + 3 * Math.sqrt(slots * p * (1 - p));
    expect(correct, `${correct} of ${slots} slots named (base rate ${hubSlots})`).to.be.at.most(
      Math.ceil(bound),
    );
  });

  it("the party on a single ticket is not singled out: its slot looks like every other", async function () {
    const [ticket] = [...truth.entries()].filter(([, r]) => r.includes(SINGLE));
    const [key, version] = ticket[0].split(":");
    const a = (await announced()).find((x) => x.key === key && x.version === Number(version))!;
    const slot = ticket[1].indexOf(SINGLE);
    // Its address has never been seen before or since, and sent at most its own decision.
    const address = a.route[slot].toLowerCase();
    const sent = txs.filter((t) => t.from.toLowerCase() === address);
    const received = txs.filter((t) => t.to?.toLowerCase() === address);
    expect(sent.length).to.be.at.most(1);
    expect(received).to.deep.equal([]);
    expect(logs.filter((l) => l.data.toLowerCase().includes(address.slice(2))).length).to.equal(1);
  });
});
