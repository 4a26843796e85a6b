/**
 * Recovery: a party that misses an envelope (never delivered, damaged, or its store lost) reads it
 * from another party's store server by read token. The sender of a set keeps all nine of its
 * entries in its own store (docs/store.md says why), so the sender's store can always serve it; a
 * store serves an envelope only to a caller that shows its token, which only the sender and the
 * recipient can compute. Everything fetched is checked against the chain before it is written: the
 * envelope's sealed proof must give the on-chain commitment and its binding must name this set.
 * Only the party's own envelope is fetched and kept.
 */
import { getAddress } from "ethers";

import { describeError, StoreError } from "../errors.js";
import type { RegistryClient } from "../chain/registry.js";
import type { PublicKeyVersions } from "../crypto/keys.js";
import type { SetKind } from "../crypto/read-token.js";
import { candidates, openTree, type TreeReader } from "../ticket/envelope-tree.js";
import { openTicket } from "../ticket/open.js";
import type { EnvelopeStore } from "../ticket/store.js";
import { setsOfTicket } from "../store/committed.js";
import { MAX_READ_TOKENS, readEnvelopesV2 } from "../store/read-protocol.js";
import { DEFAULT_TIMEOUT_MS } from "./deliver.js";

/** One set to hold: what the chain commits to, and whose keys sealed it. */
export interface SetToHold {
  kind: SetKind;
  ticketKey: string;
  version: number;
  commitment: string;
  /** The sender's directory address and public keys by version. */
  sender: string;
  senderKeys: PublicKeyVersions;
  /** Store URLs to read it from, in order (the sender's first). */
  replicas: readonly string[];
}

export interface FetchResult {
  replica: string;
  locator: string;
  /** Replicas tried before, and why they were skipped. */
  skipped: { replica: string; error: string }[];
}

const contextOf = (set: SetToHold) => ({
  kind: set.kind,
  ticketKey: set.ticketKey.toLowerCase(),
  version: set.version,
});

/** Whether the local store holds my envelope of `set`, verified against the chain. */
export async function holdsOwn(store: EnvelopeStore, me: TreeReader, set: SetToHold) {
  try {
    await openTree({
      me,
      senderKeys: set.senderKeys,
      ...contextOf(set),
      commitment: set.commitment,
      fetch: (c) => store.get(c.locator),
    });
    return true;
  } catch {
    return false;
  }
}

/** Reads my envelope of `set` from the first replica that serves one verified against the chain. */
export async function fetchOwn(input: {
  store: EnvelopeStore;
  me: TreeReader;
  set: SetToHold;
  timeoutMs?: number;
}): Promise<FetchResult> {
  const { set, me } = input;
  const mine = candidates(me, set.senderKeys, contextOf(set));
  const skipped: FetchResult["skipped"] = [];
  for (const replica of set.replicas) {
    try {
      const held = new Map<string, Uint8Array>();
      for (let i = 0; i < mine.length; i += MAX_READ_TOKENS) {
        const batch = mine.slice(i, i + MAX_READ_TOKENS);
        const answers = await readEnvelopesV2(
          replica,
          batch.map((c) => c.token),
          { timeoutMs: input.timeoutMs ?? DEFAULT_TIMEOUT_MS },
        );
        answers.forEach((bytes, j) => bytes !== undefined && held.set(batch[j].locator, bytes));
      }
      const opened = await openTree({
        me,
        senderKeys: set.senderKeys,
        ...contextOf(set),
        commitment: set.commitment,
        fetch: (c) => held.get(c.locator),
      });
      const bytes = held.get(opened.locator)!;
      // A local entry under this locator with other bytes is the damaged copy: replace it.
      const local = await input.store.get(opened.locator);
      if (local !== undefined && !Buffer.from(local).equals(Buffer.from(bytes))) {
        await input.store.removeSet([{ locator: opened.locator, bytes: local }]);
      }
      await input.store.putSet([{ locator: opened.locator, bytes }]);
      return { replica, locator: opened.locator, skipped };
    } catch (error) {
      skipped.push({ replica, error: describeError(error) });
    }
  }
  throw new StoreError(
    `no replica holds a verified ${set.kind} envelope of ${set.ticketKey.slice(0, 10)}… v${set.version} for you`,
    {
      details:
        skipped.length === 0
          ? "the sender publishes no store endpoint"
          : skipped.map((s) => `${s.replica}: ${s.error}`).join("; "),
      hint: "start the sender's store (store:serve) or publish its endpoint (store:endpoint), then retry",
    },
  );
}

export interface RecoveryReport {
  /** Sets the chain says this party should hold. */
  expected: number;
  /** Already in the local store and verified. */
  present: number;
  /** Fetched from a replica and verified. */
  fetched: number;
  failed: (Pick<SetToHold, "kind" | "ticketKey" | "version"> & { error: string })[];
}

/** Checks each set locally and fetches the ones missing or damaged from their replicas. */
export async function recoverSets(input: {
  store: EnvelopeStore;
  me: TreeReader;
  sets: readonly SetToHold[];
  timeoutMs?: number;
}): Promise<RecoveryReport> {
  const report: RecoveryReport = {
    expected: input.sets.length,
    present: 0,
    fetched: 0,
    failed: [],
  };
  for (const set of input.sets) {
    if (await holdsOwn(input.store, input.me, set)) {
      report.present++;
      continue;
    }
    try {
      await fetchOwn({ ...input, set });
      report.fetched++;
    } catch (error) {
      const { kind, ticketKey, version } = set;
      report.failed.push({ kind, ticketKey, version, error: describeError(error) });
    }
  }
  return report;
}

/** The published store endpoint of `party`, or none. */
async function endpointOf(registry: RegistryClient, party: string): Promise<string[]> {
  const url = await registry.read(() => registry.contract.storeEndpoint(getAddress(party)));
  return url === "" ? [] : [url];
}

/**
 * Rebuilds a party's store for the tickets of its index: first every version of each ticket (read
 * from the originator's store), then every return (read from its author's store: the author is
 * the party behind the one-time address in the slot table of the version it returned, which the
 * recovered ticket envelope gives).
 */
export async function recoverStore(input: {
  registry: RegistryClient;
  store: EnvelopeStore;
  me: TreeReader;
  ticketKeys: readonly string[];
  /** Store URLs to try before the senders' published ones. */
  replicas?: readonly string[];
  timeoutMs?: number;
}): Promise<RecoveryReport> {
  const { registry } = input;
  const extra = input.replicas ?? [];
  const report: RecoveryReport = { expected: 0, present: 0, fetched: 0, failed: [] };
  const add = (r: RecoveryReport) => {
    report.expected += r.expected;
    report.present += r.present;
    report.fetched += r.fetched;
    report.failed.push(...r.failed);
  };
  for (const ticketKey of input.ticketKeys) {
    const sets = await setsOfTicket(registry, ticketKey);
    if (sets.length === 0) continue;
    const originator = sets[0].originator;
    const senderKeys = await registry.publicKeys(originator);
    const replicas = [...extra, ...(await endpointOf(registry, originator))];
    const versions = sets.filter((s) => s.kind === "ticket");
    add(
      await recoverSets({
        ...input,
        sets: versions.map((s) => ({ ...s, sender: originator, senderKeys, replicas })),
      }),
    );
    const returns: SetToHold[] = [];
    for (const r of sets.filter((s) => s.kind === "return")) {
      const version = versions.find((v) => v.version === r.version);
      const opened =
        version === undefined
          ? undefined
          : await openTicket({
              store: input.store,
              ticketKey,
              version: r.version,
              me: input.me,
              senderPublicKeys: senderKeys,
              expected: {
                tradeCommitment: version.tradeCommitment!,
                envelopeCommitment: version.commitment,
              },
            }).catch(() => undefined);
      const author = opened?.slots?.find((s) => getAddress(s.address) === r.by)?.party;
      if (author === undefined) {
        report.expected++;
        report.failed.push({
          kind: r.kind,
          ticketKey,
          version: r.version,
          error: "its author is unknown until the ticket version it returned is recovered",
        });
        continue;
      }
      returns.push({
        ...r,
        sender: author,
        senderKeys: await registry.publicKeys(author),
        replicas: [...extra, ...(await endpointOf(registry, author))],
      });
    }
    add(await recoverSets({ ...input, sets: returns }));
  }
  return report;
}
