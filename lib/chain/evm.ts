/**
 * EVM compatibility between compiled bytecode and the chain it is sent to.
 *
 * Private Besu and Geth networks often run an older EVM than mainnet. Bytecode compiled for
 * shanghai (PUSH0) does not deploy on a london chain, and bytecode with cancun opcodes (MCOPY,
 * TLOAD...) may deploy on a shanghai chain and only fail when the function runs. This module
 * walks the bytecode, compares what it needs with what the network promises (configuration)
 * and what the node actually executes (a probe), and refuses before any transaction is sent.
 */
import { ConfigError } from "../errors.js";

/** EVM hardforks in activation order (the ones that matter for opcode availability). */
export const HARDFORKS = [
  "istanbul",
  "berlin",
  "london",
  "paris",
  "shanghai",
  "cancun",
  "prague",
  "osaka",
] as const;

export type Hardfork = (typeof HARDFORKS)[number];

/** Opcodes introduced after london, with the hardfork that introduced them. */
export const NEW_OPCODES: ReadonlyMap<number, { name: string; hardfork: Hardfork }> = new Map([
  [0x1e, { name: "CLZ", hardfork: "osaka" }],
  [0x49, { name: "BLOBHASH", hardfork: "cancun" }],
  [0x4a, { name: "BLOBBASEFEE", hardfork: "cancun" }],
  [0x5c, { name: "TLOAD", hardfork: "cancun" }],
  [0x5d, { name: "TSTORE", hardfork: "cancun" }],
  [0x5e, { name: "MCOPY", hardfork: "cancun" }],
  [0x5f, { name: "PUSH0", hardfork: "shanghai" }],
]);

/** One opcode found in bytecode that needs a hardfork newer than london. */
export interface OpcodeUse {
  readonly opcode: number;
  readonly name: string;
  readonly hardfork: Hardfork;
  /** Byte offset of its first occurrence. */
  readonly offset: number;
}

export function isHardfork(value: string): value is Hardfork {
  return (HARDFORKS as readonly string[]).includes(value);
}

/** Parses a hardfork name (case-insensitive; `merge` is accepted for paris). */
export function parseHardfork(value: string, source = "hardfork"): Hardfork {
  const name = value.trim().toLowerCase();
  const normalised = name === "merge" ? "paris" : name;
  if (!isHardfork(normalised)) {
    throw new ConfigError(`unknown ${source} "${value}"`, {
      hint: `use one of ${HARDFORKS.join(", ")}`,
    });
  }
  return normalised;
}

/** Whether hardfork `a` is `b` or later. */
export function hardforkAtLeast(a: Hardfork, b: Hardfork): boolean {
  return HARDFORKS.indexOf(a) >= HARDFORKS.indexOf(b);
}

/** The solc `evmVersion` to compile with for a chain that runs `hardfork`. */
export function evmVersionFor(hardfork: Hardfork): string {
  // The project compiles for paris by default: paris differs from london only in the meaning of
  // DIFFICULTY/PREVRANDAO, so paris bytecode runs on london chains.
  return hardforkAtLeast(hardfork, "shanghai") ? hardfork : "paris";
}

// solc's CBOR metadata trailer: a2 64 "ipfs" 58 22 <34 bytes> 64 "solc" 43 <3 bytes> 00 33.
const METADATA_PREFIX = [0xa2, 0x64, 0x69, 0x70, 0x66, 0x73, 0x58, 0x22];
const METADATA_LENGTH = 53;

function toBytes(bytecode: string): Uint8Array {
  // Unlinked library placeholders (`__$<34 hex>$__`) stand for 20-byte addresses.
  const hex = bytecode
    .replace(/^0x/i, "")
    .replace(/__\$[0-9a-fA-F]{34}\$__/g, "0".repeat(40))
    .replace(/\s+/g, "");
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new ConfigError("bytecode is not a hex string", {
      details: `${hex.slice(0, 16)}…`,
      hint: "pass the artifact's `bytecode` or `deployedBytecode`",
    });
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

function isMetadataAt(code: Uint8Array, i: number): boolean {
  if (i + METADATA_LENGTH > code.length) return false;
  for (let k = 0; k < METADATA_PREFIX.length; k++) {
    if (code[i + k] !== METADATA_PREFIX[k]) return false;
  }
  return code[i + METADATA_LENGTH - 2] === 0x00 && code[i + METADATA_LENGTH - 1] === 0x33;
}

/**
 * Lists the opcodes newer than london that `bytecode` executes, each with its first offset.
 * Walks instruction by instruction, skipping PUSH data and solc's metadata trailers (which may
 * contain any byte and are never executed).
 */
export function scanOpcodes(bytecode: string): OpcodeUse[] {
  const code = toBytes(bytecode);
  const found = new Map<number, OpcodeUse>();
  let i = 0;
  while (i < code.length) {
    if (code[i] === 0xa2 && isMetadataAt(code, i)) {
      i += METADATA_LENGTH;
      continue;
    }
    const op = code[i];
    const known = NEW_OPCODES.get(op);
    if (known !== undefined && !found.has(op)) found.set(op, { opcode: op, ...known, offset: i });
    // PUSH1..PUSH32 carry 1..32 bytes of immediate data.
    i += op >= 0x60 && op <= 0x7f ? op - 0x5f + 1 : 1;
  }
  return [...found.values()].sort((a, b) => a.offset - b.offset);
}

/** The oldest hardfork that can run `bytecode` (london if it uses nothing newer). */
export function requiredHardfork(bytecode: string): Hardfork {
  let required: Hardfork = "london";
  for (const use of scanOpcodes(bytecode)) {
    if (!hardforkAtLeast(required, use.hardfork)) required = use.hardfork;
  }
  return required;
}

/** Minimal JSON-RPC access: an ethers provider or an EIP-1193 provider both fit. */
export type RpcSend = (method: string, params: unknown[]) => Promise<unknown>;

export function rpcSendOf(
  provider:
    | { send(method: string, params: unknown[]): Promise<unknown> }
    | { request(args: { method: string; params?: unknown[] }): Promise<unknown> },
): RpcSend {
  if ("send" in provider) return (method, params) => provider.send(method, params);
  return (method, params) => provider.request({ method, params });
}

/** What the node executes, found by running tiny init code through `eth_call`. */
export interface NodeEvmProbe {
  /** The node executes PUSH0 (shanghai or later). */
  readonly push0: boolean;
  /** The node executes TLOAD (cancun or later). */
  readonly cancun: boolean;
}

async function executes(send: RpcSend, initCode: string): Promise<boolean> {
  try {
    await send("eth_call", [{ data: initCode }, "latest"]);
    return true;
  } catch (error) {
    // A JSON-RPC error means the node refused to execute the opcode; a transport failure is a
    // different problem and must not be read as "old EVM".
    if (isJsonRpcError(error)) return false;
    throw error;
  }
}

function isJsonRpcError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const e = error as { code?: unknown; error?: { code?: unknown }; info?: { error?: unknown } };
  if (typeof e.code === "number") return true; // EIP-1193 ProviderRpcError
  if (e.code === "CALL_EXCEPTION" || e.code === "UNKNOWN_ERROR") return true; // ethers v6
  return typeof e.error?.code === "number" || e.info?.error !== undefined;
}

/** Probes which post-london opcodes the node executes. Sends no transaction. */
export async function probeNodeEvm(send: RpcSend): Promise<NodeEvmProbe> {
  const push0 = await executes(send, "0x5f00"); // PUSH0 STOP
  const cancun = push0 && (await executes(send, "0x60005c00")); // PUSH1 0 TLOAD STOP
  return { push0, cancun };
}

/** The newest hardfork class the probe proves the node runs (paris means "before shanghai"). */
export function probedHardfork(probe: NodeEvmProbe): Hardfork {
  if (probe.cancun) return "cancun";
  return probe.push0 ? "shanghai" : "paris";
}

export interface EvmCheckInput {
  /** Contract name for the message, e.g. `SettlementRegistry`. */
  readonly contractName: string;
  /** Creation or runtime bytecode (hex). */
  readonly bytecode: string;
  readonly networkName: string;
  /** The hardfork the network promises (configuration). */
  readonly hardfork: Hardfork;
  /** Where the promise came from, for the hint, e.g. `SR_BESU_HARDFORK`. */
  readonly hardforkSource?: string;
  /** The result of {@link probeNodeEvm}, if the node was probed. */
  readonly probe?: NodeEvmProbe;
}

export interface EvmCheckResult {
  readonly required: Hardfork;
  readonly uses: readonly OpcodeUse[];
}

/**
 * Throws a ConfigError if `bytecode` uses an opcode that the network's promised hardfork, or the
 * node itself (when probed), does not support.
 */
export function assertBytecodeSupported(input: EvmCheckInput): EvmCheckResult {
  const uses = scanOpcodes(input.bytecode);
  const required = uses.reduce<Hardfork>(
    (acc, u) => (hardforkAtLeast(acc, u.hardfork) ? acc : u.hardfork),
    "london",
  );
  const compile = (fork: Hardfork) =>
    `compile with evmVersion ${evmVersionFor(fork)} (SR_EVM_VERSION=${evmVersionFor(fork)})`;

  const tooNew = uses.find((u) => !hardforkAtLeast(input.hardfork, u.hardfork));
  if (tooNew !== undefined) {
    throw new ConfigError(
      `bytecode of ${input.contractName} uses ${tooNew.name} (${tooNew.hardfork}) but network ${input.networkName} runs ${input.hardfork}`,
      {
        details: `${describeUses(uses)}; nothing was sent`,
        hint: `${compile(input.hardfork)}, then \`npx hardhat compile\``,
      },
    );
  }
  if (input.probe !== undefined) {
    const nodeFork = probedHardfork(input.probe);
    const unsupported = uses.find((u) => !hardforkAtLeast(nodeFork, u.hardfork));
    if (unsupported !== undefined) {
      const source = input.hardforkSource ?? "the network configuration";
      throw new ConfigError(
        `bytecode of ${input.contractName} uses ${unsupported.name} (${unsupported.hardfork}) but the node of network ${input.networkName} does not execute it`,
        {
          details: `${source} promises ${input.hardfork}, the node runs an EVM older than ${unsupported.hardfork}; nothing was sent`,
          hint: `${compile(nodeFork)} and correct ${source}`,
        },
      );
    }
  }
  return { required, uses };
}

function describeUses(uses: readonly OpcodeUse[]): string {
  return `opcodes newer than london: ${uses.map((u) => `${u.name} at byte ${u.offset}`).join(", ")}`;
}
