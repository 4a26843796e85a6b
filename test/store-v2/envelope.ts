/**
 * The fixed-size envelope: one global size for every kind, the largest payloads the schemas
 * allow fit, nothing but a fresh public key in clear, decoys shaped like envelopes.
 */
import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { decrypt as eciesjsDecrypt, encrypt as eciesjsEncrypt } from "eciesjs";
import { Config } from "eciesjs/config";

import { canonicalBytes } from "../../lib/crypto/canonical.js";
import { CryptoError, InputError } from "../../lib/errors.js";
import { x25519, x25519KeyPair } from "../../lib/crypto/x25519.js";
import { ECIES_OVERHEAD } from "../../lib/crypto/ecies.js";
import { eciesOpen, eciesSeal } from "../../lib/crypto/ecies-native.js";
import {
  CIPHERTEXT_SIZE,
  decoyCiphertext,
  ENVELOPE_SIZE,
  MAX_PAYLOAD_BYTES,
  openCiphertext,
  PROOF_SECTION_SIZE,
  sealCiphertext,
  SET_SIZE,
} from "../../lib/crypto/sealed-envelope.js";
import {
  checkNoteSize,
  MAX_NOTE_BYTES,
  MAX_NOTE_CHARACTERS,
  sealTree,
} from "../../lib/ticket/envelope-tree.js";
import { largestReturnPayload, largestTicketPayload } from "../../lib/ticket/envelope-budget.js";
import { asRecipient, latest, originator, route, TICKET_KEY, ticketSet } from "./helpers.js";

const pub = (hex: string) => Buffer.from(hex.slice(2), "hex");

describe("v2 envelope: one fixed size", function () {
  it("fits the largest ticket the schema allows with an 8-party route, with room to spare", function () {
    const size = canonicalBytes(largestTicketPayload()).length;
    expect(size).to.be.at.most(MAX_PAYLOAD_BYTES);
    expect(MAX_PAYLOAD_BYTES - size, "spare bytes").to.be.at.least(600);
    const sealed = sealCiphertext(pub(latest(originator).publicKey), largestTicketPayload());
    expect(sealed.length).to.equal(CIPHERTEXT_SIZE);
  });

  it("fits a return with eight reason codes and the longest note in any script", function () {
    for (const note of [
      "x".repeat(MAX_NOTE_CHARACTERS),
      "決".repeat(MAX_NOTE_BYTES / 3),
      '"'.repeat(MAX_NOTE_BYTES / 2),
      "\n".repeat(MAX_NOTE_BYTES / 2),
      "😀".repeat(MAX_NOTE_BYTES / 4),
    ]) {
      expect(checkNoteSize(note)).to.equal(note);
      const size = canonicalBytes(largestReturnPayload(note)).length;
      expect(size, JSON.stringify(note.slice(0, 2))).to.be.at.most(MAX_PAYLOAD_BYTES);
    }
  });

  it("refuses a longer note with the numbers, and any payload larger than the bucket", function () {
    expect(() => checkNoteSize("x".repeat(MAX_NOTE_CHARACTERS + 1))).to.throw(
      InputError,
      /at most 2000 characters and 2400 bytes/,
    );
    expect(() => checkNoteSize("決".repeat(801))).to.throw(InputError, /2403 bytes/);
    expect(() =>
      sealCiphertext(pub(latest(originator).publicKey), { pad: "x".repeat(MAX_PAYLOAD_BYTES) }),
    ).to.throw(CryptoError, /at most 3684/);
  });

  it("makes every envelope of every kind and route length exactly ENVELOPE_SIZE bytes, nine per set", function () {
    expect(CIPHERTEXT_SIZE + PROOF_SECTION_SIZE).to.equal(ENVELOPE_SIZE);
    for (const length of [1, 3, 8]) {
      for (const kind of ["ticket", "return"] as const) {
        const set = sealTree({
          kind,
          ticketKey: TICKET_KEY,
          version: 2,
          sender: latest(originator),
          recipients: [
            asRecipient(originator, "originator"),
            ...route.slice(0, length).map((p) => asRecipient(p)),
          ],
          body:
            kind === "ticket"
              ? { tiny: 1 }
              : largestReturnPayload("n".repeat(MAX_NOTE_CHARACTERS)).body,
        });
        expect(set.entries).to.have.length(SET_SIZE);
        for (const e of set.entries) expect(e.bytes.length).to.equal(ENVELOPE_SIZE);
      }
    }
  });

  it("opens the committed ciphertext to the recipient's payload", function () {
    const payload = largestTicketPayload();
    const sealed = sealCiphertext(pub(latest(originator).publicKey), payload);
    expect(openCiphertext(latest(originator).privateKey, sealed, "x")).to.deep.equal(
      JSON.parse(new TextDecoder().decode(canonicalBytes(payload))),
    );
  });

  it("encrypts in eciesjs's x25519/xchacha20 format with native x25519, both ways", function () {
    const config = new Config();
    config.ellipticCurve = "x25519";
    config.symmetricAlgorithm = "xchacha20";
    const me = latest(originator);
    for (const size of [0, 1, 1000, 3688]) {
      const plaintext = randomBytes(size);
      const ours = eciesSeal(pub(me.publicKey), plaintext);
      expect(ours.length).to.equal(size + ECIES_OVERHEAD);
      expect(Buffer.from(eciesjsDecrypt(me.privateKey, ours, config))).to.deep.equal(plaintext);
      const theirs = eciesjsEncrypt(pub(me.publicKey), plaintext, config);
      expect(Buffer.from(eciesOpen(me.privateKey, theirs))).to.deep.equal(plaintext);
    }
    const ciphertext = eciesSeal(pub(me.publicKey), randomBytes(64));
    expect(() => eciesOpen(latest(route[0]).privateKey, ciphertext)).to.throw();
    for (const at of [0, 40, 60, ECIES_OVERHEAD]) {
      const changed = Uint8Array.from(ciphertext);
      changed[at] ^= 1;
      expect(() => eciesOpen(me.privateKey, changed), `byte ${at}`).to.throw();
    }
    expect(() => eciesSeal(Buffer.from(`01${"00".repeat(31)}`, "hex"), randomBytes(8))).to.throw(
      CryptoError,
      /low-order/,
    );
  });

  it("shows nothing in clear: no key version, locator, token, address, ticket key or JSON", function () {
    const set = ticketSet(route.slice(0, 8));
    const all = Buffer.concat(set.entries.map((e) => e.bytes));
    const needles = [
      ...set.entries.map((e) => Buffer.from(e.locator, "hex")),
      ...set.entries.filter((e) => e.token).map((e) => Buffer.from(e.token!, "hex")),
      ...route.map((p) => Buffer.from(p.address.slice(2), "hex")),
      Buffer.from(TICKET_KEY.slice(2), "hex"),
      Buffer.from(set.commitment.slice(2), "hex"),
      Buffer.from('{"binding"'),
      Buffer.from("sr-ticket/2"),
      Buffer.from("T-7KQ4"),
    ];
    for (const n of needles) expect(all.includes(n), n.toString("hex")).to.equal(false);
  });

  it("shapes decoys like envelopes: a real public key, then bytes with the same statistics", function () {
    const set = ticketSet(route.slice(0, 2));
    const real = set.entries.filter((e) => e.token !== undefined).map((e) => e.bytes);
    const decoys = set.entries.filter((e) => e.token === undefined).map((e) => e.bytes);
    expect(decoys).to.have.length(SET_SIZE - 3);
    const probe = x25519KeyPair();
    for (const bytes of [...real, ...decoys]) {
      // The leading 32 bytes are a point x25519 accepts, with the top bit clear as in every public key.
      expect(() => x25519(probe.privateKey, bytes.subarray(0, 32))).not.to.throw();
      expect(bytes[31] & 0x80).to.equal(0);
    }
    // Byte frequencies after the key: a chi-square over 256 values, same band for both kinds.
    const chi = (samples: Uint8Array[]) => {
      const counts = new Array(256).fill(0);
      let n = 0;
      for (const s of samples) for (const b of s.subarray(32)) (counts[b]++, n++);
      return counts.reduce((acc, c) => acc + (c - n / 256) ** 2 / (n / 256), 0);
    };
    for (const samples of [real, decoys, [decoyCiphertext(), randomBytes(CIPHERTEXT_SIZE)]]) {
      expect(chi(samples)).to.be.within(150, 400);
    }
  });
});
