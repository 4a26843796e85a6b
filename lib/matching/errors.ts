/**
 * Errors of the matching library, in the hierarchy of `lib/errors.ts`: each names the field or
 * the entry, and says how to fix the input.
 */
import { InputError } from "../errors.js";

/** The instruction is for another trade than the ticket: comparing fields would mean nothing. */
export class OtherTradeError extends InputError {
  override name = "OtherTradeError";
  override readonly code = "OTHER_TRADE";
}

/** A position file (or a ledger behind the position interface) gave a balance that is not one. */
export class PositionError extends InputError {
  override name = "PositionError";
  override readonly code = "INVALID_POSITION";
}

/** A check result is malformed, or was made for another ticket, version or trade. */
export class CheckResultError extends InputError {
  override name = "CheckResultError";
  override readonly code = "INVALID_CHECK";
}
