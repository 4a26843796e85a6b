/**
 * Claims of docs/threat-model.md that no other suite plays as the attacker: a party re-routed off
 * a ticket, a route party returning in another party's name, the operators of two parties' store
 * servers comparing their copies, and an attacker on the path between a reader and a store that
 * changes the answer, and a returning party telling different recipients different reasons.
 * Each test asserts the property itself, so it fails when the defence goes. One test pins a
 * stated limit instead: what a suspended party can still do without its client.
 */
import { randomBytes } from "node:crypto";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import Fastify, { type FastifyInstance } from "fastify";
import { Wallet, getBytes } from "ethers";
import hre from "hardhat";

import { actAs, createApp, type Actor, type App } from "../../lib/app/context.js";
import { createTicket } from "../../lib/app/create.js";
import { mySlotIn } from "../../lib/app/inbox.js";
import { admitParty, registerKey, setSuspended } from "../../lib/app/parties.js";
import { approveTicket, rerouteTicket, showTicket } from "../../lib/app/tickets.js";
import { merkleRoot } from "../../lib/crypto/merkle.js";
import { locatorOf, pairKey, readToken } from "../../lib/crypto/read-token.js";
import { publicKeyBytes, type VersionedKeyPair } from "../../lib/crypto/keys.js";
import {
  SET_SIZE,
  decoyCiphertext,
  decoyProof,
  joinEnvelope,
  sealCiphertext,
  sealProof,
} from "../../lib/crypto/sealed-envelope.js";
import { stealthPrivateKey } from "../../lib/crypto/stealth.js";
import { fetchOwn } from "../../lib/delivery/replica.js";
import { ContractError, PartyError, StoreError, TamperError } from "../../lib/errors.js";
import { pushSetV2, type PushV2 } from "../../lib/store/read-protocol.js";
import { Refusal, ownerVerifier, storeV2Routes } from "../../lib/store/server-v2.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { leafOf, type SealedTree, type TreeEntry } from "../../lib/ticket/envelope-tree.js";
import { newTicketId } from "../../lib/ticket/id.js";
import { openReturn, openTicket } from "../../lib/ticket/open.js";
import { reasonCommitment } from "../../lib/ticket/reason-commitment.js";
import { RETURN_FORMAT, sealReturn, storeSealed } from "../../lib/ticket/seal.js";
import type { TestParty } from "../lib/fixtures.js";
import { TICKET_KEY, keysOf, originator, route, ticketSet } from "../store-v2/helpers.js";

const pushOf = (set: SealedTree): PushV2 => ({
  format: "sr-push/2",
  kind: "ticket",
  ticketKey: TICKET_KEY,
  version: 1,
  envelopes: set.entries.map((e) => ({
    locator: e.locator,
    bytes: Buffer.from(e.bytes).toString("base64"),
  })),
});

const listen = async (app: FastifyInstance) => {
  await app.listen({ host: "127.0.0.1", port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
};

/** A party's store server over its own embedded store, checking pushes against `set`'s root. */
async function storeServer(folder: string, owner: TestParty, set: SealedTree) {
  const store = SqliteEnvelopeStore.open(folder);
  const app = Fastify({ logger: false });
  await app.register(storeV2Routes, {
    store,
    party: owner.address,
    verifyPush: ownerVerifier({
      owner: { address: owner.address, keys: owner.keys },
      lookup: async (_kind, key, version) =>
        key === TICKET_KEY && version === 1
          ? { commitment: set.commitment, senderKeys: keysOf(originator) }
          : undefined,
    }),
  });
  return { store, app, url: await listen(app) };
}

/**
 * A return set built by hand, as a dishonest author would: one seed and one tree, but each
 * recipient's ciphertext carries its own body. Every recipient verifies only its own envelope.
 */
function splitReturn(input: {
  ticketKey: string;
  version: number;
  author: VersionedKeyPair;
  recipients: { address: string; publicKey: string | Uint8Array; role: string; body: object }[];
}): { root: string; entries: TreeEntry[] } {
  const context = { kind: "return" as const, ticketKey: input.ticketKey, version: input.version };
  const real = input.recipients.map((p) => {
    const publicKey = publicKeyBytes(p.publicKey);
    const pair = pairKey(input.author.privateKey, publicKey);
    const token = readToken(pair, context);
    const binding = { ...context, recipient: p.address, role: p.role };
    const ciphertext = sealCiphertext(publicKey, { binding, body: p.body });
    return { pair, token, locator: locatorOf(token), ciphertext };
  });
  const decoys = Array.from({ length: SET_SIZE - real.length }, () => ({
    locator: randomBytes(16).toString("hex"),
    ciphertext: decoyCiphertext(),
  }));
  const seed = randomBytes(32);
  const leaves = [...real, ...decoys].map((e) => leafOf(seed, e.locator, e.ciphertext));
  const proof = Buffer.concat([
    seed,
    ...[...leaves].sort().map((l) => Buffer.from(l.slice(2), "hex")),
  ]);
  return {
    root: merkleRoot(leaves),
    entries: [
      ...real.map((r) => ({
        locator: r.locator,
        bytes: joinEnvelope(r.ciphertext, sealProof(r.pair, r.token, r.ciphertext, proof)),
      })),
      ...decoys.map((d) => ({
        locator: d.locator,
        bytes: joinEnvelope(d.ciphertext, decoyProof()),
      })),
    ],
  };
}

const SPLIT = /does not give the on-chain reason commitment/;

describe("threat model: claims played by their attacker", function () {
  this.timeout(120_000);
  let dataDir: string;

  before(async function () {
    dataDir = await mkdtemp(join(tmpdir(), "sr-claims-"));
  });

  after(async function () {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe("on a chain, through the client library", function () {
    let app: App;
    let provider: Awaited<ReturnType<typeof hre.network.create>>["ethers"]["provider"];
    const actors = new Map<string, Actor>();
    let admin: Parameters<typeof setSuspended>[1];
    /** Gas price 0, as on the consortium's chain: a one-time address holds nothing. */
    const FREE = { type: 0, gasPrice: 0n };

    /** The actor's registry client, signing as its one-time address in `announcement`. */
    const asOneTime = (actor: Actor, announcement: Parameters<typeof mySlotIn>[1]) => {
      const slot = mySlotIn(actor, announcement)!;
      const key = actor.keys.find((k) => k.version === slot.keyVersion)!;
      const signer = new Wallet(stealthPrivateKey(key.spendingPrivateKey, slot), provider);
      return actor.registry.connect(signer);
    };

    /** A ticket of the asset manager routed to the bank, then the CSD. */
    const bankThenCsd = async () => {
      const am = actors.get("asset-manager")!;
      const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
      const { id, ticketKey } = await createTicket(app, am, {
        trade,
        route: ["custodian-bank", "csd"],
      });
      const v1 = await app.registry.ticket(ticketKey);
      const bank = actors.get("custodian-bank")!;
      return { am, bank, csd: actors.get("csd")!, id, ticketKey, v1 };
    };

    before(async function () {
      const { ethers } = await hre.network.create();
      provider = ethers.provider;
      const signers = await ethers.getSigners();
      admin = signers[0];
      const registry = await ethers.deployContract("SettlementRegistry", [signers[0].address]);
      app = await createApp({
        provider,
        signers,
        store: SqliteEnvelopeStore.open(join(dataDir, "chain-store")),
        config: { registry: await registry.getAddress(), dataDir, delivery: false },
      });
      for (const [i, name] of ["asset-manager", "custodian-bank", "csd"].entries()) {
        await admitParty(app, signers[0], signers[i + 1].address, name);
        await registerKey(app, await actAs(app, name));
        actors.set(name, await actAs(app, name));
      }
    });

    it("a party re-routed off a ticket finds no slot and no envelope of the new version, and its old one-time address cannot act", async function () {
      const { am, bank, id, ticketKey, v1 } = await bankThenCsd();
      const oldSlot = mySlotIn(bank, v1);
      expect(oldSlot, "the bank is on version 1").to.not.equal(undefined);

      await rerouteTicket(app, am, id, ["csd"]);
      const v2 = await app.registry.ticket(ticketKey);
      expect(v2.version).to.equal(2);

      // Its keys find no slot in the new announcement...
      expect(mySlotIn(bank, v2)).to.equal(undefined);
      // ...and no envelope of the new version in the store that holds every envelope.
      const opened = await openTicket({
        store: app.store,
        id,
        ticketKey,
        version: 2,
        me: { address: bank.party.address, keys: bank.keys },
        senderPublicKeys: await app.registry.publicKeys(am.party.address),
        expected: {
          tradeCommitment: v2.tradeCommitment,
          envelopeCommitment: v2.envelopeCommitment,
        },
      }).catch((e: unknown) => e);
      expect(opened).to.be.instanceOf(StoreError);

      // Its version-1 one-time key can neither approve nor return the new version.
      const registry = asOneTime(bank, v1);
      const tx = FREE;
      const approve = await registry
        .send(() => registry.contract.approve(ticketKey, 2, v2.route, tx))
        .catch((e: unknown) => e);
      expect((approve as ContractError).errorName).to.equal("SettlementRegistryNotNextApprover");
      const reject = await registry
        .send(() => registry.contract.reject(ticketKey, 2, v2.route, `0x${"11".repeat(32)}`, tx))
        .catch((e: unknown) => e);
      expect((reject as ContractError).errorName).to.equal("SettlementRegistryNotOnRoute");
      expect((await app.registry.ticket(ticketKey)).step).to.equal(0);
    });

    it("a route party cannot return a ticket in another party's name: readers refuse a return whose sealed author is not the party behind the returning address", async function () {
      const { am, bank, csd, id, ticketKey, v1 } = await bankThenCsd();
      const recipient = (a: Actor, role: "originator" | "route") => ({
        address: a.party.address,
        publicKey: a.keys.at(-1)!.publicKey,
        keyVersion: a.keys.at(-1)!.version,
        role,
      });
      // The CSD seals reasons that claim the bank as their author, and returns from its own slot.
      const forged = sealReturn({
        ticket: { id, version: 1, ticketKey },
        author: { address: bank.party.address, keyPair: csd.keys.at(-1)! },
        step: 1,
        recipients: [
          recipient(am, "originator"),
          recipient(bank, "route"),
          recipient(csd, "route"),
        ],
        reasons: "REJT/SAFE",
        note: "the bank says the account is wrong",
      });
      await storeSealed(app.store, forged);
      const registry = asOneTime(csd, v1);
      await registry.send(() =>
        registry.contract.reject(ticketKey, 1, v1.route, forged.reasonCommitment, FREE),
      );

      for (const reader of [am, bank]) {
        const view = await showTicket(app, reader, id);
        const ret = view.history.find((h) => h.kind === "returned");
        // Named after the party behind the returning address, and the forged reasons not shown.
        expect(ret?.byName).to.equal("csd");
        expect(ret?.kind === "returned" && ret.reasons).to.equal(undefined);
        expect(ret?.note).to.match(/^\(reasons unreadable: .*sealed by .*, not by /);
      }
    });

    it("a returning party cannot tell different recipients different reasons: every reader recomputes the reason commitment from its own envelope and refuses a body it does not give", async function () {
      const { am, bank, csd, id, ticketKey, v1 } = await bankThenCsd();
      // The CSD tells the originator the date is wrong, the bank the amount, and itself the account;
      // it registers the commitment of its own body, the one it would show if asked.
      const salt = `0x${randomBytes(32).toString("hex")}`;
      const bodyFor = (code: string) => ({
        format: RETURN_FORMAT,
        id,
        ticketKey,
        version: 1,
        author: csd.party.address,
        step: 1,
        reasons: [{ qualifier: "NMAT", code }],
        salt,
      });
      const told: [Actor, "originator" | "route", string][] = [
        [am, "originator", "DDAT"],
        [bank, "route", "DMON"],
        [csd, "route", "SAFE"],
      ];
      const split = splitReturn({
        ticketKey,
        version: 1,
        author: csd.keys.at(-1)!,
        recipients: told.map(([a, role, code]) => ({
          address: a.party.address,
          publicKey: a.keys.at(-1)!.publicKey,
          role,
          body: bodyFor(code),
        })),
      });
      await storeSealed(app.store, split);
      const committed = reasonCommitment(split.root, bodyFor("SAFE"));
      const registry = asOneTime(csd, v1);
      await registry.send(() => registry.contract.reject(ticketKey, 1, v1.route, committed, FREE));

      for (const [reader, , code] of told) {
        const view = await showTicket(app, reader, id);
        const ret = view.history.find((h) => h.kind === "returned");
        expect(ret?.byName).to.equal("csd");
        if (reader === csd) {
          expect(ret?.kind === "returned" && ret.reasons?.map((r) => r.code)).to.deep.equal([code]);
        } else {
          // The reasons sealed to it are not shown: one line says why.
          expect(ret?.kind === "returned" && ret.reasons).to.equal(undefined);
          expect(ret?.note).to.match(/^\(reasons unreadable: your return envelope [0-9a-f]{32} /);
          expect(ret?.note).to.match(SPLIT);
        }
      }
    });
    it("the limit: a suspended party that bypasses its client still decides on a ticket routed to it before its suspension", async function () {
      const am = actors.get("asset-manager")!;
      const bank = actors.get("custodian-bank")!;
      const trade = await readTradeFile("examples/dvp-japanese-equity-buy.json");
      const { id, ticketKey } = await createTicket(app, am, { trade, route: ["custodian-bank"] });
      const v1 = await app.registry.ticket(ticketKey);
      await setSuspended(app, admin, "custodian-bank", true);
      try {
        // Its own client refuses...
        const suspended = await actAs(app, "custodian-bank");
        const refused = await approveTicket(app, suspended, id).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(PartyError);
        expect((refused as PartyError).oneLine()).to.match(/is suspended and cannot approve/);
        // ...but the contract cannot tell who stands behind a one-time address.
        const registry = asOneTime(bank, v1);
        await registry.send(() => registry.contract.approve(ticketKey, 1, v1.route, FREE));
        expect((await app.registry.ticket(ticketKey)).status).to.equal("completed");
      } finally {
        await setSuspended(app, admin, "custodian-bank", false);
      }
    });
  });

  describe("store servers and the path to them", function () {
    const bank = route[0];
    const csd = route[1];
    let set: SealedTree;
    let servers: Awaited<ReturnType<typeof storeServer>>[];

    before(async function () {
      set = ticketSet([bank, csd]);
      servers = [
        await storeServer(join(dataDir, "bank-store"), bank, set),
        await storeServer(join(dataDir, "csd-store"), csd, set),
      ];
    });

    after(async function () {
      for (const s of servers) {
        await s.app.close();
        s.store.close();
      }
    });

    it("copies of two route parties' store servers share no entry of a ticket they are both on", async function () {
      for (const s of servers) await pushSetV2(s.url, pushOf(set));
      const held = servers.map((s) =>
        set.entries.filter((e) => s.store.get(e.locator) !== undefined).map((e) => e.locator),
      );
      const own = (p: TestParty) =>
        set.entries.filter((e) => e.recipient === p.address).map((e) => e.locator);
      // Each keeps exactly its own envelope of the set, and nothing else of it...
      expect(held[0]).to.deep.equal(own(bank));
      expect(held[1]).to.deep.equal(own(csd));
      for (const s of servers) expect(s.store.count()).to.equal(1);
      // ...so the two copies have nothing in common to say that their parties work together.
      const shared = held[0].filter((l) => held[1].includes(l));
      expect(shared).to.deep.equal([]);
    });

    it("a reader whose answer is changed on the way refuses it, naming its envelope, and reads a verified copy from the next store", async function () {
      // The originator's store holds the whole set: the copy every recipient recovers from.
      const sender = SqliteEnvelopeStore.open(join(dataDir, "sender-store"));
      sender.putSet(set.entries.map(({ locator, bytes }) => ({ locator, bytes })));
      const origin = Fastify({ logger: false });
      await origin.register(storeV2Routes, { store: sender, verifyPush: async () => [] });
      const originUrl = await listen(origin);
      // The attacker relays every read to the real store and flips one byte of each answer.
      const proxy: Server = createServer((req, res) => {
        const target = new URL(req.url ?? "/", originUrl);
        const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            const body = Buffer.concat(chunks);
            if (body.length > 2000) body[2000] ^= 0x01;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(body);
          });
        });
        req.pipe(upstream);
      });
      await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const reader = SqliteEnvelopeStore.open(join(dataDir, "reader-store"));
      try {
        const result = await fetchOwn({
          store: reader,
          me: { address: csd.address, keys: csd.keys },
          set: {
            kind: "ticket",
            ticketKey: TICKET_KEY,
            version: 1,
            commitment: set.commitment,
            sender: originator.address,
            senderKeys: keysOf(originator),
            replicas: [proxyUrl, originUrl],
          },
        });
        const own = set.entries.find((e) => e.recipient === csd.address)!;
        expect(result.replica).to.equal(originUrl);
        expect(result.skipped.map((s) => s.replica)).to.deep.equal([proxyUrl]);
        expect(result.skipped[0].error).to.include(`your envelope ${own.locator} is damaged`);
        // What the reader keeps is the sender's bytes, not the changed ones.
        expect(Buffer.from((await reader.get(own.locator))!)).to.deep.equal(Buffer.from(own.bytes));
      } finally {
        reader.close();
        await new Promise((r) => proxy.close(r));
        await origin.close();
        sender.close();
      }
    });
  });

  describe("what the reason commitment binds", function () {
    it("a return whose recipients were sealed different reasons opens for at most one of them, whichever body is committed, and no other recipient's store keeps it", async function () {
      const [author, bank, csd] = route;
      const ticketKey = TICKET_KEY;
      const id = newTicketId();
      const salt = `0x${randomBytes(32).toString("hex")}`;
      const told = new Map([
        [bank.address, "DDAT"],
        [csd.address, "MONY"],
      ]);
      const bodyOf = (p: TestParty) => ({
        format: RETURN_FORMAT,
        id,
        ticketKey,
        version: 1,
        author: author.address,
        step: 0,
        reasons: [{ qualifier: "NMAT", code: told.get(p.address)! }],
        salt,
      });
      const split = splitReturn({
        ticketKey,
        version: 1,
        author: author.keys[0],
        recipients: [bank, csd].map((p) => ({
          address: p.address,
          publicKey: p.keys.at(-1)!.publicKey,
          role: "route",
          body: bodyOf(p),
        })),
      });
      const held = new Map(split.entries.map((e) => [e.locator, e.bytes]));
      const read = async (p: TestParty, commitment: string) =>
        (
          await openReturn({
            store: (c) => held.get(c.locator),
            ticketKey,
            version: 1,
            me: { address: p.address, keys: p.keys },
            authorPublicKeys: keysOf(author),
            author: author.address,
            reasonCommitment: commitment,
          })
        ).reasons.map((r) => r.code);
      const push: PushV2 = {
        format: "sr-push/2",
        kind: "return",
        ticketKey,
        version: 1,
        sender: author.address,
        envelopes: split.entries.map((e) => ({
          locator: e.locator,
          bytes: Buffer.from(e.bytes).toString("base64"),
        })),
      };
      const storeOf = (p: TestParty, commitment: string) =>
        ownerVerifier({
          owner: { address: p.address, keys: p.keys },
          lookup: async () => ({ commitment, senderKeys: keysOf(author) }),
        })(push, split.entries);

      // Whichever body the author registers, its own recipient reads it; the other refuses its
      // envelope with one line, and that party's store server refuses the push.
      for (const [committed, other] of [
        [bank, csd],
        [csd, bank],
      ]) {
        const commitment = reasonCommitment(split.root, bodyOf(committed));
        expect(await read(committed, commitment)).to.deep.equal([told.get(committed.address)]);
        expect(await storeOf(committed, commitment)).to.have.length(1);
        const refused = await read(other, commitment).catch((e: unknown) => e);
        expect(refused).to.be.instanceOf(TamperError);
        expect((refused as TamperError).oneLine()).to.match(SPLIT);
        const pushed = await storeOf(other, commitment).catch((e: unknown) => e);
        expect(pushed).to.be.instanceOf(Refusal);
        expect((pushed as Refusal).status).to.equal(422);
        expect((pushed as Refusal).error.oneLine()).to.match(SPLIT);
      }
      // The tree root alone, the old commitment, opens for nobody.
      for (const p of [bank, csd]) {
        expect(await read(p, split.root).catch((e: unknown) => e)).to.be.instanceOf(TamperError);
      }
    });
  });
});
