/**
 * Store-and-forward delivery. After a create, revise or reject transaction has landed, the sender
 * queues the sealed set for every other recipient that published a store endpoint, then pushes it
 * (`POST /v2/sets`; each store keeps only its own party's envelope). An unreachable store never
 * fails the ticket: the set waits in the outbox and is retried (by `store:flush`, by the sender's
 * next delivery, and by the sender's own store server on a timer). Parties without a published
 * endpoint get nothing pushed: they read the sender's store by read token (`store:recover`).
 */
import { getAddress } from "ethers";

import { describeError } from "../errors.js";
import type { RegistryClient } from "../chain/registry.js";
import type { SealedSet } from "../ticket/seal.js";
import { pushSetV2, StoreRefusal } from "../store/read-protocol.js";
import { Outbox, outboxDir, OUTBOX_FORMAT, pushBodyOf, type OutboxEntry } from "./outbox.js";

export const DEFAULT_TIMEOUT_MS = 5_000;

/** What `sealTicket` or `sealReturn` returns, as far as delivery cares. */
export type DeliverableSet = Pick<
  SealedSet,
  "kind" | "ticketKey" | "version" | "sender" | "entries"
>;

export interface DeliveryOptions {
  registry: RegistryClient;
  chainId: bigint;
  /** The data folder; the outbox lives under `<dataDir>/outbox/`. */
  dataDir: string;
  /** Per-request timeout (default 5 s). */
  timeoutMs?: number;
}

export interface DeliveryOutcome {
  recipient: string;
  kind: OutboxEntry["kind"];
  ticketKey: string;
  version: number;
  state: "delivered" | "pending" | "refused";
  endpoint?: string;
  error?: string;
}

export interface DeliveryReport {
  outcomes: DeliveryOutcome[];
  /** Parties of the set that publish no store endpoint (nothing was pushed to them). */
  unpublished: string[];
}

/** Where a line of the report goes (the task's output). */
export interface Warn {
  warn(text: string): void;
}

export class Delivery {
  readonly registry: RegistryClient;
  readonly chainId: bigint;
  readonly dataDir: string;
  readonly timeoutMs: number;

  constructor(options: DeliveryOptions) {
    this.registry = options.registry;
    this.chainId = options.chainId;
    this.dataDir = options.dataDir;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  outbox(sender: string): Outbox {
    return new Outbox(outboxDir(this.dataDir, this.chainId, this.registry.address, sender));
  }

  /** The published store endpoint of `party`, or "" if none. */
  async endpoint(party: string): Promise<string> {
    return this.registry.read(() => this.registry.contract.storeEndpoint(getAddress(party)));
  }

  /**
   * Queues the set for every other recipient with a published store and pushes it now. Never
   * throws: whatever fails stays in the outbox and is reported.
   */
  async afterSend(sealed: DeliverableSet, out?: Warn): Promise<DeliveryReport> {
    try {
      const report = await this.enqueue(sealed);
      const sender = getAddress(sealed.sender);
      const keys = new Set(
        report.map((e) => `${e.recipient}|${e.ticketKey}|${e.kind}|${e.version}`),
      );
      const flushed = await this.flush(sender, (e) =>
        keys.has(`${e.recipient}|${e.ticketKey}|${e.kind}|${e.version}`),
      );
      const unpublished = sealed.entries
        .map((e) => e.recipient)
        .filter((r): r is string => r !== undefined && getAddress(r) !== sender)
        .filter((r) => !report.some((e) => e.recipient === getAddress(r)));
      for (const o of flushed.outcomes) {
        if (o.state !== "delivered") {
          out?.warn(
            `envelopes for ${this.registry.label(o.recipient)} wait in the outbox (${o.error ?? o.state}); retry with store:flush`,
          );
        }
      }
      return { outcomes: flushed.outcomes, unpublished };
    } catch (error) {
      out?.warn(`delivery could not be queued: ${describeError(error)}`);
      return { outcomes: [], unpublished: [] };
    }
  }

  /** Writes one outbox entry per other recipient with a published endpoint. */
  async enqueue(sealed: DeliverableSet): Promise<OutboxEntry[]> {
    const sender = getAddress(sealed.sender);
    const kind = sealed.kind;
    const envelopes = sealed.entries
      .map((e) => ({ locator: e.locator, bytes: Buffer.from(e.bytes).toString("base64") }))
      .sort((a, b) => a.locator.localeCompare(b.locator));
    const outbox = this.outbox(sender);
    const queued: OutboxEntry[] = [];
    for (const e of sealed.entries) {
      if (e.recipient === undefined || getAddress(e.recipient) === sender) continue;
      if ((await this.endpoint(e.recipient)) === "") continue;
      const entry: OutboxEntry = {
        format: OUTBOX_FORMAT,
        sender,
        recipient: getAddress(e.recipient),
        kind,
        ticketKey: sealed.ticketKey.toLowerCase(),
        version: sealed.version,
        envelopes,
        createdAt: new Date().toISOString(),
        attempts: 0,
      };
      await outbox.save(entry);
      queued.push(entry);
    }
    return queued;
  }

  /** What waits in `sender`'s outbox. */
  async pending(sender: string): Promise<OutboxEntry[]> {
    return this.outbox(sender).list();
  }

  /** Tries every pending entry of `sender` (or those `filter` selects) once, now. */
  async flush(
    sender: string,
    filter: (e: OutboxEntry) => boolean = () => true,
  ): Promise<DeliveryReport> {
    const outbox = this.outbox(sender);
    const outcomes: DeliveryOutcome[] = [];
    for (const entry of (await outbox.list()).filter(filter)) {
      const base = {
        recipient: entry.recipient,
        kind: entry.kind,
        ticketKey: entry.ticketKey,
        version: entry.version,
      };
      let endpoint = "";
      try {
        endpoint = await this.endpoint(entry.recipient);
        if (endpoint === "") {
          throw new StoreRefusal("the recipient publishes no store endpoint any more", 0);
        }
        await pushSetV2(endpoint, pushBodyOf(entry), { timeoutMs: this.timeoutMs });
        await outbox.remove(entry);
        outcomes.push({ ...base, state: "delivered", endpoint });
      } catch (error) {
        const refused = error instanceof StoreRefusal;
        const updated: OutboxEntry = {
          ...entry,
          attempts: entry.attempts + 1,
          lastAttemptAt: new Date().toISOString(),
          lastError: describeError(error),
          refused,
        };
        await outbox.save(updated);
        outcomes.push({
          ...base,
          state: refused ? "refused" : "pending",
          endpoint: endpoint === "" ? undefined : endpoint,
          error: updated.lastError,
        });
      }
    }
    return { outcomes, unpublished: [] };
  }
}
