/**
 * The reason commitment of a return: what `reject` sends, binding the return set's envelopes and
 * the one body every recipient must read.
 *
 *   digest     = keccak256(salt ‖ RFC 8785 JSON of the body without its salt)
 *   commitment = keccak256(abi.encode(REASON_DOMAIN, bytes32 root, bytes32 digest))
 *
 * `root` is the set's envelope-tree root (`./envelope-tree.ts`), which a reader proves from its own
 * envelope; the body is what it decrypts: format, ID, ticket key, version, author, step, reasons
 * and note. A reader recomputes the commitment from both and refuses its envelope if it is not the
 * on-chain one, so a returning party cannot seal other reasons to other recipients: two bodies
 * that differ give two digests, and only one commitment is on-chain. The salt (32 random bytes per
 * return, sealed in the body) keeps the digest from confirming guessed reasons should a root ever
 * leak beside it: the vocabulary of reason codes is small.
 */
import { InputError } from "../errors.js";
import { abiEncode, keccak, keccakHex } from "../crypto/abi.js";
import { canonicalBytes } from "../crypto/canonical.js";

export const REASON_DOMAIN = "SettlementRegistry/reason-commitment/v1";

const SALT = /^0x[0-9a-f]{64}$/;

/** The salted digest of a return body (its `salt` field included in the body, as 0x-hex 32 bytes). */
export function reasonDigest(body: unknown): string {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InputError("return body: not an object");
  }
  const { salt, ...rest } = body as Record<string, unknown>;
  if (typeof salt !== "string" || !SALT.test(salt)) {
    throw new InputError("return body: its salt is not 32 bytes of lower-case 0x-hex");
  }
  const text = canonicalBytes(rest);
  const data = new Uint8Array(32 + text.length);
  data.set(Buffer.from(salt.slice(2), "hex"), 0);
  data.set(text, 32);
  return keccakHex(data);
}

/** The on-chain reason commitment of a return set with envelope-tree root `root` and `body`. */
export function reasonCommitment(root: string, body: unknown): string {
  return keccakHex(
    keccak(
      abiEncode([{ string: REASON_DOMAIN }, { bytes32: root }, { bytes32: reasonDigest(body) }]),
    ),
  );
}
