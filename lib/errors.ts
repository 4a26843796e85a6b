/**
 * The error hierarchy shared by the library, the tasks, the scripts and the tests.
 *
 * Every error a user can cause has a short message that names the field or the cause, optional
 * details, and a hint that says how to fix the input. `toString()` gives the one line the CLI
 * prints. (Modelled on viem's `BaseError`: shortMessage, details, metaMessages.)
 */
export interface ErrorParts {
  /** What is wrong, naming the field or the cause. */
  readonly details?: string;
  /** How to fix it. */
  readonly hint?: string;
  readonly cause?: unknown;
}

export class SettlementError extends Error {
  override name = "SettlementError";
  /** Stable machine-readable code, e.g. `INVALID_TICKET`. */
  readonly code: string = "SETTLEMENT_ERROR";
  readonly shortMessage: string;
  readonly details?: string;
  readonly hint?: string;

  constructor(shortMessage: string, parts: ErrorParts = {}) {
    super(shortMessage, parts.cause === undefined ? undefined : { cause: parts.cause });
    this.shortMessage = shortMessage;
    this.details = parts.details;
    this.hint = parts.hint;
  }

  /** One line: `message (details) — hint`. */
  oneLine(): string {
    let line = this.shortMessage;
    if (this.details !== undefined && this.details !== "") line += ` (${this.details})`;
    if (this.hint !== undefined && this.hint !== "") line += ` — ${this.hint}`;
    return line.replace(/\s*\n\s*/g, " ");
  }

  override toString(): string {
    return `${this.name}: ${this.oneLine()}`;
  }
}

/** The user's input (a ticket file, an option, a reason code...) is invalid. */
export class InputError extends SettlementError {
  override name = "InputError";
  override readonly code: string = "INVALID_INPUT";
}

/** A ticket document fails the schema; `issues` lists every field and rule that failed. */
export class TicketValidationError extends InputError {
  override name = "TicketValidationError";
  override readonly code = "INVALID_TICKET";
  readonly issues: readonly string[];

  constructor(issues: readonly string[], parts: ErrorParts = {}) {
    super(issues.length === 1 ? issues[0] : `${issues[0]} (and ${issues.length - 1} more)`, {
      hint: "correct the ticket file; `examples/` has valid tickets to copy",
      ...parts,
      details: parts.details ?? (issues.length > 1 ? issues.slice(1).join("; ") : undefined),
    });
    this.issues = issues;
  }
}

/** A name or address is not a party of the consortium, or a party lacks what the action needs. */
export class PartyError extends SettlementError {
  override name = "PartyError";
  override readonly code = "PARTY";
}

/** The caller is not a party to this ticket: it learns nothing more. */
export class NotAPartyError extends SettlementError {
  override name = "NotAPartyError";
  override readonly code = "NOT_A_PARTY";
}

/** Stored data does not verify: a byte was changed, or data was moved between tickets, versions or parties. */
export class TamperError extends SettlementError {
  override name = "TamperError";
  override readonly code = "TAMPERED";
}

/** Decryption failed for a reason other than tampering (wrong key, unknown scheme...). */
export class CryptoError extends SettlementError {
  override name = "CryptoError";
  override readonly code = "CRYPTO";
}

/** The off-chain store has no such entry, or cannot be written. */
export class StoreError extends SettlementError {
  override name = "StoreError";
  override readonly code: string = "STORE";
}

/** The store already holds a different ciphertext at this place; it never overwrites one. */
export class StoreConflictError extends StoreError {
  override name = "StoreConflictError";
  override readonly code = "STORE_CONFLICT";
}

/** The chain refused an action: a decoded custom error of the registry. */
export class ContractError extends SettlementError {
  override name = "ContractError";
  override readonly code = "CONTRACT";
  /** The custom error's name, e.g. `SettlementRegistryNotNextApprover`. */
  readonly errorName?: string;
  constructor(shortMessage: string, errorName?: string, parts: ErrorParts = {}) {
    super(shortMessage, parts);
    this.errorName = errorName;
  }
}

/** The node cannot be reached, is on the wrong chain, or the registry is not deployed there. */
export class ChainError extends SettlementError {
  override name = "ChainError";
  override readonly code = "CHAIN";
}

/** Configuration is missing or wrong (a key for `--as`, a network setting...). */
export class ConfigError extends SettlementError {
  override name = "ConfigError";
  override readonly code = "CONFIG";
}

/** The one line to print for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof SettlementError) return error.oneLine();
  if (error instanceof Error) return error.message.split("\n")[0];
  return String(error);
}
