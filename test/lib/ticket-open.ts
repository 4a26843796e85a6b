import { expect } from "chai";
import { getAddress } from "ethers";

import { CryptoError, InputError, StoreError, TamperError } from "../../lib/errors.js";
import { keyPairFromSeed } from "../../lib/crypto/keys.js";
import { ENVELOPE_SIZE, SET_SIZE } from "../../lib/crypto/sealed-envelope.js";
import { ticketKey, ticketRef, recordKey } from "../../lib/ticket/id.js";
import { openReturn, openTicket } from "../../lib/ticket/open.js";
import {
  journalSet,
  removeSealed,
  sealReturn,
  sealTicket,
  setFromJournal,
  storeSealed,
  type SealedSet,
  type SealedTicket,
} from "../../lib/ticket/seal.js";
import type { EnvelopeStore } from "../../lib/ticket/store.js";
import { SqliteEnvelopeStore } from "../../lib/store/sqlite.js";
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
  tempFolder,
  type TestParty,
} from "./fixtures.js";
import { failure } from "../store-v2/helpers.js";

const route = [custodian, broker, csd];
const oneTime = (i: number) =>
  getAddress(`0x${"0e".repeat(19)}${(i + 1).toString(16).padStart(2, "0")}`);
const slots = route.map((p, i) => ({
  party: p.address,
  name: p.name,
  keyVersion: current(p).version,
  address: oneTime(i),
}));

/** A store in memory whose entries a test may change in place (a real one never overwrites). */
class MemoryStore implements EnvelopeStore {
  readonly entries = new Map<string, Uint8Array>();
  putSet(entries: readonly { locator: string; bytes: Uint8Array }[]) {
    let stored = 0;
    for (const e of entries) {
      if (!this.entries.has(e.locator)) stored++;
      this.entries.set(e.locator, new Uint8Array(e.bytes));
    }
    return { stored, existing: entries.length - stored };
  }
  get(locator: string) {
    return this.entries.get(locator);
  }
  removeSet(entries: readonly { locator: string }[]) {
    return entries.filter((e) => this.entries.delete(e.locator)).length;
  }
  flip(locator: string, at: number) {
    this.entries.get(locator)![at] ^= 0x01;
  }
}

async function sealed(
  trade?: Awaited<ReturnType<typeof dvpTrade>>,
  withSlots = true,
): Promise<SealedTicket> {
  return sealTicket({
    trade: trade ?? (await dvpTrade()),
    originator: { address: assetManager.address, keyPair: current(assetManager) },
    route: route.map(routeParty),
    ...(withSlots ? { slots } : {}),
  });
}

const chainOf = (t: SealedTicket) => ({
  tradeCommitment: t.tradeCommitment,
  envelopeCommitment: t.envelopeCommitment,
  originator: assetManager.address,
  route: slots.map((s) => s.address),
});

const entryOf = (set: SealedSet, p: TestParty) =>
  set.entries.find((e) => e.recipient === p.address)!;

describe("lib/ticket: seal and open (sr-ticket/2, sr-return/2)", function () {
  let store: MemoryStore;
  let ticket: SealedTicket;

  beforeEach(async function () {
    store = new MemoryStore();
    ticket = await sealed();
    await storeSealed(store, ticket);
  });

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

  it("binds the record key to its creator: ref from ID and secret, key from originator and ref", function () {
    expect(ticket.ref).to.equal(ticketRef(ticket.id, ticket.secret));
    expect(ticket.ticketKey).to.equal(recordKey(assetManager.address, ticket.ref));
    expect(ticket.ticketKey).to.equal(ticketKey(ticket.id, ticket.secret, assetManager.address));
    expect(ticketKey(ticket.id, ticket.secret, outsider.address)).to.not.equal(ticket.ticketKey);
    expect(ticket.plaintext.format).to.equal("sr-ticket/2");
  });

  it("seals nine envelopes of one size: one per recipient, decoys for the rest", function () {
    expect(ticket.entries).to.have.length(SET_SIZE);
    expect(ticket.entries.filter((e) => e.recipient !== undefined)).to.have.length(4);
    for (const e of ticket.entries) expect(e.bytes.length).to.equal(ENVELOPE_SIZE);
    expect(ticket.commitment).to.equal(ticket.envelopeCommitment);
  });

  for (const p of [assetManager, ...route]) {
    it(`round-trips for ${p.name}, with the slot table of the stealth route`, async function () {
      const opened = await open(p, { id: ticket.id });
      expect(opened.trade).to.deep.equal(await dvpTrade());
      expect(opened.id).to.equal(ticket.id);
      expect(opened.secret).to.equal(ticket.secret);
      expect(opened.route).to.deep.equal(route.map((r) => r.address));
      expect(opened.slots?.map((s) => s.address)).to.deep.equal(slots.map((s) => s.address));
      expect(opened.role).to.equal(p === assetManager ? "originator" : "route");
      expect(opened.locator).to.equal(entryOf(ticket, p).locator);
    });
  }

  it("finds nothing for an outsider, with the same error as a missing envelope", async function () {
    const error = await failure(open(outsider));
    expect(error).to.be.instanceOf(StoreError);
    store.removeSet([entryOf(ticket, csd)]);
    const missing = await failure(open(csd));
    expect(missing).to.be.instanceOf(StoreError);
  });

  it("reads tickets sealed to an earlier key version after a rotation", async function () {
    const rotated = party("custodian-bank", custodian.address, 2);
    expect(rotated.keys[0].publicKey).to.equal(current(custodian).publicKey);
    const opened = await open(rotated);
    expect(opened.keyVersion).to.equal(1);
  });

  it("refuses a ticket whose ID and secret do not name this record, or another ID than asked", async function () {
    expect(await failure(open(csd, { id: "T-0000-0000-0000" }))).to.be.instanceOf(TamperError);
    const other = await sealed();
    await storeSealed(store, other);
    // The other ticket's envelope read under this ticket's key: its locator differs, so none found.
    expect(await failure(open(csd, { ticketKey: other.ticketKey }))).to.be.instanceOf(TamperError);
  });

  it("checks the trade, originator and route against the chain", async function () {
    const bad = (change: object) =>
      failure(open(csd, { expected: { ...chainOf(ticket), ...change } }));
    expect(await bad({ tradeCommitment: `0x${"11".repeat(32)}` })).to.be.instanceOf(TamperError);
    expect(await bad({ originator: outsider.address })).to.be.instanceOf(TamperError);
    expect(await bad({ route: [oneTime(0), oneTime(2), oneTime(1)] })).to.be.instanceOf(
      TamperError,
    );
    expect(await bad({ envelopeCommitment: `0x${"22".repeat(32)}` })).to.be.instanceOf(TamperError);
  });

  it("without slots, compares the sealed directory route with the chain's", async function () {
    ticket = await sealed(await fopTrade(), false);
    await storeSealed(store, ticket);
    const opened = await open(custodian, {
      expected: { ...chainOf(ticket), route: route.map((p) => p.address) },
    });
    expect(opened.slots).to.equal(undefined);
  });

  describe("one damaged envelope affects only its recipient (finding 6)", function () {
    it("a flipped byte in another party's envelope or a decoy leaves every other reader whole", async function () {
      const decoy = ticket.entries.find((e) => e.recipient === undefined)!;
      store.flip(decoy.locator, 100);
      store.flip(entryOf(ticket, broker).locator, 2000);
      for (const p of [assetManager, custodian, csd]) {
        expect((await open(p)).id).to.equal(ticket.id);
      }
      const error = await failure(open(broker));
      expect(error).to.be.instanceOf(TamperError);
      expect(error.message).to.include(entryOf(ticket, broker).locator);
    });

    it("every place of a flipped byte in my envelope is TamperError naming my envelope, never a crash", async function () {
      const mine = entryOf(ticket, csd);
      const original = new Uint8Array(mine.bytes);
      for (const at of [0, 31, 32, 56, 72, 1000, 3759, 3760, 4000, ENVELOPE_SIZE - 1]) {
        store.entries.set(mine.locator, new Uint8Array(original));
        store.flip(mine.locator, at);
        const error = await failure(open(csd));
        expect(error, `byte ${at}`).to.be.instanceOf(TamperError);
        expect(error.message, `byte ${at}`).to.include(mine.locator);
      }
    });
  });

  describe("one bad key on chain fails only the tickets it touches (finding 5)", function () {
    it("a low-order sender key is one CryptoError for that ticket; a good version still opens", async function () {
      const lowOrder = `0x01${"00".repeat(31)}`;
      const error = await failure(open(csd, { senderPublicKeys: new Map([[1, lowOrder]]) }));
      expect(error).to.be.instanceOf(CryptoError);
      expect((error as CryptoError).hint).to.match(/only this ticket/);
      const mixed = new Map([
        [1, current(assetManager).publicKey],
        [2, lowOrder],
      ]);
      expect((await open(csd, { senderPublicKeys: mixed })).id).to.equal(ticket.id);
    });

    it("sealing to a low-order recipient key is refused before anything is stored", async function () {
      const bad = { ...routeParty(csd), publicKey: `0x01${"00".repeat(31)}` };
      expect(() =>
        sealTicket({
          trade: ticket.plaintext.trade,
          originator: { address: assetManager.address, keyPair: current(assetManager) },
          route: [routeParty(custodian), bad],
        }),
      ).to.throw(CryptoError);
    });
  });

  describe("returns", function () {
    const recipients = () => [
      { ...routeParty(assetManager), role: "originator" as const },
      ...route.map((p) => ({ ...routeParty(p), role: "route" as const })),
    ];
    const sealedReturn = (extra: Partial<Parameters<typeof sealReturn>[0]> = {}) =>
      sealReturn({
        ticket: { id: ticket.id, ticketKey: ticket.ticketKey, version: 1 },
        author: { address: broker.address, keyPair: current(broker) },
        step: 1,
        recipients: recipients(),
        reasons: "NMAT/DDAT,PEND/MONY",
        note: "Settlement date differs from our instruction.",
        ...extra,
      });

    it("seals codes and note to the route; each party reads them, an outsider cannot", async function () {
      const ret = sealedReturn();
      expect(ret.reasonCommitment).to.equal(ret.commitment);
      expect(ret.entries).to.have.length(SET_SIZE);
      for (const e of ret.entries) expect(e.bytes.length).to.equal(ENVELOPE_SIZE);
      await storeSealed(store, ret);
      for (const p of [assetManager, ...route]) {
        const opened = await openReturn({
          store,
          ticketKey: ticket.ticketKey,
          version: 1,
          me: reader(p),
          authorPublicKeys: publicKeys(broker),
          author: broker.address,
          reasonCommitment: ret.reasonCommitment,
        });
        expect(opened.reasons.map((r) => `${r.qualifier}/${r.code}`)).to.deep.equal([
          "NMAT/DDAT",
          "PEND/MONY",
        ]);
        expect(opened.reasons[1].meaning).to.match(/money/i);
        expect(opened.note).to.match(/Settlement date/);
        expect(opened.id).to.equal(ticket.id);
      }
      expect(
        await failure(
          openReturn({
            store,
            ticketKey: ticket.ticketKey,
            version: 1,
            me: reader(outsider),
            authorPublicKeys: publicKeys(broker),
            reasonCommitment: ret.reasonCommitment,
          }),
        ),
      ).to.be.instanceOf(StoreError);
    });

    it("accepts the reasons as strings, and a return without a note", async function () {
      const ret = sealedReturn({ reasons: ["REJT/SAFE", "REJT/JASDEC/X001"], note: undefined });
      expect(ret.plaintext.reasons).to.deep.equal([
        { qualifier: "REJT", code: "SAFE" },
        { qualifier: "REJT", code: "X001", scheme: "JASDEC" },
      ]);
      expect(ret.plaintext.note).to.equal(undefined);
      const fromSecret = sealReturn({
        ticket: {
          id: ticket.id,
          secret: ticket.secret,
          originator: assetManager.address,
          version: 1,
        },
        author: { address: broker.address, keyPair: current(broker) },
        step: 1,
        recipients: recipients(),
        reasons: "DDAT",
      });
      expect(fromSecret.ticketKey).to.equal(ticket.ticketKey);
    });

    it("validates codes and note before sealing", function () {
      const nine =
        "NMAT/DDAT,NMAT/DEPT,NMAT/DMON,NMAT/ICAG,NMAT/IIND,NMAT/CPCA,NMAT/SAFE,NMAT/PLCE,NMAT/DTRD";
      expect(() => sealedReturn({ reasons: "XXXX" })).to.throw(InputError);
      expect(() => sealedReturn({ reasons: "NMAT/DDAT,NMAT/DDAT" })).to.throw(InputError);
      expect(() => sealedReturn({ reasons: nine })).to.throw(InputError, /1 to 8/);
      expect(() => sealedReturn({ note: "x".repeat(2001) })).to.throw(InputError, /2000/);
      expect(() => sealedReturn({ note: "bell\u0007" })).to.throw(InputError, /control/);
      // The longest note in the worst characters still fits one envelope.
      expect(sealedReturn({ note: "日".repeat(800) }).entries[0].bytes.length).to.equal(
        ENVELOPE_SIZE,
      );
    });
  });

  describe("the sealed set as the sender keeps it", function () {
    it("round-trips through the journal byte for byte", function () {
      const back = setFromJournal(JSON.parse(JSON.stringify(journalSet(ticket))));
      expect(back.commitment).to.equal(ticket.commitment);
      expect(back.entries.map((e) => Buffer.from(e.bytes).toString("hex"))).to.deep.equal(
        ticket.entries.map((e) => Buffer.from(e.bytes).toString("hex")),
      );
    });

    it("stores a set once, accepts the same set again, and removes only its own bytes", async function () {
      const { path, done } = await tempFolder();
      const sqlite = SqliteEnvelopeStore.open(path);
      try {
        expect(await storeSealed(sqlite, ticket)).to.deep.equal({ stored: 9, existing: 0 });
        expect(await storeSealed(sqlite, ticket)).to.deep.equal({ stored: 0, existing: 9 });
        const resealed = await sealed();
        expect(await removeSealed(sqlite, resealed)).to.equal(0);
        expect(await removeSealed(sqlite, ticket)).to.equal(9);
        expect(sqlite.count()).to.equal(0);
      } finally {
        sqlite.close();
        await done();
      }
    });

    it("seals the same version twice with other bytes at the same locators (hence the journal)", async function () {
      const again = sealTicket({
        id: ticket.id,
        secret: ticket.secret,
        trade: ticket.plaintext.trade,
        originator: { address: assetManager.address, keyPair: current(assetManager) },
        route: route.map(routeParty),
        slots,
      });
      const mine = (s: SealedSet) => entryOf(s, csd);
      expect(mine(again).locator).to.equal(mine(ticket).locator);
      expect(Buffer.from(mine(again).bytes).equals(Buffer.from(mine(ticket).bytes))).to.equal(
        false,
      );
    });
  });

  it("derives the same key pair from the same seed", function () {
    const a = keyPairFromSeed(new Uint8Array(32).fill(7), 1);
    const b = keyPairFromSeed(new Uint8Array(32).fill(7), 1);
    expect(a.publicKey).to.equal(b.publicKey);
  });
});
