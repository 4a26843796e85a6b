/**
 * One-time (stealth) addresses for a ticket's route, ERC-5564 style, over x25519 viewing keys and
 * secp256k1 spending keys.
 *
 * Each party registers a key pair per key version: an x25519 viewing key V = v·B (also its
 * envelope encryption key) and a secp256k1 spending key S = s·G. For each ticket version the
 * originator draws an ephemeral x25519 pair (r, R) and, for route party i:
 *
 *   ss_i  = x25519(r, V_i)                                  (= x25519(v_i, R) for the party)
 *   tag_i = sha256(ss_i)[0]
 *   h_i   = sha256("sr-stealth/1" ‖ ss_i) mod n             (n: the secp256k1 group order)
 *   P_i   = S_i + h_i·G,   route[i] = address(P_i)
 *
 * The announcement is R and eight view tags (byte i for route position i; random bytes beyond
 * the route, so the tags do not tell the route's length). Only party i knows s_i + h_i mod n,
 * the private key of route[i]. Anyone else sees eight unrelated addresses.
 *
 * Scanning: for each announcement, one x25519 per key version the party holds, then a one-byte
 * comparison with the eight tags; only on a tag match the full derivation (a fixed-base
 * secp256k1 multiplication) confirms or rejects the slot. An outsider's tag matches one of eight
 * random bytes with probability about 8/256; the derivation rejects those.
 *
 * Speed, measured by `scripts/bench-scan.ts`: Node's native x25519 (OpenSSL, `node:crypto`) is
 * 12 to 20 times faster than `@noble/curves`' pure JavaScript ladder, so the per-announcement
 * work is native: one x25519 and one SHA-256 (native too: about 1 µs, against 13 µs for a
 * JavaScript keccak, which is why the tag and tweak hash is SHA-256 and not keccak). Native
 * secp256k1 (`createECDH`) has no precomputed base-point table and is no faster than
 * `@noble/curves`; the confirmations use a batched fixed-base comb over noble's arithmetic
 * (`secp256k1-batch.ts`), several times cheaper per candidate than a constant-time multiply.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  randomBytes,
} from "node:crypto";

import { secp256k1 } from "@noble/curves/secp256k1";
import { getAddress, hexlify } from "ethers";

import { CryptoError } from "../errors.js";
import { addressOfAffine, tweakedAddresses } from "./secp256k1-batch.js";
import { x25519, x25519KeyPair, x25519PublicKey } from "./x25519.js";

import type { Affine } from "./secp256k1-batch.js";

import type { KeyObject } from "node:crypto";

/** Domain of the tweak hash; a new construction gets a new domain. */
export const STEALTH_DOMAIN = "sr-stealth/1";
/** View tags per announcement, one per possible route position. */
export const VIEW_TAG_SLOTS = 8;

const Point = secp256k1.ProjectivePoint;
type Point = InstanceType<typeof Point>;
const N = secp256k1.CURVE.n;
const DOMAIN = new TextEncoder().encode(STEALTH_DOMAIN);

/** The public keys a party registered for one key version (as `partyKeys(party, v)` returns). */
export interface StealthMetaAddress {
  /** x25519 public key, 32 bytes (0x-hex or bytes). */
  viewingKey: string | Uint8Array;
  /** Compressed secp256k1 public key, 33 bytes (0x-hex or bytes). */
  spendingKey: string | Uint8Array;
}

/** What the create/revise events carry about a route. */
export interface Announcement {
  /** One-time addresses in approval order. */
  route: readonly string[];
  /** x25519 ephemeral public key R, 0x-hex (32 bytes). */
  ephemeralKey: string;
  /** Eight view tags, 0x-hex (8 bytes). */
  viewTags: string;
}

/** A route derived by the originator: the announcement to send with the create or revise. */
export interface StealthRoute extends Announcement {
  route: string[];
}

/** One key version of the scanning party: its viewing private key and its spending public key. */
export interface ScanKey {
  version: number;
  /** x25519 private key, 32 bytes. */
  viewingPrivateKey: Uint8Array;
  /** Compressed (33) or uncompressed (65) secp256k1 public key. */
  spendingPublicKey: string | Uint8Array;
}

/** The party's slot in an announcement. */
export interface StealthMatch {
  /** Route position (0-based). */
  slot: number;
  /** The one-time address at that position (checksummed). */
  address: string;
  /** The key version whose viewing key matched. */
  keyVersion: number;
  /**
   * h = sha256(domain ‖ ss) mod n: added to the spending private key it gives the signing key.
   * Keep it as private as a key: with h, anyone can compute route[slot] - h·G = S and so name
   * the party behind the one-time address.
   */
  tweak: bigint;
}

/** Counts from the last {@link StealthScanner.scan}, to see where the time went. */
export interface ScanStats {
  announcements: number;
  agreements: number;
  tagMatches: number;
  matches: number;
  /** Announcements whose ephemeral key no key agreement accepts (skipped, one per bad ticket). */
  invalid: number;
}

/** The view tag of a shared secret: sha256(ss)[0]. */
export function viewTag(sharedSecret: Uint8Array): number {
  return createHash("sha256").update(sharedSecret).digest()[0];
}

/** The tweak h of a shared secret: sha256(domain ‖ ss) mod n, never zero. */
export function stealthTweak(sharedSecret: Uint8Array): bigint {
  const digest = createHash("sha256").update(DOMAIN).update(sharedSecret).digest("hex");
  const h = BigInt(`0x${digest}`) % N;
  // Probability 2^-256; a zero tweak would make the one-time address the spending key's own.
  if (h === 0n) throw new CryptoError("stealth tweak is zero");
  return h;
}

const HEX = /^0x(?:[0-9a-fA-F]{2})*$/;

function bytes(value: string | Uint8Array, length: number | number[], what: string): Uint8Array {
  let b: Uint8Array;
  if (typeof value === "string") {
    if (!HEX.test(value)) throw new CryptoError(`${what}: not 0x-hex`);
    b = Buffer.from(value.slice(2), "hex");
  } else {
    b = value;
  }
  const allowed = Array.isArray(length) ? length : [length];
  if (!allowed.includes(b.length)) {
    throw new CryptoError(`${what}: must be ${allowed.join(" or ")} bytes, got ${b.length}`);
  }
  return b;
}

function spendingPoint(key: string | Uint8Array, what: string): Point {
  const b = bytes(key, [33, 65], what);
  try {
    return Point.fromHex(b);
  } catch {
    throw new CryptoError(`${what}: not a point on secp256k1`);
  }
}

/**
 * Derives the one-time route for `parties` (in approval order, 1..8) and its announcement.
 * `ephemeralPrivateKey` is for tests; by default a fresh key pair is drawn.
 */
export function deriveStealthRoute(
  parties: readonly StealthMetaAddress[],
  options: { ephemeralPrivateKey?: Uint8Array } = {},
): StealthRoute {
  if (parties.length === 0 || parties.length > VIEW_TAG_SLOTS) {
    throw new CryptoError(`a route has 1 to ${VIEW_TAG_SLOTS} parties, got ${parties.length}`);
  }
  let r: Uint8Array | KeyObject;
  let R: Uint8Array;
  if (options.ephemeralPrivateKey === undefined) {
    ({ privateKey: r, publicKey: R } = x25519KeyPair());
  } else {
    r = options.ephemeralPrivateKey;
    R = x25519PublicKey(r);
  }
  const tags = randomBytes(VIEW_TAG_SLOTS);
  const points = parties.map((party, i) => {
    const what = `route party ${i}`;
    const V = bytes(party.viewingKey, 32, `${what} viewing key`);
    const S = spendingPoint(party.spendingKey, `${what} spending key`);
    let ss: Uint8Array;
    try {
      ss = x25519(r, V);
    } catch (cause) {
      throw new CryptoError(`${what}: x25519 key agreement failed (low-order viewing key)`, {
        cause,
      });
    }
    tags[i] = viewTag(ss);
    return S.add(Point.BASE.multiply(stealthTweak(ss)));
  });
  const route = Point.normalizeZ(points).map((p) =>
    getAddress(`0x${addressOfAffine(p.toAffine())}`),
  );
  return { route, ephemeralKey: hexlify(R), viewTags: hexlify(tags) };
}

/** The private key (0x-hex) of the one-time address of `match`: s + h mod n. */
export function stealthPrivateKey(
  spendingPrivateKey: string | Uint8Array,
  match: StealthMatch,
): string {
  const s = BigInt(hexlify(bytes(spendingPrivateKey, 32, "spending private key")));
  if (s === 0n || s >= N) throw new CryptoError("spending private key is out of range");
  const k = (s + match.tweak) % N;
  return `0x${k.toString(16).padStart(64, "0")}`;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");

/**
 * The scanner's x25519: each ephemeral key is used once, so the hot loop skips the cache that
 * `x25519.ts` keeps for counterparties' long-lived keys (about 5 of 37 µs per announcement).
 * OpenSSL refuses a small-order key here as there (all-zero result).
 */
function viewingKeyObject(privateKey: Uint8Array): KeyObject {
  const x = b64url(x25519PublicKey(privateKey));
  return createPrivateKey({
    key: { kty: "OKP", crv: "X25519", d: b64url(privateKey), x },
    format: "jwk",
  });
}

function agreeOnce(viewing: KeyObject, ephemeralKey: Uint8Array): Buffer {
  const publicKey = createPublicKey({
    key: { kty: "OKP", crv: "X25519", x: b64url(ephemeralKey) },
    format: "jwk",
  });
  return diffieHellman({ privateKey: viewing, publicKey });
}

interface Prepared {
  version: number;
  viewing: KeyObject;
  spending: Affine;
}

interface Candidate {
  index: number;
  slot: number;
  key: Prepared;
  tweak: bigint;
}

/**
 * Finds a party's slots in announcements. Built once from the party's key versions (newest
 * first is fastest: most tickets use the current version); `scan` is pure and can be called per
 * block (warm) or over the whole history (cold), in any batch size.
 */
export class StealthScanner {
  private readonly keys: Prepared[];
  /** Counts of the last {@link scan}. */
  stats: ScanStats = { announcements: 0, agreements: 0, tagMatches: 0, matches: 0, invalid: 0 };

  constructor(keys: readonly ScanKey[]) {
    if (keys.length === 0) throw new CryptoError("a scanner needs at least one key version");
    this.keys = keys.map((k) => ({
      version: k.version,
      viewing: viewingKeyObject(bytes(k.viewingPrivateKey, 32, `viewing private key ${k.version}`)),
      spending: spendingPoint(k.spendingPublicKey, `spending public key ${k.version}`).toAffine(),
    }));
  }

  /** The party's slot in each announcement, or `undefined` where it is not on the route. */
  scan(announcements: readonly Announcement[]): (StealthMatch | undefined)[] {
    const stats: ScanStats = {
      announcements: announcements.length,
      agreements: 0,
      tagMatches: 0,
      matches: 0,
      invalid: 0,
    };
    const candidates: Candidate[] = [];
    announcements.forEach((a, index) => {
      let R: Uint8Array;
      let tags: Uint8Array;
      try {
        R = bytes(a.ephemeralKey, 32, "ephemeral key");
        tags = bytes(a.viewTags, VIEW_TAG_SLOTS, "view tags");
      } catch {
        stats.invalid++;
        return;
      }
      const length = Math.min(a.route.length, VIEW_TAG_SLOTS);
      for (const key of this.keys) {
        let ss: Uint8Array;
        try {
          ss = agreeOnce(key.viewing, R);
        } catch {
          // A low-order ephemeral key: this announcement is nobody's; skip it alone.
          stats.invalid++;
          return;
        }
        stats.agreements++;
        const tag = viewTag(ss);
        let tweak: bigint | undefined;
        for (let slot = 0; slot < length; slot++) {
          if (tags[slot] !== tag) continue;
          stats.tagMatches++;
          tweak ??= stealthTweak(ss);
          candidates.push({ index, slot, key, tweak });
        }
      }
    });

    const out: (StealthMatch | undefined)[] = new Array(announcements.length).fill(undefined);
    if (candidates.length > 0) {
      const addresses = tweakedAddresses(
        candidates.map((c) => ({ point: c.key.spending, tweak: c.tweak })),
      );
      candidates.forEach((c, i) => {
        if (out[c.index] !== undefined) return;
        const expected = announcements[c.index].route[c.slot].slice(2).toLowerCase();
        if (addresses[i] !== expected) return;
        stats.matches++;
        out[c.index] = {
          slot: c.slot,
          // As the event gave it (ethers decodes addresses checksummed): no second keccak.
          address: announcements[c.index].route[c.slot],
          keyVersion: c.key.version,
          tweak: c.tweak,
        };
      });
    }
    this.stats = stats;
    return out;
  }
}
