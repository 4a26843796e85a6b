/**
 * The v2 store routes: reads only with a read token and the same answer for held and missing
 * envelopes to anyone without one, pushes verified per envelope and written whole or not at all,
 * size caps on both sides, rate limits.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";

import { StoreError } from "../../lib/errors.js";
import { locatorOf } from "../../lib/crypto/read-token.js";
import { ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import { openTree, type SealedTree } from "../../lib/ticket/envelope-tree.js";
import {
  encodeReadAnswer,
  PUSH_FORMAT,
  pushSetV2,
  READ_FORMAT,
  READ_SLOT_SIZE,
  readEnvelopesV2,
  type PushV2,
} from "../../lib/store/read-protocol.js";
import { ownerVerifier, storeV2Routes, type StoreV2Options } from "../../lib/store/server-v2.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import {
  failure,
  keysOf,
  originator,
  outsider,
  route,
  tempFolder,
  TICKET_KEY,
  ticketSet,
} from "./helpers.js";

const csd = route[0];

const pushOf = (set: SealedTree, version = 1): PushV2 => ({
  format: PUSH_FORMAT,
  kind: "ticket",
  ticketKey: TICKET_KEY,
  version,
  envelopes: set.entries.map((e) => ({
    locator: e.locator,
    bytes: Buffer.from(e.bytes).toString("base64"),
  })),
});

/** `push` with one byte of envelope `index` flipped at `at`. */
function changed(push: PushV2, index: number, at: number): PushV2 {
  const bytes = Buffer.from(push.envelopes[index].bytes, "base64");
  bytes[at] ^= 1;
  push.envelopes[index] = { ...push.envelopes[index], bytes: bytes.toString("base64") };
  return push;
}

const tokenOf = (set: SealedTree, who: { address: string }) =>
  set.entries.find((e) => e.recipient === who.address)!.token!;

describe("v2 store server", function () {
  this.timeout(60_000);
  let folder: Awaited<ReturnType<typeof tempFolder>>;
  let store: SqliteEnvelopeStore;
  let app: FastifyInstance;
  let url: string;
  /** The chain, as the store reads it: commitments by version. */
  const chain = new Map<number, string>();
  let set: SealedTree;

  async function start(extra: Partial<StoreV2Options> = {}) {
    await app?.close();
    app = Fastify({ logger: false });
    await app.register(storeV2Routes, {
      store,
      party: csd.address,
      verifyPush: ownerVerifier({
        owner: { address: csd.address, keys: csd.keys },
        lookup: async (_kind, key, version) =>
          key === TICKET_KEY && chain.has(version)
            ? { commitment: chain.get(version)!, senderKeys: keysOf(originator) }
            : undefined,
      }),
      ...extra,
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  /** Restarts the routes so that they keep whole sets. */
  const startKeepingSets = () =>
    start({
      verifyPush: ownerVerifier({
        owner: { address: csd.address, keys: csd.keys },
        lookup: async () => ({ commitment: set.commitment, senderKeys: keysOf(originator) }),
        keep: "set",
      }),
    });

  beforeEach(async function () {
    folder = await tempFolder();
    store = SqliteEnvelopeStore.open(join(folder.path, "store"));
    set = ticketSet([csd, route[1]]);
    chain.clear();
    chain.set(1, set.commitment);
    await start();
  });

  afterEach(async function () {
    await app.close();
    store.close();
    await folder.done();
  });

  const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: "POST", url: path, payload: payload as string, headers });

  it("stores the party's own envelope of a verified set, once, and serves it to its token", async function () {
    expect(await pushSetV2(url, pushOf(set))).to.deep.equal({ stored: 1, existing: 0 });
    expect(await pushSetV2(url, pushOf(set)), "a retry").to.deep.equal({ stored: 0, existing: 1 });
    expect(store.count()).to.equal(1);
    const opened = await openTree({
      me: { address: csd.address, keys: csd.keys },
      senderKeys: keysOf(originator),
      kind: "ticket",
      ticketKey: TICKET_KEY,
      version: 1,
      commitment: set.commitment,
      fetch: async (c) => (await readEnvelopesV2(url, [c.token]))[0],
    });
    expect(opened.binding.recipient).to.equal(csd.address);
    // The sender kept the token, so it reads the same envelope back.
    const [own] = await readEnvelopesV2(url, [tokenOf(set, csd)]);
    expect(Buffer.from(own!)).to.deep.equal(
      Buffer.from(set.entries.find((e) => e.recipient === csd.address)!.bytes),
    );
  });

  it("takes the same set from eight writers at once exactly once, and different sets side by side", async function () {
    const results = await Promise.all(Array.from({ length: 8 }, () => pushSetV2(url, pushOf(set))));
    expect(results.reduce((n, r) => n + r.stored, 0)).to.equal(1);
    expect(results.reduce((n, r) => n + r.existing, 0)).to.equal(7);
    const more = [2, 3, 4, 5].map((version) => {
      const s = ticketSet([csd], version);
      chain.set(version, s.commitment);
      return pushOf(s, version);
    });
    const stored = await Promise.all(more.map((p) => pushSetV2(url, p)));
    expect(stored.map((r) => r.stored)).to.deep.equal([1, 1, 1, 1]);
    expect(store.count()).to.equal(5);
  });

  it("opens a return pushed without its sender by trying every candidate sender's keys", async function () {
    await start({
      verifyPush: ownerVerifier({
        owner: { address: csd.address, keys: csd.keys },
        lookup: async () => ({
          commitment: set.commitment,
          senderKeys: [keysOf(outsider), keysOf(route[3]), keysOf(originator)],
        }),
      }),
    });
    expect(await pushSetV2(url, pushOf(set))).to.deep.equal({ stored: 1, existing: 0 });
    await start({
      verifyPush: ownerVerifier({
        owner: { address: csd.address, keys: csd.keys },
        lookup: async () => ({ commitment: set.commitment, senderKeys: [keysOf(outsider)] }),
      }),
    });
    const other = ticketSet([csd]);
    const refused = await post("/v2/sets", pushOf(other));
    expect(refused.statusCode).to.equal(422);
  });

  it("keeps the whole set when told to", async function () {
    await startKeepingSets();
    expect(await pushSetV2(url, pushOf(set))).to.deep.equal({ stored: 9, existing: 0 });
  });

  it("answers the same to anyone without a token, whether the store holds the envelope or not", async function () {
    await pushSetV2(url, pushOf(set));
    const held = set.entries.find((e) => e.recipient === csd.address)!.locator;
    expect(store.get(held)).not.to.equal(undefined);
    // What a holder of a copy of the store can try: the locator itself, in every form a token can take.
    const guesses = [held + held, held.padEnd(64, "0"), "00".repeat(32), "ab".repeat(32)];
    const answers = [];
    for (const token of guesses) {
      const r = await post("/v2/read", { format: READ_FORMAT, tokens: [token] });
      const headers = { ...r.headers };
      delete headers.date;
      answers.push({ status: r.statusCode, headers, body: r.rawPayload.toString("hex") });
    }
    for (const a of answers) expect(a).to.deep.equal(answers[0]);
    expect(answers[0].status).to.equal(200);
    expect(answers[0].body).to.equal("00".repeat(READ_SLOT_SIZE));
    // No route takes a locator.
    const byLocator = await app.inject({ method: "GET", url: `/v2/envelopes/${held}` });
    const nowhere = await app.inject({ method: "GET", url: `/v2/envelopes/${"0".repeat(32)}` });
    expect(byLocator.statusCode).to.equal(404);
    expect(byLocator.payload).to.equal(nowhere.payload.replace("0".repeat(32), held));
    // The other recipient's token: this store keeps only its own party's envelope.
    expect(await readEnvelopesV2(url, [tokenOf(set, route[1])])).to.deep.equal([undefined]);
  });

  it("refuses sets the chain does not know, sets without the party's envelope, and a damaged own envelope", async function () {
    chain.clear();
    expect((await post("/v2/sets", pushOf(set))).statusCode).to.equal(404);
    chain.set(1, set.commitment);

    const others = ticketSet([route[1], route[2]]);
    chain.set(2, others.commitment);
    const r1 = await post("/v2/sets", pushOf(others, 2));
    expect(r1.statusCode).to.equal(422);
    expect(r1.json().error.message).to.match(/no envelope for this store's party/);

    const own = set.entries.findIndex((e) => e.recipient === csd.address);
    for (const at of [0, 700, ENVELOPE_SIZE - 1]) {
      const r2 = await post("/v2/sets", changed(pushOf(set), own, at));
      expect(r2.statusCode).to.equal(422);
      expect(r2.json().error.message).to.contain(
        `your envelope ${set.entries[own].locator} is damaged`,
      );
    }
    expect(store.count()).to.equal(0);
  });

  it("keeps its party's envelope when another recipient's or a decoy is damaged", async function () {
    const other = set.entries.findIndex((e) => e.recipient === route[1].address);
    const decoy = set.entries.findIndex((e) => e.token === undefined);
    const r = await post("/v2/sets", changed(changed(pushOf(set), other, 700), decoy, 5));
    expect(r.statusCode).to.equal(201);
    expect(store.get(set.entries.find((e) => e.recipient === csd.address)!.locator)).not.to.equal(
      undefined,
    );
  });

  it("keeping whole sets, refuses a set with any damaged envelope, naming it, and writes nothing", async function () {
    await startKeepingSets();
    for (const target of [
      set.entries.findIndex((e) => e.recipient === route[1].address),
      set.entries.findIndex((e) => e.token === undefined),
    ]) {
      const r = await post("/v2/sets", changed(pushOf(set), target, 700));
      expect(r.statusCode).to.equal(422);
      expect(r.json().error.message).to.contain(
        `envelope ${set.entries[target].locator} is not in this set as sealed`,
      );
    }
    expect(store.count()).to.equal(0);
  });

  it("never overwrites: a re-sealed set for the same place is refused whole", async function () {
    await pushSetV2(url, pushOf(set));
    const again = ticketSet([csd, route[1]]);
    chain.set(1, again.commitment); // as if the chain said otherwise: the store still keeps the first
    const r = await post("/v2/sets", pushOf(again));
    expect(r.statusCode).to.equal(409);
    expect(store.count()).to.equal(1);
  });

  it("caps request bodies and refuses malformed ones with the rule that failed", async function () {
    const short = pushOf(set);
    short.envelopes = short.envelopes.slice(0, 8);
    expect((await post("/v2/sets", short)).json().error.message).to.match(
      /envelopes: a set has exactly 9 envelopes/,
    );
    const cut = pushOf(set);
    cut.envelopes[0].bytes = cut.envelopes[0].bytes.slice(4);
    expect((await post("/v2/sets", cut)).json().error.message).to.match(
      /must be one envelope \(4096 bytes\)/,
    );
    const huge = JSON.stringify({ ...pushOf(set), pad: "x".repeat(64 * 1024) });
    expect(
      (await post("/v2/sets", huge, { "content-type": "application/json" })).statusCode,
    ).to.equal(413);
    expect((await post("/v2/sets", "hello", { "content-type": "text/plain" })).statusCode).to.equal(
      415,
    );
    const many = { format: READ_FORMAT, tokens: Array(10).fill("00".repeat(32)) };
    expect((await post("/v2/read", many)).statusCode).to.equal(400);
    const big = JSON.stringify({
      format: READ_FORMAT,
      tokens: ["00".repeat(32)],
      pad: "x".repeat(2048),
    });
    expect(
      (await post("/v2/read", big, { "content-type": "application/json" })).statusCode,
    ).to.equal(413);
  });

  it("rate-limits pushes and reads per client, with retry-after", async function () {
    await start({
      pushLimit: { perSecond: 0.5, burst: 2 },
      readLimit: { perSecond: 0.5, burst: 3 },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post("/v2/sets", pushOf(set))).statusCode);
    expect(statuses).to.deep.equal([201, 200, 429]);
    const read = () => post("/v2/read", { format: READ_FORMAT, tokens: ["00".repeat(32)] });
    for (let i = 0; i < 3; i++) expect((await read()).statusCode).to.equal(200);
    const limited = await read();
    expect(limited.statusCode).to.equal(429);
    expect(limited.headers["retry-after"]).to.equal("2");
    const error = await failure(pushSetV2(url, pushOf(set)));
    expect(error.message).to.match(/too many requests/);
  });
});

describe("v2 store client: bounded answers", function () {
  let server: Server;
  let url: string;
  let answer: (res: import("node:http").ServerResponse) => void;

  before(async function () {
    server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(function () {
    server.close();
  });

  it("reads an answer of exactly the expected size", async function () {
    answer = (res) => res.end(encodeReadAnswer([undefined]));
    expect(await readEnvelopesV2(url, ["00".repeat(32)])).to.deep.equal([undefined]);
  });

  it("refuses a declared or streamed answer larger than one slot per token, without reading it all", async function () {
    answer = (res) => {
      res.writeHead(200, { "content-length": String(100 * READ_SLOT_SIZE) });
      res.end(Buffer.alloc(100 * READ_SLOT_SIZE));
    };
    expect(await failure(readEnvelopesV2(url, ["00".repeat(32)])))
      .to.be.instanceOf(StoreError)
      .and.match(/larger than 4097 bytes/);
    const LOTS = 64 * 1024 * 1024;
    let sent = 0;
    answer = (res) => {
      res.writeHead(200, { "transfer-encoding": "chunked" });
      const chunk = Buffer.alloc(64 * 1024);
      const more = () => {
        while (sent < LOTS && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      more();
    };
    const error = await failure(readEnvelopesV2(url, ["00".repeat(32)]));
    expect(error.message).to.match(/larger than 4097 bytes/);
    expect(sent, "the client stopped reading").to.be.lessThan(LOTS);
  });

  it("reads at most 4 KiB of an error", async function () {
    answer = (res) => {
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "x".repeat(1 << 20) } }));
    };
    expect((await failure(pushSetV2(url, { format: PUSH_FORMAT } as PushV2))).message).to.equal(
      `the store at ${url} refused: HTTP 500`,
    );
  });

  it("refuses a push answer that is not the store's result", async function () {
    answer = (res) => {
      res.writeHead(201, { "content-type": "text/html" });
      res.end("<html>welcome</html>");
    };
    expect((await failure(pushSetV2(url, { format: PUSH_FORMAT } as PushV2))).message).to.match(
      /answered a push with something else than its result/,
    );
  });

  it("hashes a token to the locator the store keys by", function () {
    expect(locatorOf("00".repeat(32))).to.match(/^[0-9a-f]{32}$/);
  });
});
