import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { expect } from "chai";

import { CryptoError, NotAPartyError, StoreError, TamperError } from "../../lib/errors.js";
import { keyPairFromSeed } from "../../lib/crypto/keys.js";
import { FolderStore } from "../../lib/store/folder.js";
import { ticketKey } from "../../lib/ticket/id.js";
import { locateTicket, openTicket, openNote, locateNote } from "../../lib/ticket/open.js";
import { sealNote, sealTicket, storeSealed, type SealedTicket } from "../../lib/ticket/seal.js";
import { verifyEnvelope } from "../../lib/ticket/envelope-commitment.js";
import {
  assetManager,
  broker,
  csd,
  current,
  custodian,
  dvpTrade,
  fopTrade,
  outsider,
  party,
  publicKeys,
  reader,
  routeParty,
  seed,
  tempStore,
  type TestParty,
} from "./fixtures.js";

const route = [custodian, broker, csd];

async function sealed(trade?: Awaited<ReturnType<typeof dvpTrade>>): Promise<SealedTicket> {
  return sealTicket({
    trade: trade ?? (await dvpTrade()),
    originator: { address: assetManager.address, keyPair: current(assetManager) },
    route: route.map(routeParty),
  });
}

function chainOf(t: SealedTicket) {
  return {
    tradeCommitment: t.tradeCommitment,
    envelopeCommitment: t.envelopeCommitment,
    originator: assetManager.address,
    route: route.map((p) => p.address),
  };
}

async function expectError<E extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => E,
  pattern?: RegExp,
): Promise<E> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    if (pattern !== undefined) expect((error as Error).message).to.match(pattern);
    return error as E;
  }
  expect.fail(`expected ${type.name}`);
}

describe("lib/ticket: seal and open", function () {
  let store: FolderStore;
  let root: string;
  let done: () => Promise<void>;
  let ticket: SealedTicket;

  beforeEach(async function () {
    ({ store, root, done } = await tempStore());
    ticket = await sealed();
    await storeSealed(store, ticket);
  });
  afterEach(async () => done());

  const open = (p: TestParty, extra: Partial<Parameters<typeof openTicket>[0]> = {}) =>
    openTicket({
      store,
      ticketKey: ticket.ticketKey,
      version: 1,
      me: reader(p),
      senderPublicKeys: publicKeys(assetManager),
      expected: chainOf(ticket),
      ...extra,
    });

  const envPath = (locator: string, t = ticket) =>
    join(root, "tickets", t.id, `v${t.version}`, `${locator}.env`);
  const envelopeOf = (p: TestParty, t = ticket) =>
    t.envelopes.find((e) => e.recipient === p.address)!;

  it("derives the on-chain key from ID, secret and originator", function () {
    expect(ticket.ticketKey).to.equal(ticketKey(ticket.id, ticket.secret, assetManager.address));
    expect(ticket.id).to.match(/^T-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(ticket.envelopes).to.have.length(4);
    expect(ticket.decoys).to.have.length(5);
  });

  for (const p of [assetManager, ...route]) {
    it(`round-trips for ${p.name} by ticket key, by ID and by both`, async function () {
      const trade = await dvpTrade();
      for (const how of [
        { id: undefined },
        { id: ticket.id, ticketKey: undefined },
        { id: ticket.id },
      ]) {
        const opened = await open(p, how);
        expect(opened.trade).to.deep.equal(trade);
        expect(opened.id).to.equal(ticket.id);
        expect(opened.secret).to.equal(ticket.secret);
        expect(opened.route).to.deep.equal(route.map((r) => r.address));
        expect(opened.role).to.equal(p === assetManager ? "originator" : "route");
      }
    });
  }

  it("finds my envelope from my notification without the ID", async function () {
    const found = await locateTicket({
      store,
      ticketKey: ticket.ticketKey,
      version: 1,
      me: reader(csd),
      originatorPublicKeys: publicKeys(assetManager),
    });
    expect(found?.id).to.equal(ticket.id);
    expect(found?.locator).to.equal(envelopeOf(csd).locator);
    expect(
      await locateTicket({
        store,
        ticketKey: ticket.ticketKey,
        version: 1,
        me: reader(outsider),
        originatorPublicKeys: publicKeys(assetManager),
      }),
    ).to.equal(undefined);
  });

  it("verifies one envelope alone with its proof", async function () {
    const e = envelopeOf(broker);
    expect(verifyEnvelope(e, e.proof, ticket.envelopeCommitment)).to.equal(true);
    expect(
      verifyEnvelope({ ...e, bytes: e.bytes.slice(1) }, e.proof, ticket.envelopeCommitment),
    ).to.equal(false);
    const opened = await open(broker, { proof: e.proof });
    expect(opened.version).to.equal(1);
  });

  describe("outsider", function () {
    it("holding the whole store and the ID gets NotAPartyError", async function () {
      await expectError(
        open(outsider, { ticketKey: undefined, id: ticket.id }),
        NotAPartyError,
        /^not a party to this ticket$/,
      );
    });
    it("holding the whole store, the ID and the on-chain key gets NotAPartyError", async function () {
      await expectError(
        open(outsider, { id: ticket.id, expected: { ...chainOf(ticket) } }),
        NotAPartyError,
        /^not a party to this ticket$/,
      );
      await expectError(open(outsider), NotAPartyError);
    });
    it("cannot recompute the envelope commitment from the store's files", async function () {
      const { envelopeCommitment } = await import("../../lib/ticket/envelope-commitment.js");
      const { merkleRoot } = await import("../../lib/crypto/merkle.js");
      const { envelopeLeaf } = await import("../../lib/ticket/envelope-commitment.js");
      const entries = await Promise.all(
        (await store.list(ticket.id, 1)).map(async (locator) => ({
          locator,
          bytes: await store.get(ticket.id, 1, locator),
        })),
      );
      expect(merkleRoot(entries.map((e) => envelopeLeaf(e.locator, e.bytes)))).to.not.equal(
        ticket.envelopeCommitment,
      );
      expect(envelopeCommitment(entries, `0x${"00".repeat(32)}`)).to.not.equal(
        ticket.envelopeCommitment,
      );
    });
  });

  describe("keys", function () {
    it("a wrong key (a party with other keys at the same address) cannot read", async function () {
      const impostor = party("impostor", csd.address);
      await expectError(open(impostor, { id: ticket.id, ticketKey: undefined }), NotAPartyError);
      // The chain lists the address on the route: the error says the keys do not match.
      await expectError(open(impostor, { id: ticket.id }), CryptoError, /addressed to your keys/);
    });

    it("old tickets stay readable after a key rotation, with the old key version", async function () {
      const rotated = party("csd", csd.address, 2); // same v1 seed, plus v2
      expect(rotated.keys[0].publicKey).to.equal(current(csd).publicKey);
      const opened = await open(rotated);
      expect(opened.keyVersion).to.equal(1);
      // A new ticket goes to v2; the reader still holding both reads it with v2.
      const t2 = sealTicket({
        trade: await fopTrade(),
        originator: { address: assetManager.address, keyPair: current(assetManager) },
        route: [routeParty(custodian), routeParty(rotated)],
      });
      await storeSealed(store, t2);
      const o2 = await openTicket({
        store,
        ticketKey: t2.ticketKey,
        version: 1,
        me: reader(rotated),
        senderPublicKeys: publicKeys(assetManager),
        expected: {
          tradeCommitment: t2.tradeCommitment,
          envelopeCommitment: t2.envelopeCommitment,
        },
      });
      expect(o2.keyVersion).to.equal(2);
      // Without its old key the CSD cannot read the old ticket.
      const v2only = { ...rotated, keys: [rotated.keys[1]] };
      const lost = await expectError(open(v2only), StoreError);
      expect(lost.details).to.match(/key versions 2$/);
      await expectError(open(v2only, { id: ticket.id }), CryptoError, /addressed to your keys/);
    });

    it("reads a ticket whose originator rotated its key after sealing", async function () {
      const amRotated = party("asset-manager", assetManager.address, 2);
      const opened = await open(custodian, { senderPublicKeys: publicKeys(amRotated) });
      expect(opened.id).to.equal(ticket.id);
    });

    it("derives the same key pair from the same seed", function () {
      expect(keyPairFromSeed(seed("csd", 1), 1).publicKey).to.equal(current(csd).publicKey);
    });
  });

  describe("tampering", function () {
    it("a changed byte in the ciphertext is TamperError for its reader", async function () {
      const e = envelopeOf(csd);
      const doc = JSON.parse(Buffer.from(e.bytes).toString("utf8"));
      const ct = Buffer.from(doc.ciphertext, "base64");
      ct[ct.length - 1] ^= 1;
      doc.ciphertext = ct.toString("base64");
      const { canonicalBytes } = await import("../../lib/crypto/canonical.js");
      await writeFile(envPath(e.locator), canonicalBytes(doc));
      await expectError(open(csd), TamperError, /does not decrypt/);
    });

    it("every single-byte change of an envelope file is TamperError, never a crash", async function () {
      const e = envelopeOf(broker);
      const original = Buffer.from(e.bytes);
      for (let i = 0; i < original.length; i += 7) {
        const bytes = Buffer.from(original);
        bytes[i] ^= 0x01;
        await writeFile(envPath(e.locator), bytes);
        const error = await expectError(open(broker), Error);
        expect(error, `byte ${i}: ${String(error)}`).to.satisfy(
          (x: unknown) => x instanceof TamperError || x instanceof CryptoError,
        );
      }
    });

    it("a changed envelope header (key version) is TamperError", async function () {
      const e = envelopeOf(custodian);
      await writeFile(
        envPath(e.locator),
        Buffer.from(e.bytes).toString("utf8").replace('"keyVersion":1', '"keyVersion":2'),
      );
      await expectError(open(custodian), TamperError, /key version 2/);
    });

    it("a truncated file is TamperError", async function () {
      const e = envelopeOf(csd);
      await writeFile(envPath(e.locator), e.bytes.slice(0, e.bytes.length - 10));
      await expectError(open(csd), TamperError, /malformed/);
      await writeFile(envPath(e.locator), new Uint8Array());
      await expectError(open(csd), TamperError, /malformed: empty/);
    });

    it("an unknown envelope format version is CryptoError naming it", async function () {
      const e = envelopeOf(csd);
      await writeFile(
        envPath(e.locator),
        Buffer.from(e.bytes).toString("utf8").replace("sr-envelope/1", "sr-envelope/2"),
      );
      await expectError(open(csd), CryptoError, /format sr-envelope\/2/);
    });

    it("a tampered on-chain trade commitment is TamperError", async function () {
      const expected = { ...chainOf(ticket), tradeCommitment: `0x${"11".repeat(32)}` };
      await expectError(open(csd, { expected }), TamperError, /trade commitment/);
    });

    it("a tampered on-chain envelope commitment is TamperError", async function () {
      const expected = { ...chainOf(ticket), envelopeCommitment: `0x${"11".repeat(32)}` };
      await expectError(open(csd, { expected }), TamperError, /on-chain commitment/);
    });

    it("a changed decoy (another envelope of the set) is TamperError", async function () {
      const d = ticket.decoys[0];
      const bytes = Buffer.from(d.bytes);
      bytes[bytes.length - 5] ^= 1;
      await writeFile(envPath(d.locator), bytes);
      await expectError(open(csd), TamperError, /on-chain commitment/);
    });

    it("a changed route on-chain is detected against the sealed route", async function () {
      const expected = {
        ...chainOf(ticket),
        route: [custodian.address, csd.address, broker.address],
      };
      await expectError(open(custodian, { expected }), TamperError, /route/);
    });

    it("ciphertexts swapped between two parties are TamperError", async function () {
      const mine = envelopeOf(custodian);
      const theirs = envelopeOf(broker);
      await writeFile(envPath(mine.locator), theirs.bytes);
      await expectError(open(custodian), TamperError);
    });

    it("a ciphertext swapped in from another ticket (same parties) is TamperError", async function () {
      const other = await sealed(await fopTrade());
      await storeSealed(store, other);
      await writeFile(envPath(envelopeOf(csd).locator), envelopeOf(csd, other).bytes);
      await expectError(open(csd), TamperError, /another ticket/);
    });

    it("a ciphertext swapped in from another version of the same ticket is TamperError", async function () {
      const v2 = sealTicket({
        id: ticket.id,
        secret: ticket.secret,
        version: 2,
        trade: await fopTrade(),
        originator: { address: assetManager.address, keyPair: current(assetManager) },
        route: route.map(routeParty),
      });
      await storeSealed(store, v2);
      expect(v2.ticketKey).to.equal(ticket.ticketKey);
      await writeFile(envPath(envelopeOf(csd).locator), envelopeOf(csd, v2).bytes);
      await expectError(open(csd), TamperError, /version 2, not 1/);
      const opened = await openTicket({
        store,
        ticketKey: v2.ticketKey,
        version: 2,
        me: reader(broker),
        senderPublicKeys: publicKeys(assetManager),
        expected: {
          tradeCommitment: v2.tradeCommitment,
          envelopeCommitment: v2.envelopeCommitment,
        },
      });
      expect(opened.trade.isin).to.equal("JP3435000009");
    });
  });

  describe("store", function () {
    it("a missing store entry is StoreError saying what is missing", async function () {
      const e = envelopeOf(csd);
      await store.remove(ticket.id, 1, e.locator);
      await expectError(open(csd), StoreError, /no ticket envelope for you/);
      await expectError(
        store.get(ticket.id, 1, e.locator),
        StoreError,
        new RegExp(`has no envelope ${e.locator}`),
      );
      await expectError(
        store.get(ticket.id, 3, e.locator),
        StoreError,
        /has no version 3 in the store \(it has v1\)/,
      );
      await expectError(
        store.get("T-0000-0000-0000", 1, e.locator),
        StoreError,
        /no ticket T-0000-0000-0000/,
      );
    });

    it("a missing sibling envelope stops verification with StoreError", async function () {
      await store.remove(ticket.id, 1, ticket.decoys[0].locator);
      await expectError(open(csd), StoreError, /has no envelope/);
    });

    it("pads every version to nine files of one size, decoys indexed like envelopes", async function () {
      const short = sealTicket({
        trade: await fopTrade(),
        originator: { address: assetManager.address, keyPair: current(assetManager) },
        route: [routeParty(csd)],
      });
      await storeSealed(store, short);
      for (const t of [ticket, short]) {
        const dir = join(root, "tickets", t.id, "v1");
        const files = await readdir(dir);
        expect(files).to.have.length(9);
        const sizes = new Set(
          await Promise.all(files.map(async (f) => (await stat(join(dir, f))).size)),
        );
        expect(sizes.size).to.equal(1);
        for (const f of files)
          expect(await store.lookup(f.slice(0, -4))).to.deep.equal({ id: t.id, version: 1 });
        const shapes = new Set(
          await Promise.all(
            files.map(async (f) => {
              const doc = JSON.parse(await readFile(join(dir, f), "utf8"));
              return `${Object.keys(doc).join()}|${doc.keyVersion}|${doc.ciphertext.length}`;
            }),
          ),
        );
        expect(shapes.size).to.equal(1);
      }
    });

    it("names no recipient and no on-chain value anywhere in the store", async function () {
      const all: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          all.push(path);
          if (entry.isDirectory()) await walk(path);
          else all.push((await readFile(path)).toString("latin1"));
        }
      };
      await walk(root);
      const text = all.join("\n").toLowerCase();
      for (const p of [assetManager, ...route]) {
        expect(text).to.not.include(p.address.slice(2).toLowerCase());
        expect(text).to.not.include(current(p).publicKey.slice(2));
      }
      for (const v of [
        ticket.ticketKey,
        ticket.tradeCommitment,
        ticket.envelopeCommitment,
        ticket.secret,
      ]) {
        expect(text).to.not.include(v.slice(2).toLowerCase());
      }
    });
  });

  describe("notes", function () {
    it("seals a return narrative for the originator and the route; each reads it, an outsider cannot", async function () {
      const note = sealNote({
        ticket: {
          id: ticket.id,
          secret: ticket.secret,
          version: 1,
          originator: assetManager.address,
        },
        author: { address: csd.address, keyPair: current(csd) },
        reasons: ["NMAT/DDAT"],
        recipients: [
          { ...routeParty(assetManager), role: "originator" },
          ...route.map((p) => ({ ...routeParty(p), role: "route" as const })),
        ],
        narrative:
          "Settlement date 2024-05-15 is a JASDEC holiday for this issue; please amend to 2024-05-16.",
      });
      await storeSealed(store, note);
      expect(await store.list(ticket.id, 1)).to.have.length(18);
      for (const p of [assetManager, ...route]) {
        const opened = await openNote({
          store,
          ticketKey: ticket.ticketKey,
          version: 1,
          me: reader(p),
          authorPublicKeys: publicKeys(csd),
          author: csd.address,
          narrativeCommitment: note.narrativeCommitment,
        });
        expect(opened.narrative).to.match(/JASDEC holiday/);
        expect(opened.reasons).to.deep.equal(["NMAT/DDAT"]);
        expect(opened.author).to.equal(csd.address);
      }
      const where = await locateNote({
        store,
        ticketKey: ticket.ticketKey,
        version: 1,
        me: reader(broker),
        authorPublicKeys: publicKeys(csd),
      });
      expect(where?.id).to.equal(ticket.id);
      await expectError(
        openNote({
          store,
          id: ticket.id,
          version: 1,
          me: reader(outsider),
          authorPublicKeys: publicKeys(csd),
          narrativeCommitment: note.narrativeCommitment,
        }),
        NotAPartyError,
      );
      // The ticket itself still opens with notes in the same version folder.
      expect((await open(broker)).id).to.equal(ticket.id);
    });
  });
});
