/**
 * The few ABI encodings the commitments hash, written out directly: `AbiCoder` parses its type
 * strings and wraps every value on each call, which dominated the cost of sealing a ticket.
 * `test/lib/commitment.ts` checks each against ethers' `AbiCoder`.
 */
import { keccak_256 } from "@noble/hashes/sha3";

export type AbiValue =
  | { string: string }
  | { bytes32: string | Uint8Array }
  | { bytes16: string }
  | { uint32: number }
  | { address: string };

const hexBytes = (hex: string, length: number, what: string): Uint8Array => {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  if (body.length !== 2 * length || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new TypeError(`${what}: expected ${length} bytes of hex`);
  }
  return Buffer.from(body, "hex");
};

/** `abi.encode(...)` of static `bytes32`/`bytes16`/`uint32`/`address` and dynamic `string` values. */
export function abiEncode(values: readonly AbiValue[]): Uint8Array {
  const head = Buffer.alloc(32 * values.length);
  const tails: Buffer[] = [];
  let offset = head.length;
  values.forEach((v, i) => {
    const at = 32 * i;
    if ("string" in v) {
      const text = Buffer.from(v.string, "utf8");
      const tail = Buffer.alloc(32 + Math.ceil(text.length / 32) * 32);
      tail.writeUInt32BE(text.length, 28);
      text.copy(tail, 32);
      head.writeUInt32BE(offset, at + 28);
      offset += tail.length;
      tails.push(tail);
    } else if ("bytes32" in v) {
      head.set(typeof v.bytes32 === "string" ? hexBytes(v.bytes32, 32, "bytes32") : v.bytes32, at);
    } else if ("address" in v) {
      head.set(hexBytes(v.address, 20, "address"), at + 12);
    } else if ("bytes16" in v) {
      head.set(hexBytes(v.bytes16, 16, "bytes16"), at);
    } else {
      head.writeUInt32BE(v.uint32, at + 28);
    }
  });
  return Buffer.concat([head, ...tails]);
}

/** keccak256 as bytes. */
export const keccak = (data: Uint8Array): Uint8Array => keccak_256(data);

/** keccak256 as 0x-hex (lower case), like ethers' `keccak256`. */
export const keccakHex = (data: Uint8Array): string =>
  `0x${Buffer.from(keccak_256(data)).toString("hex")}`;
