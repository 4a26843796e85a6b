/**
 * Payload framing inside an envelope's ciphertext: `uint32be(length) ‖ JSON ‖ zero padding`, so
 * every payload encrypts to the same length (`./sealed-envelope.ts` fixes the size).
 */
import { CryptoError, TamperError } from "../errors.js";

/** Plaintext framing: uint32be(length) ‖ JSON ‖ zero padding up to `size`. */
export function framePayload(json: Uint8Array, size: number): Uint8Array {
  if (size < json.length + 4) throw new CryptoError("payload larger than its padded size");
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  return out;
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
