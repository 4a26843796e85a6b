/**
 * The fixed-size envelope (format 2). Every envelope of every kind — a ticket version, a return
 * with its reason codes and note, a decoy — is exactly {@link ENVELOPE_SIZE} bytes, and nothing
 * in it is in clear but a fresh ephemeral public key:
 *
 *   offset 0     ECIES to the recipient (./ecies-native.ts, the format of ./ecies.ts: x25519,
 *                  HKDF-SHA256, XChaCha20-Poly1305)
 *                  ephemeral public key E (32) ‖ nonce (24) ‖ tag (16) ‖ sealed frame (3,688)
 *                  frame = uint32be(length) ‖ RFC 8785 JSON ‖ zero padding
 *   offset 3,760 sealed proof: ChaCha20-Poly1305(proofKey, zero nonce, 320 bytes) ‖ tag (16)
 *                  proofKey = HKDF-SHA256(pair key, salt E, info "sr-proof/2" ‖ read token)
 *
 * The first part is what the envelope commitment hashes (the "ciphertext"); the sealed proof sits
 * beside it because a proof cannot be inside what it proves. Its key is unique per envelope (E is
 * fresh for every encryption), so the fixed nonce is never reused, and it binds the proof to this
 * ciphertext and to this locator's token. Only the sender and the recipient hold the pair key
 * (`./read-token.ts`), so to anyone else the proof is random bytes.
 *
 * No key version, kind, length or recipient is written: a recipient finds its envelope by
 * locator, which also tells it which of its key versions to use. A decoy is a fresh real public
 * key followed by random bytes: a real key because half of all random 32-byte strings are not
 * x25519 public keys; the rest is what ChaCha20 output is indistinguishable from.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

import { CryptoError, TamperError } from "../errors.js";
import { canonicalBytes } from "./canonical.js";
import { ECIES_OVERHEAD } from "./ecies.js";
import { eciesOpen, eciesSeal } from "./ecies-native.js";
import { framePayload, unframePayload } from "./envelope.js";
import { x25519KeyPair } from "./x25519.js";

/** One global bucket: the byte length of every envelope. */
export const ENVELOPE_SIZE = 4096;
/** Envelopes in every set: the longest route (8) and the originator; decoys fill the rest. */
export const SET_SIZE = 9;
/** Plaintext of the sealed proof: a 32-byte set seed and the set's nine 32-byte leaves. */
export const PROOF_PLAINTEXT_SIZE = 32 + SET_SIZE * 32;
const TAG = 16;
export const PROOF_SECTION_SIZE = PROOF_PLAINTEXT_SIZE + TAG;
/** The committed part: the ECIES ciphertext of the padded frame. */
export const CIPHERTEXT_SIZE = ENVELOPE_SIZE - PROOF_SECTION_SIZE;
/** The frame every payload is padded to. */
export const FRAME_SIZE = CIPHERTEXT_SIZE - ECIES_OVERHEAD;
/** The longest payload (canonical JSON, in bytes) an envelope carries. */
export const MAX_PAYLOAD_BYTES = FRAME_SIZE - 4;

const PROOF_INFO = Buffer.from("sr-proof/2");
const ZERO_NONCE = Buffer.alloc(12);

/** The canonical JSON bytes of a payload; larger than {@link MAX_PAYLOAD_BYTES} is an error. */
export function payloadBytes(payload: unknown): Uint8Array {
  const json = canonicalBytes(payload);
  if (json.length > MAX_PAYLOAD_BYTES) {
    throw new CryptoError(
      `envelope payload is ${json.length} bytes; an envelope carries at most ${MAX_PAYLOAD_BYTES}`,
      { hint: "shorten the free text (the note); the trade schema alone always fits" },
    );
  }
  return json;
}

/** The committed ciphertext of `payload` to `recipientPublicKey`: {@link CIPHERTEXT_SIZE} bytes. */
export function sealCiphertext(recipientPublicKey: Uint8Array, payload: unknown): Uint8Array {
  return eciesSeal(recipientPublicKey, framePayload(payloadBytes(payload), FRAME_SIZE));
}

/** A decoy's ciphertext: a fresh real public key, then random bytes. */
export function decoyCiphertext(): Uint8Array {
  const out = new Uint8Array(CIPHERTEXT_SIZE);
  out.set(x25519KeyPair().publicKey, 0);
  out.set(randomBytes(CIPHERTEXT_SIZE - 32), 32);
  return out;
}

function proofKey(pair: Uint8Array, token: Uint8Array, ciphertext: Uint8Array): Buffer {
  const info = Buffer.concat([PROOF_INFO, token]);
  return Buffer.from(hkdfSync("sha256", pair, ciphertext.subarray(0, 32), info, 32));
}

/** The sealed proof of one envelope: {@link PROOF_SECTION_SIZE} bytes. */
export function sealProof(
  pair: Uint8Array,
  token: Uint8Array,
  ciphertext: Uint8Array,
  proof: Uint8Array,
): Uint8Array {
  if (proof.length !== PROOF_PLAINTEXT_SIZE) {
    throw new CryptoError(`a proof is ${PROOF_PLAINTEXT_SIZE} bytes, not ${proof.length}`);
  }
  const cipher = createCipheriv(
    "chacha20-poly1305",
    proofKey(pair, token, ciphertext),
    ZERO_NONCE,
    {
      authTagLength: TAG,
    },
  );
  return new Uint8Array(Buffer.concat([cipher.update(proof), cipher.final(), cipher.getAuthTag()]));
}

/** A decoy's proof section: random bytes. */
export const decoyProof = (): Uint8Array => new Uint8Array(randomBytes(PROOF_SECTION_SIZE));

/**
 * The proof of an envelope, or `undefined` if it does not authenticate under this pair key and
 * token: the proof section or the ephemeral key was changed, or the envelope is not this pair's.
 * Native ChaCha20-Poly1305, so trying several key versions costs microseconds each.
 */
export function openProof(
  pair: Uint8Array,
  token: Uint8Array,
  envelope: Uint8Array,
): Uint8Array | undefined {
  const { ciphertext, proof } = splitEnvelope(envelope);
  const decipher = createDecipheriv(
    "chacha20-poly1305",
    proofKey(pair, token, ciphertext),
    ZERO_NONCE,
    { authTagLength: TAG },
  );
  decipher.setAuthTag(proof.subarray(PROOF_PLAINTEXT_SIZE));
  try {
    const plain = Buffer.concat([
      decipher.update(proof.subarray(0, PROOF_PLAINTEXT_SIZE)),
      decipher.final(),
    ]);
    return new Uint8Array(plain);
  } catch {
    return undefined;
  }
}

/** The two parts of an envelope; any other length is a {@link TamperError} naming `where`. */
export function splitEnvelope(
  envelope: Uint8Array,
  where = "",
): { ciphertext: Uint8Array; proof: Uint8Array } {
  if (envelope.length !== ENVELOPE_SIZE) {
    throw new TamperError(
      `envelope${where === "" ? "" : ` ${where}`} is ${envelope.length} bytes; every envelope is ${ENVELOPE_SIZE}`,
      { hint: "the stored entry was cut short or replaced; fetch it again from the sender" },
    );
  }
  return {
    ciphertext: envelope.subarray(0, CIPHERTEXT_SIZE),
    proof: envelope.subarray(CIPHERTEXT_SIZE),
  };
}

/** Ciphertext ‖ sealed proof. */
export function joinEnvelope(ciphertext: Uint8Array, proof: Uint8Array): Uint8Array {
  if (ciphertext.length !== CIPHERTEXT_SIZE || proof.length !== PROOF_SECTION_SIZE) {
    throw new CryptoError("an envelope is a ciphertext and a sealed proof of fixed sizes");
  }
  const out = new Uint8Array(ENVELOPE_SIZE);
  out.set(ciphertext, 0);
  out.set(proof, CIPHERTEXT_SIZE);
  return out;
}

/**
 * The payload of a ciphertext sealed to `privateKey`. A failed tag is a {@link TamperError}
 * naming `where` (the locator): the caller has already matched the locator to this key.
 */
export function openCiphertext(
  privateKey: Uint8Array,
  ciphertext: Uint8Array,
  where: string,
): unknown {
  let frame: Uint8Array;
  try {
    frame = eciesOpen(privateKey, ciphertext);
  } catch (error) {
    throw new TamperError(`envelope ${where} does not decrypt`, {
      details: "the authentication tag does not match: the ciphertext was changed",
      hint: "fetch the envelope again from the sender",
      cause: error,
    });
  }
  if (frame.length !== FRAME_SIZE)
    throw new TamperError(`envelope ${where} has a frame of the wrong size`);
  return unframePayload(frame, where);
}
