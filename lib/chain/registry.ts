/**
 * A thin client of the SettlementRegistry contract: typed calls, party names, and every revert
 * decoded from its custom error into one readable sentence.
 */
import {
  AbiCoder,
  Contract,
  decodeBytes32String,
  encodeBytes32String,
  getAddress,
  isAddress,
  isError,
  keccak256,
  type ContractRunner,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type ErrorDescription,
} from "ethers";

import type { SettlementRegistry } from "../../typechain-types/SettlementRegistry.js";
import { SettlementRegistry__factory } from "../../typechain-types/factories/SettlementRegistry__factory.js";
import { ChainError, ContractError, InputError, PartyError } from "../errors.js";
import type { PublicKeyVersions } from "../crypto/keys.js";

export const TICKET_STATUS = ["none", "open", "returned", "completed", "cancelled"] as const;
export type TicketStatusName = (typeof TICKET_STATUS)[number];

/** The longest approval route the registry takes (the contract's `PackedRoute.MAX_LENGTH`). */
export const MAX_ROUTE_LENGTH = 8;

/**
 * How a party is involved in a ticket: it originated it (`TicketCreated`'s indexed originator), or
 * it holds a slot of its one-time route (found by scanning the announcements). Code above the
 * chain takes these from `lib/ticket/route.ts`.
 */
export type PartyRole = "originator" | "route";

/** A directory entry with its address and decoded name. */
export interface PartyInfo {
  address: string;
  index: number;
  name: string;
  keyVersion: number;
  suspended: boolean;
  /** The current x25519 key (envelope encryption and viewing), zero if none registered. */
  encryptionKey: string;
  /** The current compressed secp256k1 spending key, `0x` if none registered. */
  spendingKey: string;
}

/** The public keys of one key version of a party. */
export interface PartyKeys {
  viewingKey: string;
  spendingKey: string;
}

/**
 * A ticket as the chain holds it: the packed state from `getTicket`, and the current version's
 * commitments, one-time route and announcement from its `TicketCreated` / `TicketRevised` event
 * (checked against the stored route commitment).
 */
export interface OnChainTicket {
  key: string;
  status: TicketStatusName;
  step: number;
  steps: number;
  version: number;
  originator: string;
  routeCommitment: string;
  /** One-time addresses of the current version, in approval order. */
  route: string[];
  tradeCommitment: string;
  envelopeCommitment: string;
  ephemeralKey: string;
  viewTags: string;
  /** Block of the current version's event. */
  block: number;
}

/** What a version's `TicketCreated` / `TicketRevised` event registered, and its block. */
export type VersionEvent = Pick<
  OnChainTicket,
  "route" | "tradeCommitment" | "envelopeCommitment" | "ephemeralKey" | "viewTags" | "block"
>;

/**
 * What a caller already holds about a ticket's events: the versions it has seen, by version, and
 * a block at or before the ticket's newest version event (where the caller first saw the ticket).
 */
export interface KnownVersions {
  versions?: Readonly<Record<number, VersionEvent>>;
  fromBlock?: number;
}

/** The first block that can hold a version event newer than those `known`. */
function searchFrom(known: KnownVersions | undefined): number {
  let from = known?.fromBlock ?? 0;
  for (const v of Object.values(known?.versions ?? {})) from = Math.max(from, v.block);
  return from;
}

/** `keccak256(abi.encode(route))`, the route commitment the registry stores. */
export function routeCommitment(route: readonly string[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["address[]"], [route]));
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** Validates a party name (lower-case letters, digits and dashes, at most 31 bytes). */
export function encodePartyName(name: string): string {
  if (!NAME_RE.test(name)) {
    throw new InputError(`party name "${name}" is invalid`, {
      hint: "use 1-31 lower-case letters, digits or dashes, e.g. custodian-bank",
    });
  }
  return encodeBytes32String(name);
}

/** The registry's ABI, from the compiled artifact (typechain generates it on `hardhat compile`). */
export const REGISTRY_ABI = SettlementRegistry__factory.abi;

/** Context used to word errors: how to call a ticket key and a party address. */
export interface Labels {
  ticket?: (key: string) => string;
}

export class RegistryClient {
  readonly contract: SettlementRegistry;
  readonly address: string;
  private readonly parties = new Map<string, PartyInfo>();
  /** Registered keys never change once published: cached by `<address>/<version>`. */
  private keyCache = new Map<string, PartyKeys>();
  private ticketLabels = new Map<string, string>();

  constructor(address: string, runner: ContractRunner) {
    this.address = getAddress(address);
    this.contract = new Contract(
      this.address,
      REGISTRY_ABI,
      runner,
    ) as unknown as SettlementRegistry;
  }

  /** The same registry used by another account (a party's signer). */
  connect(runner: ContractRunner): RegistryClient {
    const other = new RegistryClient(this.address, runner);
    for (const [k, v] of this.parties) other.parties.set(k, v);
    other.ticketLabels = this.ticketLabels;
    other.keyCache = this.keyCache;
    return other;
  }

  /** Tells error messages to call the ticket `key` by its human-readable `id`. */
  nameTicket(key: string, id: string): void {
    this.ticketLabels.set(key.toLowerCase(), id);
  }

  // ------------------------------------------------------------------ parties

  /** A directory entry; cached unless `fresh` (then read from the chain, and cached anew). */
  async party(address: string, options: { fresh?: boolean } = {}): Promise<PartyInfo> {
    const key = getAddress(address);
    const cached = options.fresh === true ? undefined : this.parties.get(key);
    if (cached !== undefined) return cached;
    const p = await this.read(() => this.contract.getParty(key));
    const keyVersion = Number(p.keyVersion);
    const keys =
      keyVersion === 0
        ? { viewingKey: `0x${"00".repeat(32)}`, spendingKey: "0x" }
        : await this.keysOf(key, keyVersion);
    const info: PartyInfo = {
      address: key,
      index: Number(p.index),
      name: p.index === 0n ? "" : decodeBytes32String(p.name),
      keyVersion,
      suspended: p.suspended,
      encryptionKey: keys.viewingKey,
      spendingKey: keys.spendingKey,
    };
    if (info.index !== 0) this.parties.set(key, info);
    return info;
  }

  /** Forgets cached directory entries (after an admit, suspend or key rotation). */
  refreshParties(): void {
    this.parties.clear();
  }

  /** Resolves a party name or address to an admitted party. */
  async resolveParty(nameOrAddress: string): Promise<PartyInfo> {
    let address: string;
    if (isAddress(nameOrAddress)) {
      address = getAddress(nameOrAddress);
    } else {
      address = await this.read(() => this.contract.partyByName(encodePartyName(nameOrAddress)));
      if (address === "0x0000000000000000000000000000000000000000") {
        const known = (await this.listParties()).map((p) => p.name).join(", ");
        throw new PartyError(`unknown party "${nameOrAddress}"`, {
          details: known === "" ? "the directory is empty" : `known parties: ${known}`,
          hint: "use a party name from `npx hardhat party:list` or an address",
        });
      }
    }
    const info = await this.party(address);
    if (info.index === 0) {
      throw new PartyError(`${address} is not a party of the consortium`, {
        hint: "the consortium admin admits parties with `npx hardhat party:admit`",
      });
    }
    return info;
  }

  async listParties(): Promise<PartyInfo[]> {
    const count = Number(await this.read(() => this.contract.partyCount()));
    const out: PartyInfo[] = [];
    for (let i = 1; i <= count; i++) {
      out.push(await this.party(await this.read(() => this.contract.partyAt(i))));
    }
    return out;
  }

  /** Key pair `version` of `address` (throws if it has none). Cached: keys never change. */
  async keysOf(address: string, version: number): Promise<PartyKeys> {
    const slot = `${getAddress(address)}/${version}`;
    const cached = this.keyCache.get(slot);
    if (cached !== undefined) return cached;
    const [viewingKey, spendingKey] = await this.read(() =>
      this.contract.partyKeys(address, version),
    );
    if (/^0x0+$/.test(viewingKey)) {
      throw new PartyError(`${this.label(address)} has no key version ${version}`, {
        hint: "the party registers its keys with `npx hardhat party:register-key`",
      });
    }
    const keys = { viewingKey, spendingKey };
    this.keyCache.set(slot, keys);
    return keys;
  }

  /** The x25519 key `version` of `address` (throws if it has none). */
  async encryptionKey(address: string, version: number): Promise<string> {
    return (await this.keysOf(address, version)).viewingKey;
  }

  /** Every registered x25519 key of `address`, by version (older tickets may use older keys). */
  async publicKeys(address: string): Promise<PublicKeyVersions> {
    const party = await this.party(address);
    const keys = new Map<number, string>();
    for (let v = 1; v <= party.keyVersion; v++)
      keys.set(v, await this.encryptionKey(party.address, v));
    return keys;
  }

  /** `name (0x…)` if the address is a known party, else the address. */
  label(address: string): string {
    const key = getAddress(address);
    const p = this.parties.get(key);
    return p === undefined || p.name === "" ? key : `${p.name} (${key})`;
  }

  // ------------------------------------------------------------------ tickets

  /**
   * The ticket under `key`: its state, and the current version's event. A caller that keeps the
   * events it has seen (a party's index) passes them as `known`: the current version's record is
   * then taken from there, and a newer version is looked for only from the block of the newest
   * known one on (through the ticket's indexed topic). Without `known`, the whole chain is
   * searched. A route that does not hash to the stored commitment means the node (or the record
   * kept) disagrees with the chain: a ChainError.
   */
  async ticket(key: string, known?: KnownVersions): Promise<OnChainTicket> {
    const t = await this.read(() => this.contract.getTicket(key));
    const base = {
      key,
      status: TICKET_STATUS[Number(t.status)],
      step: Number(t.step),
      steps: Number(t.steps),
      version: Number(t.version),
      originator: t.originator,
      routeCommitment: t.routeCommitment,
    };
    if (base.status === "none") {
      const zero = `0x${"00".repeat(32)}`;
      return {
        ...base,
        route: [],
        tradeCommitment: zero,
        envelopeCommitment: zero,
        ephemeralKey: zero,
        viewTags: "0x0000000000000000",
        block: 0,
      };
    }
    // A kept record that does not match the chain (an index of an earlier chain at the same
    // address) is not used: the event is looked for again.
    const kept = known?.versions?.[base.version];
    const event =
      kept !== undefined && routeCommitment(kept.route) === base.routeCommitment.toLowerCase()
        ? kept
        : await this.versionEventFrom(
            key,
            base.version,
            kept === undefined ? searchFrom(known) : 0,
          );
    if (routeCommitment(event.route) !== base.routeCommitment.toLowerCase()) {
      throw new ChainError(
        `the route logged for ticket ${this.t(key)} v${base.version} does not match its commitment`,
        {
          hint: "the node may be out of sync or faulty; try another endpoint",
        },
      );
    }
    // Warm the name cache so that later errors can name the originator.
    await this.party(base.originator);
    return {
      ...base,
      route: event.route.map((r) => getAddress(r)),
      tradeCommitment: event.tradeCommitment,
      envelopeCommitment: event.envelopeCommitment,
      ephemeralKey: event.ephemeralKey,
      viewTags: event.viewTags,
      block: event.block,
    };
  }

  /** `versionEvent` from `fromBlock`, then (if it is not there) from block 0. */
  private async versionEventFrom(
    key: string,
    version: number,
    fromBlock: number,
  ): Promise<VersionEvent> {
    if (fromBlock === 0) return this.versionEvent(key, version);
    return this.versionEvent(key, version, fromBlock).catch(() => this.versionEvent(key, version));
  }

  /**
   * The `TicketCreated` (version 1) or `TicketRevised` event of `version` of ticket `key`, looked
   * for from `fromBlock` on (the block of an earlier version's event, when the caller knows it).
   */
  async versionEvent(key: string, version: number, fromBlock = 0): Promise<VersionEvent> {
    const iface = this.contract.interface;
    const name = version === 1 ? "TicketCreated" : "TicketRevised";
    const logs = await this.read(() =>
      this.contract.runner!.provider!.getLogs({
        address: this.address,
        topics: [iface.getEvent(name)!.topicHash, key],
        fromBlock,
        toBlock: "latest",
      }),
    );
    for (const log of logs.reverse()) {
      const a = iface.parseLog(log)!.args;
      if (version !== 1 && Number(a.version) !== version) continue;
      return {
        route: (a.route as string[]).map((r) => getAddress(r)),
        tradeCommitment: a.tradeCommitment,
        envelopeCommitment: a.envelopeCommitment,
        ephemeralKey: a.ephemeralKey,
        viewTags: a.viewTags,
        block: log.blockNumber,
      };
    }
    throw new ChainError(`no event of ticket ${this.t(key)} version ${version} on this node`, {
      hint: "the node may be out of sync or prune its logs; try another endpoint",
    });
  }

  // ------------------------------------------------------------------ calls

  /** Runs a read, mapping node failures to a ChainError. */
  async read<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      throw await this.decode(e);
    }
  }

  /** Sends a transaction, waits for its receipt, and decodes any revert into words. */
  async send(
    call: () => Promise<ContractTransactionResponse>,
  ): Promise<ContractTransactionReceipt> {
    let sent: ContractTransactionResponse;
    try {
      sent = await call();
    } catch (e) {
      throw await this.decode(e);
    }
    try {
      const receipt = await sent.wait();
      if (receipt === null) throw new ChainError(`transaction ${sent.hash} was dropped`);
      return receipt;
    } catch (e) {
      throw await this.decode(e, sent.hash);
    }
  }

  /** Turns any error from ethers or the node into a SettlementError with one readable line. */
  async decode(error: unknown, txHash?: string): Promise<Error> {
    if (error instanceof ContractError || error instanceof ChainError) return error;
    if (error instanceof InputError || error instanceof PartyError) return error;
    // Hardhat's in-process network throws its own SolidityError, with the revert data in `data`.
    const parsedRevert = this.parseRevertData(error);
    if (parsedRevert !== null) return this.describeRevert(parsedRevert);
    if (isError(error, "CALL_EXCEPTION")) {
      const data = error.data ?? undefined;
      let parsed: ErrorDescription | null = null;
      if (data !== undefined && data !== null) {
        try {
          parsed = this.contract.interface.parseError(data);
        } catch {
          parsed = null;
        }
      }
      if (parsed !== null) return this.describeRevert(parsed);
      return new ContractError(
        `the registry rejected the transaction${txHash === undefined ? "" : ` ${txHash}`}`,
        undefined,
        { details: error.shortMessage },
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    if (
      isError(error, "NETWORK_ERROR") ||
      isError(error, "TIMEOUT") ||
      /ECONNREFUSED|ECONNRESET|ENOTFOUND|fetch failed|socket hang up|connect/i.test(message)
    ) {
      return new ChainError("cannot reach the chain's RPC endpoint", {
        details: message.split("\n")[0],
        hint: "check that the node is running and the network's URL is right",
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(message);
  }

  /** The registry's custom error carried anywhere in an error's `data` / `cause` chain. */
  private parseRevertData(error: unknown): ErrorDescription | null {
    for (let e = error, depth = 0; e !== null && typeof e === "object" && depth < 5; depth++) {
      const data = (e as { data?: unknown }).data;
      if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) {
        try {
          const parsed = this.contract.interface.parseError(data);
          if (parsed !== null) return parsed;
        } catch {
          // not one of ours
        }
      }
      e = (e as { cause?: unknown; error?: unknown }).cause ?? (e as { error?: unknown }).error;
    }
    return null;
  }

  private t(key: string): string {
    return this.ticketLabels.get(String(key).toLowerCase()) ?? `with key ${key}`;
  }

  private describeRevert(e: ErrorDescription): ContractError {
    const a = e.args;
    const who = (x: string) => this.label(x);
    const status = (s: bigint) => TICKET_STATUS[Number(s)];
    const make = (msg: string, hint?: string) => new ContractError(msg, e.name, { hint });
    switch (e.name) {
      case "SettlementRegistryNotParty":
        return make(
          `${who(a[0])} is not a party of the consortium`,
          "the admin admits parties with party:admit",
        );
      case "SettlementRegistryPartySuspended":
        return make(
          `${who(a[0])} is suspended`,
          "the consortium admin can restore it with party:restore",
        );
      case "SettlementRegistryPartyNotSuspended":
        return make(`${who(a[0])} is not suspended`);
      case "SettlementRegistryPartyAlreadyAdmitted":
        return make(`${who(a[0])} is already admitted`);
      case "SettlementRegistryInvalidName":
        return make(
          a[1] === "0x0000000000000000000000000000000000000000"
            ? "the party name is empty"
            : `the name "${decodeBytes32String(a[0])}" is already held by ${who(a[1])}`,
          "choose another name",
        );
      case "SettlementRegistryZeroAddress":
        return make("the zero address cannot be a party");
      case "SettlementRegistryInvalidX25519Key":
        return make(
          `${a[0]} is not a usable x25519 key (small order or not canonical)`,
          "derive keys with party:register-key; never register a key by hand",
        );
      case "SettlementRegistryInvalidSpendingKey":
        return make(
          "the spending key is not a compressed secp256k1 point",
          "derive keys with party:register-key; never register a key by hand",
        );
      case "SettlementRegistryZeroValue":
        return make("the ticket reference or a commitment is zero");
      case "SettlementRegistryTicketExists":
        return make(`ticket ${this.t(a[0])} is already registered`);
      case "SettlementRegistryUnknownTicket":
        return make(`unknown ticket ${this.t(a[0])}`, "check the ticket ID with ticket:list");
      case "SettlementRegistryInvalidRouteLength":
        return make(
          `a route needs 1 to ${MAX_ROUTE_LENGTH} parties, ${a[0]} were given`,
          "fix --route",
        );
      case "SettlementRegistryInvalidRouteAddress":
        return make(
          `${who(a[0])} cannot stand on a route (zero, or the originator itself)`,
          "fix --route",
        );
      case "SettlementRegistryDuplicateRouteAddress":
        return make(`${who(a[0])} appears twice in the route`, "fix --route");
      case "SettlementRegistryRouteMismatch":
        return make(
          `the route sent for ticket ${this.t(a[0])} is not the one registered`,
          "re-open the ticket (ticket:show) and decide again",
        );
      case "SettlementRegistryStaleVersion":
        return make(
          `ticket ${this.t(a[0])} is at version ${a[2]} now, not ${a[1]}: re-open it (ticket:show) and decide on version ${a[2]}`,
        );
      case "SettlementRegistryNotNextApprover":
        return make(`not your turn yet on ticket ${this.t(a[0])}`, "wait for the earlier steps");
      case "SettlementRegistryNotOnRoute":
        return make(`you are not on the route of ticket ${this.t(a[0])}`);
      case "SettlementRegistryAlreadyApproved":
        return make(`you already approved ticket ${this.t(a[0])} at step ${Number(a[2]) + 1}`);
      case "SettlementRegistryTicketNotOpen":
        return make(`ticket ${this.t(a[0])} is ${status(a[1])}, not open`);
      case "SettlementRegistryTicketFinal":
        return make(`ticket ${this.t(a[0])} is ${status(a[1])} and can no longer change`);
      case "SettlementRegistryNotOriginator":
        return make(`only the originator ${who(a[2])} may do this to ticket ${this.t(a[0])}`);
      case "SettlementRegistryDirectoryFull":
        return make("the party directory is full");
      case "EnforcedPause":
        return make("the registry is paused by the consortium admin", "wait until it is unpaused");
      case "ExpectedPause":
        return make("the registry is not paused");
      case "AccessControlBadConfirmation":
        return make(
          "an account can only renounce a role for itself",
          "renounceRole takes the caller's own address",
        );
      case "AccessControlUnauthorizedAccount":
        return make(
          `${who(a[0])} lacks the role this needs`,
          "only the consortium admin may do this",
        );
      default:
        return make(`the registry refused: ${e.name}`);
    }
  }
}
