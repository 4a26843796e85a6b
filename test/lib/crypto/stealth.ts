import { x25519 as nobleX25519 } from "@noble/curves/ed25519";
import { secp256k1 } from "@noble/curves/secp256k1";
import { sha256 } from "@noble/hashes/sha2";
import { expect } from "chai";
import {
  SigningKey,
  Wallet,
  computeAddress,
  getBytes,
  hexlify,
  id,
  keccak256,
  toUtf8Bytes,
} from "ethers";

import { CryptoError } from "../../../lib/errors.js";
import {
  STEALTH_DOMAIN,
  StealthScanner,
  VIEW_TAG_SLOTS,
  deriveStealthRoute,
  stealthPrivateKey,
  stealthTweak,
  viewTag,
} from "../../../lib/crypto/stealth.js";
import { x25519PublicKey } from "../../../lib/crypto/x25519.js";

import type { Announcement, ScanKey, StealthMetaAddress } from "../../../lib/crypto/stealth.js";

/** A party with fixed keys per version. */
interface Party {
  name: string;
  viewing: Uint8Array[];
  spending: string[];
  meta: StealthMetaAddress[];
}

function party(name: string, versions = 1): Party {
  const p: Party = { name, viewing: [], spending: [], meta: [] };
  for (let v = 1; v <= versions; v++) {
    const viewing = getBytes(id(`stealth-test:viewing:${name}:${v}`));
    const spending = id(`stealth-test:spending:${name}:${v}`);
    p.viewing.push(viewing);
    p.spending.push(spending);
    p.meta.push({
      viewingKey: hexlify(x25519PublicKey(viewing)),
      spendingKey: SigningKey.computePublicKey(spending, true),
    });
  }
  return p;
}

/** Scan keys of `p`, newest version first. */
function scanKeys(p: Party): ScanKey[] {
  return p.viewing
    .map((viewingPrivateKey, i) => ({
      version: i + 1,
      viewingPrivateKey,
      spendingPublicKey: p.meta[i].spendingKey,
    }))
    .reverse();
}

const parties = Array.from({ length: 8 }, (_, i) => party(`party-${i}`));
const outsider = party("outsider");
const EPHEMERAL = getBytes(id("stealth-test:ephemeral"));

/** The construction, written out again with other code: noble's x25519 and point arithmetic. */
function independentAddress(
  r: Uint8Array,
  p: StealthMetaAddress,
): { address: string; tag: number } {
  const ss = nobleX25519.getSharedSecret(r, getBytes(p.viewingKey as string));
  const h =
    BigInt(hexlify(sha256(new Uint8Array([...toUtf8Bytes(STEALTH_DOMAIN), ...ss])))) %
    secp256k1.CURVE.n;
  const P = secp256k1.ProjectivePoint.fromHex(getBytes(p.spendingKey as string)).add(
    secp256k1.ProjectivePoint.BASE.multiply(h),
  );
  return { address: computeAddress(hexlify(P.toRawBytes(false))), tag: sha256(ss)[0] };
}

function randomRoute(n: number, seed: number): Party[] {
  // A deterministic shuffle of the eight parties, first n.
  const order = parties.map((p, i) => ({ p, k: keccak256(toUtf8Bytes(`${seed}:${i}`)) }));
  order.sort((a, b) => (a.k < b.k ? -1 : 1));
  return order.slice(0, n).map((o) => o.p);
}

describe("stealth addresses", function () {
  describe("deriveStealthRoute", function () {
    it("derives address(S + h·G) with h from x25519(r, V), as an independent implementation does", function () {
      const route = parties.slice(0, 3);
      const a = deriveStealthRoute(
        route.map((p) => p.meta[0]),
        { ephemeralPrivateKey: EPHEMERAL },
      );
      expect(a.ephemeralKey).to.equal(hexlify(nobleX25519.getPublicKey(EPHEMERAL)));
      const tags = getBytes(a.viewTags);
      expect(tags.length).to.equal(VIEW_TAG_SLOTS);
      for (const [i, p] of route.entries()) {
        const expected = independentAddress(EPHEMERAL, p.meta[0]);
        expect(a.route[i], p.name).to.equal(expected.address);
        expect(tags[i], `${p.name}'s tag`).to.equal(expected.tag);
      }
    });

    it("keeps a fixed vector (a change of construction must change the domain)", function () {
      const a = deriveStealthRoute([parties[0].meta[0]], { ephemeralPrivateKey: EPHEMERAL });
      expect([a.ephemeralKey, a.route[0], a.viewTags.slice(0, 4)]).to.deep.equal(VECTOR);
    });

    it("gives fresh, unlinkable addresses on every derivation for the same parties", function () {
      const route = parties.slice(0, 3).map((p) => p.meta[0]);
      const a = deriveStealthRoute(route);
      const b = deriveStealthRoute(route);
      expect(a.ephemeralKey).to.not.equal(b.ephemeralKey);
      expect(a.route.filter((x) => b.route.includes(x))).to.deep.equal([]);
    });

    it("fills the tags beyond the route with random bytes", function () {
      const seen = Array.from({ length: VIEW_TAG_SLOTS }, () => new Set<number>());
      for (let i = 0; i < 200; i++) {
        const tags = getBytes(deriveStealthRoute([parties[0].meta[0]]).viewTags);
        tags.forEach((t, slot) => seen[slot].add(t));
      }
      // 200 uniform bytes take about 139 distinct values.
      for (let slot = 1; slot < VIEW_TAG_SLOTS; slot++) expect(seen[slot].size).to.be.above(100);
    });

    it("refuses an empty or too long route and names a party with a bad key", function () {
      expect(() => deriveStealthRoute([])).to.throw(CryptoError, /1 to 8/);
      const nine = Array.from({ length: 9 }, () => parties[0].meta[0]);
      expect(() => deriveStealthRoute(nine)).to.throw(CryptoError, /1 to 8/);
      const lowOrder = { ...parties[1].meta[0], viewingKey: `0x01${"00".repeat(31)}` };
      expect(() => deriveStealthRoute([parties[0].meta[0], lowOrder])).to.throw(
        CryptoError,
        /route party 1: x25519 key agreement failed/,
      );
      const offCurve = { ...parties[1].meta[0], spendingKey: `0x02${"00".repeat(31)}05` };
      expect(() => deriveStealthRoute([offCurve])).to.throw(
        CryptoError,
        /route party 0 spending key/,
      );
    });
  });

  describe("StealthScanner", function () {
    it("finds each party's slot, and the one-time key signs for that address", async function () {
      const route = randomRoute(5, 1);
      const a = deriveStealthRoute(route.map((p) => p.meta[0]));
      for (const [slot, p] of route.entries()) {
        const [match] = new StealthScanner(scanKeys(p)).scan([a]);
        expect(match, p.name).to.deep.include({ slot, address: a.route[slot], keyVersion: 1 });
        const wallet = new Wallet(stealthPrivateKey(p.spending[0], match!));
        expect(wallet.address).to.equal(a.route[slot]);
        const signature = await wallet.signMessage("approve");
        expect(
          computeAddress(SigningKey.recoverPublicKey(hashMessage("approve"), signature)),
        ).to.equal(a.route[slot]);
      }
    });

    it("never matches an outsider, and rejects its view-tag false positives by derivation", function () {
      const announcements: Announcement[] = [];
      for (let i = 0; i < 1500; i++) {
        announcements.push(deriveStealthRoute(randomRoute(3, i).map((p) => p.meta[0])));
      }
      const scanner = new StealthScanner(scanKeys(outsider));
      const found = scanner.scan(announcements);
      expect(found.filter((m) => m !== undefined)).to.deep.equal([]);
      // 1,500 announcements × 3 compared tags / 256 ≈ 18 tag matches, each rejected.
      expect(scanner.stats.tagMatches).to.be.within(4, 40);
      expect(scanner.stats.matches).to.equal(0);
      expect(scanner.stats.agreements).to.equal(1500);
    });

    it("rejects a forced tag match (the 1/256 case) and finds only true slots", function () {
      const route = parties.slice(0, 3);
      const a = deriveStealthRoute(
        route.map((p) => p.meta[0]),
        { ephemeralPrivateKey: EPHEMERAL },
      );
      // Put the outsider's own tag at slot 1, as a chance collision would.
      const ss = nobleX25519.getSharedSecret(outsider.viewing[0], getBytes(a.ephemeralKey));
      const tags = getBytes(a.viewTags);
      tags[1] = viewTag(ss);
      const forged = { ...a, viewTags: hexlify(tags) };
      const scanner = new StealthScanner(scanKeys(outsider));
      expect(scanner.scan([forged])).to.deep.equal([undefined]);
      expect(scanner.stats).to.deep.include({ tagMatches: 1, matches: 0 });
      // The parties at the other slots still find theirs.
      expect(new StealthScanner(scanKeys(route[2])).scan([forged])[0]?.slot).to.equal(2);
    });

    it("finds a party in every announcement that routes to it, and in no other", function () {
      const me = parties[3];
      const routes = Array.from({ length: 400 }, (_, i) => randomRoute(1 + (i % 8), i));
      const announcements = routes.map((r) => deriveStealthRoute(r.map((p) => p.meta[0])));
      const found = new StealthScanner(scanKeys(me)).scan(announcements);
      found.forEach((m, i) => {
        const slot = routes[i].indexOf(me);
        expect(m?.slot, `announcement ${i}`).to.equal(slot === -1 ? undefined : slot);
      });
    });

    it("finds old announcements with the old key version after a rotation", function () {
      const rotating = party("rotating", 2);
      const before = deriveStealthRoute([parties[0].meta[0], rotating.meta[0]]);
      const after = deriveStealthRoute([rotating.meta[1], parties[1].meta[0]]);
      const both = new StealthScanner(scanKeys(rotating)).scan([before, after]);
      expect(both[0]).to.deep.include({ slot: 1, keyVersion: 1, address: before.route[1] });
      expect(both[1]).to.deep.include({ slot: 0, keyVersion: 2, address: after.route[0] });
      // Each version signs with its own spending key.
      expect(new Wallet(stealthPrivateKey(rotating.spending[0], both[0]!)).address).to.equal(
        before.route[1],
      );
      expect(new Wallet(stealthPrivateKey(rotating.spending[1], both[1]!)).address).to.equal(
        after.route[0],
      );
      // Without the old viewing key, the old announcement is not found.
      const newOnly = new StealthScanner(scanKeys(rotating).slice(0, 1)).scan([before, after]);
      expect(newOnly[0]).to.equal(undefined);
      expect(newOnly[1]?.keyVersion).to.equal(2);
    });

    it("skips only the announcement whose ephemeral key is bad", function () {
      const me = parties[0];
      const good = deriveStealthRoute([me.meta[0]]);
      const lowOrder = { ...good, ephemeralKey: `0x01${"00".repeat(31)}` };
      const short = { ...good, ephemeralKey: "0x01" };
      const scanner = new StealthScanner(scanKeys(me));
      const found = scanner.scan([lowOrder, good, short]);
      expect(found.map((m) => m?.slot)).to.deep.equal([undefined, 0, undefined]);
      expect(scanner.stats.invalid).to.equal(2);
    });

    it("ignores tags beyond the route's length", function () {
      const me = parties[0];
      const a = deriveStealthRoute([parties[1].meta[0]], { ephemeralPrivateKey: EPHEMERAL });
      const ss = nobleX25519.getSharedSecret(me.viewing[0], getBytes(a.ephemeralKey));
      const tags = getBytes(a.viewTags);
      tags.fill(viewTag(ss), 1);
      const scanner = new StealthScanner(scanKeys(me));
      expect(scanner.scan([{ ...a, viewTags: hexlify(tags) }])).to.deep.equal([undefined]);
      expect(scanner.stats.tagMatches).to.equal(0);
    });
  });

  describe("stealthPrivateKey and the tweak", function () {
    it("is s + h mod n, and refuses an out-of-range spending key", function () {
      const p = parties[0];
      const a = deriveStealthRoute([p.meta[0]], { ephemeralPrivateKey: EPHEMERAL });
      const [match] = new StealthScanner(scanKeys(p)).scan([a]);
      const ss = nobleX25519.getSharedSecret(p.viewing[0], getBytes(a.ephemeralKey));
      expect(match!.tweak).to.equal(stealthTweak(ss));
      const k = BigInt(stealthPrivateKey(p.spending[0], match!));
      expect(k).to.equal((BigInt(p.spending[0]) + match!.tweak) % secp256k1.CURVE.n);
      expect(() => stealthPrivateKey(`0x${"00".repeat(32)}`, match!)).to.throw(CryptoError);
      expect(() => stealthPrivateKey(`0x${"ff".repeat(32)}`, match!)).to.throw(CryptoError);
    });

    it("gives another party's spending key a different address", function () {
      const a = deriveStealthRoute([parties[0].meta[0]]);
      const [match] = new StealthScanner(scanKeys(parties[0])).scan([a]);
      expect(new Wallet(stealthPrivateKey(parties[1].spending[0], match!)).address).to.not.equal(
        a.route[0],
      );
    });
  });
});

function hashMessage(message: string): string {
  return keccak256(
    new Uint8Array([
      ...toUtf8Bytes(`\x19Ethereum Signed Message:\n${message.length}`),
      ...toUtf8Bytes(message),
    ]),
  );
}

/** R, the one-time address and the first view tag for party-0 and the fixed ephemeral key. */
const VECTOR = [
  "0x94a4858c364c73ac1feb034415e9fe622d0fc21f0ccf8fc5a7a3dab6de99074a",
  "0x70410578446f24Bf8e4D821c9dDcd1584496E9f9",
  "0x29",
];
