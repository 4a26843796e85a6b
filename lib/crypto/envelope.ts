/**
 * The envelope: what one recipient's ciphertext looks like at rest. RFC 8785 JSON:
 *
 *   {"ciphertext":"<base64>","format":"sr-envelope/1","keyVersion":1,
 *    "scheme":{"cipher":"xchacha20-poly1305","kdf":"hkdf-sha256","kem":"x25519","nonceLength":24}}
 *
 * Decoding is strict: exactly these members, canonical form, known format and scheme, so that a
 * changed byte outside the ciphertext is caught before decryption.
 */
import { CryptoError, TamperError } from "../errors.js";
import { canonicalBytes } from "./canonical.js";
import { ECIES_OVERHEAD, ECIES_SCHEME } from "./ecies.js";

export const ENVELOPE_FORMAT = "sr-envelope/1";

/** Larger envelopes are refused before parsing. */
export const MAX_ENVELOPE_BYTES = 1 << 20;

export interface Envelope {
  format: typeof ENVELOPE_FORMAT;
  scheme: typeof ECIES_SCHEME;
  /** Version of the recipient's encryption key the ciphertext is sealed to. */
  keyVersion: number;
  ciphertext: Uint8Array;
}

export function encodeEnvelope(keyVersion: number, ciphertext: Uint8Array): Uint8Array {
  return canonicalBytes({
    format: ENVELOPE_FORMAT,
    scheme: ECIES_SCHEME,
    keyVersion,
    ciphertext: Buffer.from(ciphertext).toString("base64"),
  });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Parses envelope bytes. A structural fault is a {@link TamperError}; a well-formed envelope of a
 * format or scheme this version does not know is a {@link CryptoError}.
 */
export function decodeEnvelope(bytes: Uint8Array, where: string): Envelope {
  const malformed = (why: string) =>
    new TamperError(`envelope ${where} is malformed: ${why}`, {
      hint: "the stored file was changed or cut short; fetch it again from another replica or ask the sender to re-send",
    });
  if (bytes.length > MAX_ENVELOPE_BYTES) throw malformed(`larger than ${MAX_ENVELOPE_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw malformed(bytes.length === 0 ? "empty" : "not JSON (truncated or changed)");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw malformed("not a JSON object");
  const v = value as Record<string, unknown>;
  if (typeof v.format !== "string") throw malformed("no format");
  if (v.format !== ENVELOPE_FORMAT) {
    if (/^sr-envelope\/[0-9]{1,6}$/.test(v.format)) {
      throw new CryptoError(
        `envelope ${where} has format ${v.format}; this version reads ${ENVELOPE_FORMAT}`,
        {
          hint: "upgrade the settlement tooling",
        },
      );
    }
    throw malformed(`unknown format ${JSON.stringify(v.format).slice(0, 40)}`);
  }
  const keys = Object.keys(v).sort().join(",");
  if (keys !== "ciphertext,format,keyVersion,scheme") throw malformed(`unexpected members ${keys}`);
  const scheme = v.scheme as Record<string, unknown> | null;
  if (typeof scheme !== "object" || scheme === null) throw malformed("no scheme");
  const want = ECIES_SCHEME as Record<string, unknown>;
  for (const k of new Set([...Object.keys(scheme), ...Object.keys(want)])) {
    if (scheme[k] !== want[k]) {
      throw new CryptoError(
        `envelope ${where} uses scheme ${k}=${JSON.stringify(scheme[k])}; this version supports ${k}=${JSON.stringify(want[k])}`,
        { hint: "upgrade the settlement tooling, or check the envelope was not changed" },
      );
    }
  }
  const kv = v.keyVersion;
  if (typeof kv !== "number" || !Number.isInteger(kv) || kv < 1 || kv > 0xffffffff)
    throw malformed("bad keyVersion");
  if (typeof v.ciphertext !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v.ciphertext)) {
    throw malformed("ciphertext is not base64");
  }
  const ciphertext = new Uint8Array(Buffer.from(v.ciphertext, "base64"));
  if (ciphertext.length < ECIES_OVERHEAD + 4) throw malformed("ciphertext too short");
  if (!sameBytes(encodeEnvelope(kv, ciphertext), bytes)) throw malformed("not in canonical form");
  return { format: ENVELOPE_FORMAT, scheme: ECIES_SCHEME, keyVersion: kv, ciphertext };
}

/** Plaintext framing: uint32be(length) ‖ JSON ‖ zero padding up to `size`. */
export function framePayload(json: Uint8Array, size: number): Uint8Array {
  if (size < json.length + 4) throw new CryptoError("payload larger than its padded size");
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  return out;
}

/** Padded size for the longest of a set of payloads: the next multiple of `bucket`. */
export function paddedSize(longest: number, bucket = 256): number {
  return Math.ceil((longest + 4) / bucket) * bucket;
}

export function unframePayload(frame: Uint8Array, where: string): unknown {
  const bad = (why: string) =>
    new TamperError(`envelope ${where} decrypted to a malformed payload: ${why}`);
  if (frame.length < 4) throw bad("too short");
  const length = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
  if (length > frame.length - 4) throw bad("length beyond the end");
  if (frame.subarray(4 + length).some((b) => b !== 0)) throw bad("non-zero padding");
  try {
    return JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(frame.subarray(4, 4 + length)),
    );
  } catch {
    throw bad("not JSON");
  }
}
