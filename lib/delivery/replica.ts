/**
 * Replicas: every party's store holds the whole set of each ticket version (and note) it is on,
 * so a party that misses an envelope fetches it from another party's store, and a party that lost
 * its store rebuilds it from its notifications on the chain. Everything fetched is checked against
 * the chain: my envelope must decrypt with its sealed binding, and the whole set (decoys
 * included) must rebuild the on-chain commitment with the blinding leaf from the secret. A replica
 * that serves anything else is skipped and the next one is tried.
 */
import { getAddress } from "ethers";

import { describeError, StoreConflictError, StoreError, TamperError } from "../errors.js";
import type { RegistryClient } from "../chain/registry.js";
import type { EnvelopeStore } from "../ticket/store.js";
import { ticketHistory } from "../chain/events.js";
import {
  committedSet,
  senderLocators,
  ticketsOf,
  type CommittedSet,
} from "../chain/committed-set.js";
import { DEFAULT_TIMEOUT_MS, getEnvelope } from "./client.js";
import {
  myLocators,
  openOwn,
  setMatches,
  type KeyHolder,
  type SetRef,
} from "../ticket/open-set.js";

export interface FetchInput extends SetRef {
  registry: RegistryClient;
  /** The local store to fill. */
  store: EnvelopeStore;
  me: KeyHolder;
  /** Store URLs to try in order; default: the published stores of the sender, originator and route. */
  replicas?: readonly string[];
  timeoutMs?: number;
}

export interface FetchResult {
  id: string;
  replica: string;
  written: number;
  /** Replicas tried before, and why they were skipped. */
  skipped: { replica: string; error: string }[];
}

/** The published stores of the set's parties other than `me`: sender first, then originator and route. */
export async function replicasFor(
  registry: RegistryClient,
  set: CommittedSet,
  me: string,
): Promise<string[]> {
  const parties = [
    ...new Set([set.sender, set.originator, ...set.route].map((a) => getAddress(a))),
  ].filter((a) => a !== getAddress(me));
  const urls: string[] = [];
  for (const p of parties) {
    const url = await registry.read(() => registry.contract.storeEndpoint(p));
    if (url !== "" && !urls.includes(url)) urls.push(url);
  }
  return urls;
}

async function writeSet(
  store: EnvelopeStore,
  id: string,
  version: number,
  entries: { locator: string; bytes: Uint8Array }[],
) {
  let written = 0;
  for (const e of entries) {
    try {
      await store.put(id, version, e.locator, e.bytes);
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      // The local entry differs from the verified one: it is the damaged copy.
      await store.remove(id, version, e.locator);
      await store.put(id, version, e.locator, e.bytes);
    }
    written++;
  }
  return written;
}

/** Fetches my set from the first replica that serves a copy verified against the chain. */
export async function fetchSet(input: FetchInput): Promise<FetchResult> {
  const timeout = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const set = await committedSet(input.registry, input.ticketKey, input.kind, input.version);
  const mine = await senderLocators(input.registry, set, (keys) => myLocators(input.me, keys, set));
  const replicas = input.replicas ?? (await replicasFor(input.registry, set, input.me.address));
  const skipped: FetchResult["skipped"] = [];
  for (const replica of replicas) {
    try {
      let own: { locator: string; bytes: Uint8Array } | undefined;
      for (const locator of mine.keys()) {
        const bytes = await getEnvelope(replica, locator, timeout);
        if (bytes !== undefined) {
          own = { locator, bytes };
          break;
        }
      }
      if (own === undefined) throw new StoreError("holds no envelope for you in this set");
      const opened = openOwn(input.me, mine.get(own.locator)!, set, own.locator, own.bytes);
      const entries = [own];
      for (const locator of opened.envelopes) {
        if (locator === own.locator) continue;
        const bytes = await getEnvelope(replica, locator, timeout);
        if (bytes === undefined) throw new StoreError(`lacks envelope ${locator} of the set`);
        entries.push({ locator, bytes });
      }
      if (!setMatches(set, opened.secret, entries)) {
        throw new TamperError("serves a set that does not match the on-chain commitment");
      }
      const written = await writeSet(input.store, opened.id, set.version, entries);
      return { id: opened.id, replica, written, skipped };
    } catch (error) {
      skipped.push({ replica, error: describeError(error) });
    }
  }
  throw new StoreError(
    `no replica holds a verified ${set.kind} set of ${set.ticketKey} v${set.version} for you`,
    {
      details:
        skipped.length === 0
          ? "no other party of the ticket publishes a store endpoint"
          : skipped.map((s) => `${s.replica}: ${s.error}`).join("; "),
      hint: "start the other parties' stores (store:serve) or publish their endpoints (store:endpoint), then retry",
    },
  );
}

/** Whether the local store holds my set, whole and matching the chain. */
export async function holdsVerifiedSet(
  registry: RegistryClient,
  store: EnvelopeStore,
  me: KeyHolder,
  ref: SetRef,
): Promise<boolean> {
  const set = await committedSet(registry, ref.ticketKey, ref.kind, ref.version);
  const mine = await senderLocators(registry, set, (keys) => myLocators(me, keys, set));
  for (const [locator, key] of mine) {
    const at = await store.lookup(locator).catch(() => undefined);
    if (at === undefined || at.version !== set.version) continue;
    try {
      const bytes = await store.get(at.id, at.version, locator);
      const opened = openOwn(me, key, set, locator, bytes);
      const entries = [];
      for (const l of opened.envelopes)
        entries.push({
          locator: l,
          bytes: l === locator ? bytes : await store.get(at.id, at.version, l),
        });
      return opened.id === at.id && setMatches(set, opened.secret, entries);
    } catch {
      return false;
    }
  }
  return false;
}

/** Every set a party should hold: each version of its tickets, and each note of a return. */
export async function setsOf(registry: RegistryClient, me: KeyHolder): Promise<SetRef[]> {
  const head = await registry.read(() => registry.contract.runner!.provider!.getBlockNumber());
  const keys = await ticketsOf(registry, me, 0, head);
  const refs: SetRef[] = [];
  for (const ticketKey of keys) {
    const t = await registry.ticket(ticketKey);
    for (let version = 1; version <= t.version; version++)
      refs.push({ ticketKey, kind: "ticket", version });
    for (const e of await ticketHistory(registry, ticketKey)) {
      if (e.kind === "returned" && !/^0x0{64}$/.test(e.reasonCommitment)) {
        refs.push({ ticketKey, kind: "note", version: e.version });
      }
    }
  }
  return refs;
}

export interface RecoveryReport {
  /** Sets the chain says this party should hold. */
  expected: number;
  /** Already in the local store and verified. */
  present: number;
  /** Fetched from a replica and verified. */
  fetched: number;
  failed: (SetRef & { error: string })[];
}

/**
 * Rebuilds a party's store: every set its notifications name is checked locally and, if missing
 * or damaged, fetched from the other parties' replicas.
 */
export async function recoverStore(input: {
  registry: RegistryClient;
  store: EnvelopeStore;
  me: KeyHolder;
  replicas?: readonly string[];
  timeoutMs?: number;
}): Promise<RecoveryReport> {
  const refs = await setsOf(input.registry, input.me);
  const report: RecoveryReport = { expected: refs.length, present: 0, fetched: 0, failed: [] };
  for (const ref of refs) {
    if (await holdsVerifiedSet(input.registry, input.store, input.me, ref)) {
      report.present++;
      continue;
    }
    try {
      await fetchSet({ ...input, ...ref });
      report.fetched++;
    } catch (error) {
      report.failed.push({ ...ref, error: describeError(error) });
    }
  }
  return report;
}
