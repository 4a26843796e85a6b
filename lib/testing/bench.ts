/**
 * Helpers shared by the benchmark scripts: integer options, timing with warm-up, percentiles,
 * concurrent clients, and rewriting one marked section of docs/benchmarks.md.
 */
import { readFile, writeFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";

import * as prettier from "prettier";

import type { VersionedKeyPair } from "../crypto/keys.js";
import { openTicket, type EnvelopeSource, type OpenedTicket } from "../ticket/open.js";
import type { SealedTicket } from "../ticket/seal.js";

/** `--name N` from the command line: an integer from 1 to `max`, `fallback` when absent. */
export function option(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  }
  return value;
}

/** The nearest-rank `p`th percentile of ascending `sorted`. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export interface Figure {
  median: number;
  p95: number;
  runs: number;
}

const figure = (times: number[]): Figure => {
  times.sort((a, b) => a - b);
  return {
    median: times[Math.floor(times.length / 2)],
    p95: percentile(times, 95),
    runs: times.length,
  };
};

/** Median and p95 milliseconds of `runs` calls of a synchronous `fn`, after `warmup` calls. */
export function measureSync(runs: number, warmup: number, fn: () => void): Figure {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return figure(times);
}

/** Median and p95 milliseconds of `runs` awaited calls of `fn`, after `warmup` calls. */
export async function measure(runs: number, warmup: number, fn: () => unknown): Promise<Figure> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return figure(times);
}

/** Mean milliseconds per call of `fn` over `n` calls, after a warm-up. */
export async function timed(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

/** Runs `job` over `jobs` from `clients` concurrent workers: wall time and ascending latencies. */
export async function runConcurrently<T>(
  clients: number,
  jobs: T[],
  job: (item: T) => Promise<void>,
): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < jobs.length) {
        const item = jobs[next++];
        const start = performance.now();
        await job(item);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

/**
 * Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` of
 * docs/benchmarks.md with `lines` (appends it where there is none), formatted with prettier when
 * `format` is set. Returns the path written.
 */
export async function writeBenchSection(
  name: string,
  lines: string[],
  format = false,
): Promise<string> {
  const path = "docs/benchmarks.md";
  const START = `<!-- ${name}:start -->`;
  const END = `<!-- ${name}:end -->`;
  let doc = await readFile(path, "utf8").catch(() => "# Benchmarks\n");
  const section = [START, "", ...lines, "", END].join("\n");
  const s = doc.indexOf(START);
  const e = doc.indexOf(END);
  doc =
    s >= 0 && e > s
      ? doc.slice(0, s) + section + doc.slice(e + END.length)
      : `${doc.trimEnd()}\n\n${section}\n`;
  await writeFile(
    path,
    format
      ? await prettier.format(doc, { ...(await prettier.resolveConfig(path)), filepath: path })
      : doc,
  );
  return path;
}

/** A route party of a benchmark ticket: its address and its one key pair (version 1). */
export interface BenchParty {
  address: string;
  key: VersionedKeyPair;
}

/** Opens version 1 of `sealed` from `store` as `me`, the way every route party does. */
export const openAsParty = (
  store: EnvelopeSource,
  sealed: SealedTicket,
  me: BenchParty,
  originator: BenchParty,
): Promise<OpenedTicket> =>
  openTicket({
    store,
    ticketKey: sealed.ticketKey,
    version: 1,
    me: { address: me.address, keys: [me.key] },
    senderPublicKeys: { 1: originator.key.publicKey },
    expected: {
      tradeCommitment: sealed.tradeCommitment,
      envelopeCommitment: sealed.envelopeCommitment,
    },
  });
