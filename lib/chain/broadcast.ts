/**
 * Sending a signed transaction through the failover provider's endpoints, and finding out what
 * happened to it when an endpoint died on the way: `mined`, `sent` (in a node's pool) or, if no
 * node can tell, `unknown` ({@link TransactionFateError}). Only the same signed bytes are ever
 * re-broadcast, so a transaction can never be executed twice. Whether to send a use case's
 * transaction again after an unknown outcome is the use case's decision (see lib/app/create.ts).
 */
import type { JsonRpcError, JsonRpcResult } from "ethers";

import { ChainError } from "../errors.js";
import { EndpointDownError, redact, type EndpointPool } from "./endpoints.js";

/** What is known about a transaction after it was handed to a node. */
export type TransactionStatus = "mined" | "sent" | "unknown";

/** A write: the signed transaction and what is known about it. */
export interface SendRecord {
  readonly from: string;
  readonly nonce: number;
  readonly hash: string;
  readonly raw: string;
  status: TransactionStatus;
  /** The endpoint that accepted it, if one did. */
  endpoint?: string;
}

/** A transaction's fate could not be established: it may or may not be executed later. */
export class TransactionFateError extends ChainError {
  override name = "TransactionFateError";
  readonly status: TransactionStatus;
  readonly hash: string;
  readonly nonce: number;
  readonly from: string;

  constructor(record: SendRecord, details: string, cause?: unknown) {
    super(`transaction ${record.hash} is ${record.status}: no node could confirm it`, {
      details: `from ${record.from}, nonce ${record.nonce}; ${details}`,
      hint: "it may still be executed: once a node answers, check the outcome (e.g. with ticket:show) before you rerun the same command",
      cause,
    });
    this.status = record.status;
    this.hash = record.hash;
    this.nonce = record.nonce;
    this.from = record.from;
  }
}

function isAlreadyKnown(error: JsonRpcError["error"]): boolean {
  return /already known|known transaction|already imported|AlreadyKnown/i.test(error.message ?? "");
}

function isNonceTooLow(error: JsonRpcError["error"]): boolean {
  return /nonce too low|nonce is too low|NonceTooLow|replacement transaction underpriced/i.test(
    error.message ?? "",
  );
}

/**
 * Finds out what happened to a signed transaction by asking every endpoint: `mined`, `sent`
 * (known to a node but not in a block) or, when no endpoint knows it, whether its nonce is
 * still free (`free`: it was never executed and can safely be broadcast again) or taken by a
 * different transaction (`replaced`).
 */
export async function resolveTransaction(
  pool: EndpointPool,
  record: Pick<SendRecord, "hash" | "from" | "nonce">,
): Promise<TransactionStatus | "free" | "replaced"> {
  let answered = false;
  let nonceTaken = false;
  for (const endpoint of pool.order()) {
    try {
      const tx = (await pool.request(endpoint.url, "eth_getTransactionByHash", [record.hash])) as {
        blockNumber?: string | null;
      } | null;
      answered = true;
      if (tx !== null) return tx.blockNumber ? "mined" : "sent";
      const count = Number(
        await pool.request(endpoint.url, "eth_getTransactionCount", [record.from, "latest"]),
      );
      if (count > record.nonce) nonceTaken = true;
    } catch (error) {
      if (error instanceof EndpointDownError) pool.markDown(endpoint, error.message);
      else throw error;
    }
  }
  if (!answered) return "unknown";
  return nonceTaken ? "replaced" : "free";
}

/** The refusal when another transaction took the record's nonce (`onReplaced` resyncs nonces). */
export function replacedError(record: SendRecord): ChainError {
  return new ChainError(`nonce ${record.nonce} of ${record.from} was used by another transaction`, {
    details: `transaction ${record.hash} was not executed`,
    hint: "another client sends from the same account: give each client its own key, then rerun",
  });
}

/** How long the extra copies of a broadcast may take before they are left to themselves. */
const FAN_OUT_TIMEOUT_MS = 2_000;

/**
 * Gives `record.raw` to every endpoint but `accepted` that is up. Their answers do not matter:
 * "already known" is the usual one, and a node that fails here is only marked down. Never a
 * different transaction: the nonce makes a second execution impossible.
 */
export async function fanOut(
  pool: EndpointPool,
  record: SendRecord,
  accepted: string,
): Promise<void> {
  const others = pool.health().filter((e) => e.url !== accepted && e.up);
  await Promise.all(
    others.map(async ({ url }) => {
      try {
        await pool.post(
          url,
          pool.payload("eth_sendRawTransaction", [record.raw]),
          FAN_OUT_TIMEOUT_MS,
        );
      } catch (error) {
        if (error instanceof EndpointDownError) pool.markDown(pool.find(url), error.message);
      }
    }),
  );
}

/**
 * Broadcasts `record.raw`, resolving an unknown outcome on the other endpoints. Returns the
 * record with status `sent` or `mined`; throws TransactionFateError when nothing can be known.
 * With `all`, once one endpoint accepted it, every other endpoint gets the same bytes too
 * ({@link fanOut}): each node then holds it as its own local transaction. Geth 1.13 nodes refuse
 * zero-price transactions gossiped by a peer, so a free-gas transaction would otherwise wait for
 * its one node's turn to seal, and be lost if that node died first.
 */
export async function broadcast(
  pool: EndpointPool,
  record: SendRecord,
  onReplaced: (record: SendRecord) => void,
  all = true,
): Promise<SendRecord> {
  const settle = (status: "sent" | "mined", endpoint?: string) => {
    record.status = status;
    if (endpoint !== undefined) record.endpoint = endpoint;
    return record;
  };
  const replaced = () => {
    onReplaced(record);
    return replacedError(record);
  };
  const failures: string[] = [];
  for (const endpoint of pool.order()) {
    if (failures.length > 0) {
      // An earlier endpoint may have received it before dying: look before re-broadcasting.
      const status = await resolveTransaction(pool, record);
      if (status === "mined" || status === "sent") return settle(status);
      if (status === "replaced") throw replaced();
    }
    let response: JsonRpcResult | JsonRpcError;
    try {
      [response] = await pool.post(
        endpoint.url,
        pool.payload("eth_sendRawTransaction", [record.raw]),
      );
    } catch (error) {
      if (!(error instanceof EndpointDownError)) throw error;
      pool.markDown(endpoint, error.message);
      failures.push(`${redact(endpoint.url)}: ${error.message}`);
      continue;
    }
    pool.markUp(endpoint);
    if ("error" in response) {
      if (isAlreadyKnown(response.error)) return settle("sent", endpoint.url);
      if (isNonceTooLow(response.error)) {
        const status = await resolveTransaction(pool, record);
        if (status === "mined" || status === "sent") return settle(status);
        throw replaced();
      }
      throw new ChainError(`node refused transaction ${record.hash}`, {
        details: `${redact(endpoint.url)}: ${response.error.message}`,
        hint: "check the account, the gas settings and the node's transaction pool limits",
      });
    }
    if (all) await fanOut(pool, record, endpoint.url);
    return settle("sent", endpoint.url);
  }
  record.status = "unknown";
  throw new TransactionFateError(record, `every endpoint failed: ${failures.join("; ")}`);
}
