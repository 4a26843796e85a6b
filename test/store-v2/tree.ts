/**
 * Envelope sets: each recipient opens and verifies its own envelope alone; one changed byte in
 * any envelope fails only its own recipient, with an error naming that envelope; key versions
 * are found by trial, never read from the envelope.
 */
import { expect } from "chai";

import { CryptoError, StoreError, TamperError } from "../../lib/errors.js";
import { keccakHex } from "../../lib/crypto/abi.js";
import { CIPHERTEXT_SIZE, ENVELOPE_SIZE } from "../../lib/crypto/sealed-envelope.js";
import {
  openTree,
  sealTree,
  verifyEntries,
  type SealedTree,
  type TreeEntry,
} from "../../lib/ticket/envelope-tree.js";
import type { TestParty } from "../lib/fixtures.js";
import {
  asRecipient,
  entriesOf,
  failure,
  keysOf,
  latest,
  originator,
  outsider,
  route,
  TICKET_KEY,
  ticketSet,
} from "./helpers.js";

const open = (
  set: { commitment: string; entries: readonly TreeEntry[] },
  who: TestParty,
  keys = who.keys,
  version = 1,
) => {
  const byLocator = new Map(set.entries.map((e) => [e.locator, e.bytes]));
  return openTree<{ id: string }>({
    me: { address: who.address, keys },
    senderKeys: keysOf(originator),
    kind: "ticket",
    ticketKey: TICKET_KEY,
    version,
    commitment: set.commitment,
    fetch: (c) => byLocator.get(c.locator),
  });
};

const flip = (set: SealedTree, index: number, at: number) => ({
  ...set,
  entries: set.entries.map((e, i) => {
    if (i !== index) return e;
    const bytes = Uint8Array.from(e.bytes);
    bytes[at] ^= 0x01;
    return { ...e, bytes };
  }),
});

describe("v2 envelope sets: per-envelope verification", function () {
  this.timeout(60_000);
  const parties = [originator, ...route.slice(0, 3)];
  let set: SealedTree;

  before(function () {
    set = ticketSet(route.slice(0, 3));
  });

  it("lets every recipient open and verify its own envelope, and nobody else", async function () {
    for (const p of parties) {
      const opened = await open(set, p);
      expect(opened.body.id).to.equal("T-7KQ4-M2XD-9PWA");
      expect(opened.binding.recipient).to.equal(p.address);
      expect(opened.binding.role).to.equal(p === originator ? "originator" : "route");
      expect(set.entries.find((e) => e.locator === opened.locator)?.recipient).to.equal(p.address);
    }
    const error = await failure(open(set, outsider));
    expect(error).to.be.instanceOf(StoreError);
    expect(error.message).to.match(/no ticket envelope for you/);
  });

  it("fails only the recipient of a changed envelope, naming it, whichever byte of whichever envelope", async function () {
    const positions = [0, 31, 32, 60, 100, CIPHERTEXT_SIZE - 1, CIPHERTEXT_SIZE, ENVELOPE_SIZE - 1];
    for (let index = 0; index < set.entries.length; index++) {
      const owner = set.entries[index].recipient;
      for (const at of positions) {
        const changed = flip(set, index, at);
        for (const p of parties) {
          const result = await open(changed, p).then(
            () => undefined,
            (e: unknown) => e,
          );
          if (p.address === owner) {
            expect(result, `${p.name}, byte ${at}`).to.be.instanceOf(TamperError);
            expect((result as Error).message).to.contain(
              `your envelope ${set.entries[index].locator} is damaged`,
            );
          } else {
            expect(result, `${p.name} after a change in envelope ${index} at ${at}`).to.equal(
              undefined,
            );
          }
        }
      }
    }
  });

  it("says what was damaged: the sealed proof, or the committed ciphertext", async function () {
    const index = set.entries.findIndex((e) => e.recipient === route[0].address);
    expect((await failure(open(flip(set, index, ENVELOPE_SIZE - 1), route[0]))).message).to.match(
      /sealed proof does not authenticate/,
    );
    expect((await failure(open(flip(set, index, 500), route[0]))).message).to.match(
      /ciphertext does not match its leaf in the on-chain commitment/,
    );
    const cut = {
      ...set,
      entries: set.entries.map((e, i) => (i === index ? { ...e, bytes: e.bytes.subarray(1) } : e)),
    };
    expect((await failure(open(cut, route[0]))).message).to.match(
      /is 4095 bytes; every envelope is 4096/,
    );
  });

  it("refuses a proof for another commitment, and an envelope moved to another version", async function () {
    expect(
      (await failure(open({ ...set, commitment: keccakHex(new Uint8Array(1)) }, route[1]))).message,
    ).to.match(/carries a proof for another commitment than the on-chain one/);
    expect(await failure(open(set, route[1], route[1].keys, 2))).to.be.instanceOf(StoreError);
  });

  it("finds the key version by locator: old and new key versions after a rotation", async function () {
    const csd = route[7];
    const before = sealTree({
      kind: "ticket",
      ticketKey: TICKET_KEY,
      version: 1,
      sender: latest(originator),
      recipients: [{ ...asRecipient(csd), publicKey: csd.keys[0].publicKey, keyVersion: 1 }],
      body: { id: "T-7KQ4-M2XD-9PWA" },
    });
    const after = ticketSet([csd]);
    expect((await open(before, csd)).keyVersion).to.equal(1);
    expect((await open(after, csd)).keyVersion).to.equal(2);
    expect(await failure(open(after, csd, [csd.keys[0]]))).to.be.instanceOf(StoreError);
  });

  it("skips a sender key version that cannot be used, so only its own sets fail", async function () {
    const lowOrder = `0x01${"00".repeat(31)}`;
    const byLocator = new Map(set.entries.map((e) => [e.locator, e.bytes]));
    const opened = await openTree({
      me: { address: route[0].address, keys: route[0].keys },
      senderKeys: new Map([
        [1, latest(originator).publicKey],
        [2, lowOrder],
      ]),
      kind: "ticket",
      ticketKey: TICKET_KEY,
      version: 1,
      commitment: set.commitment,
      fetch: (c) => byLocator.get(c.locator),
    });
    expect(opened.senderVersion).to.equal(1);
    const error = await failure(
      openTree({
        me: { address: route[0].address, keys: route[0].keys },
        senderKeys: new Map([[1, lowOrder]]),
        kind: "ticket",
        ticketKey: TICKET_KEY,
        version: 1,
        commitment: set.commitment,
        fetch: () => undefined,
      }),
    );
    expect(error).to.be.instanceOf(CryptoError);
    expect(error.message).to.match(/no usable key pair/);
  });

  it("lets a recipient check the other envelopes one by one, naming a changed one", async function () {
    const opened = await open(set, route[2]);
    const index = set.entries.findIndex((e) => e.recipient === route[0].address);
    const { good, bad } = verifyEntries(opened.proof, entriesOf(flip(set, index, 1234)));
    expect(good).to.have.length(8);
    expect(bad).to.deep.equal([
      {
        locator: set.entries[index].locator,
        reason: `envelope ${set.entries[index].locator} is not in this set as sealed`,
      },
    ]);
  });

  it("gives a holder of the store no hash or proof node that links a set's envelopes", function () {
    const a = ticketSet(route.slice(0, 8));
    // Every 32-byte window of every envelope against the commitment and every ciphertext's hash.
    const hashes = new Set([
      a.commitment.slice(2),
      ...a.entries.map((e) => keccakHex(e.bytes.subarray(0, CIPHERTEXT_SIZE)).slice(2)),
    ]);
    for (const e of a.entries) {
      const hex = Buffer.from(e.bytes).toString("hex");
      for (const h of hashes) expect(hex.includes(h)).to.equal(false);
    }
    // The sealed proofs of one set share no 16-byte run with each other.
    const proofs = a.entries.map((e) => Buffer.from(e.bytes.subarray(CIPHERTEXT_SIZE)));
    for (let i = 0; i < proofs.length; i++) {
      for (let j = i + 1; j < proofs.length; j++) {
        for (let at = 0; at + 16 <= proofs[i].length; at += 16) {
          expect(proofs[j].includes(proofs[i].subarray(at, at + 16))).to.equal(false);
        }
      }
    }
  });
});
