/**
 * Log queries for the failover provider: a block range asked in pieces of at most `logRange`
 * blocks, each answered by one endpoint that already has the piece's last block. A node that is
 * behind answers a range past its head with fewer logs and no error (Geth 1.13) or with an error
 * (Geth 1.16+): after a failover to such a node, a watcher would skip events for good. A node's
 * range limit (Besu's `--rpc-max-logs-range`) never breaks a scan from block 0 either.
 */
import { toQuantity, type PerformActionFilter } from "ethers";

import { ChainError } from "../errors.js";
import { EndpointDownError, redact, type EndpointPool } from "./endpoints.js";

/** The block range of an `eth_getLogs` request, as ethers hands it over. */
export type RangeFilter = PerformActionFilter & { fromBlock?: unknown; toBlock?: unknown };

export interface LogRange {
  /** Blocks per request. */
  readonly logRange: number;
  /** Where `logRange` came from, for hints (e.g. `SR_BESU_LOG_RANGE`). */
  readonly logRangeSource?: string;
}

/** A block tag as a number (`latest` and a missing tag: `latest`); undefined for other tags. */
function blockOf(tag: unknown, latest: number): number | undefined {
  if (tag === undefined || tag === null || tag === "latest") return latest;
  if (tag === "earliest") return 0;
  if (typeof tag === "number") return tag;
  if (typeof tag === "string" && /^0x[0-9a-f]+$/i.test(tag)) return Number(tag);
  return undefined;
}

/**
 * The logs of `filter` up to `head` (the provider's settled head), in pieces. Undefined for
 * ranges ending at `pending`, `safe` or `finalized`: the caller asks those as they are.
 */
export async function getLogsInPieces(
  pool: EndpointPool,
  filter: RangeFilter,
  head: number,
  range: LogRange,
): Promise<unknown[] | undefined> {
  const to = blockOf(filter.toBlock, head);
  const from = to === undefined ? undefined : blockOf(filter.fromBlock, to);
  if (to === undefined || from === undefined) return undefined;
  const logs: unknown[] = [];
  for (let start = from; start <= to; start += range.logRange) {
    const end = Math.min(to, start + range.logRange - 1);
    logs.push(...(await logsOfPiece(pool, filter, start, end, range)));
  }
  return logs;
}

async function logsOfPiece(
  pool: EndpointPool,
  filter: RangeFilter,
  start: number,
  end: number,
  range: LogRange,
): Promise<unknown[]> {
  const failures: string[] = [];
  const piece = { ...filter, fromBlock: toQuantity(start), toBlock: toQuantity(end) };
  for (const endpoint of pool.order()) {
    try {
      const last = await pool.request(endpoint.url, "eth_getBlockByNumber", [
        toQuantity(end),
        false,
      ]);
      if (last === null) {
        failures.push(`${redact(endpoint.url)}: behind, no block ${end} yet`);
        continue;
      }
      const logs = (await pool.request(endpoint.url, "eth_getLogs", [piece])) as unknown[];
      pool.markUp(endpoint);
      return logs;
    } catch (error) {
      if (!(error instanceof EndpointDownError)) {
        throw new ChainError(`the node refused a log query over blocks ${start}–${end}`, {
          details: `${redact(endpoint.url)}: ${error instanceof Error ? error.message : String(error)}`,
          hint: `ask for fewer blocks per query: set ${range.logRangeSource ?? "logRange"} below ${range.logRange}`,
          cause: error,
        });
      }
      pool.markDown(endpoint, error.message);
      failures.push(`${redact(endpoint.url)}: ${error.message}`);
    }
  }
  throw pool.allDown(failures);
}
