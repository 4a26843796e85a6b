/**
 * What the dashboard needs from the use-case library, and nothing more. The server and the page
 * are written against this port only; `adapter.ts` implements it over `lib/app`. Everything here
 * is plain JSON data: it is what the page receives, so no key, secret or signer ever appears.
 */

/** A party as the directory shows it. */
export interface PartyRef {
  name: string;
  address: string;
}

export interface DirectoryEntry extends PartyRef {
  /** 0 before the party registered an encryption key. */
  keyVersion: number;
  suspended: boolean;
}

export type TicketStatus = "open" | "returned" | "completed" | "cancelled";

/** One reason of a return: ISO 15022 / 20022 status qualifier, code, and what it means. */
export interface ReasonView {
  qualifier: string;
  code: string;
  meaning: string;
}

/** One line of the inbox, with the business columns an operations desk sorts and searches by. */
export interface InboxItem {
  id: string;
  version: number;
  status: TicketStatus;
  myRole: "originator" | "approver";
  /** My place on the route (1-based), for an approver. */
  myStep?: number;
  myTurn: boolean;
  waitingFor?: PartyRef;
  isin: string;
  instrumentDescription?: string;
  direction: "DELI" | "RECE";
  quantity: { type: string; amount: string };
  settlementAmount?: { amount: string; currency: string };
  tradeDate: string;
  settlementDate: string;
  deliveringAgent: string;
  receivingAgent: string;
  senderReference: string;
  commonReference?: string;
  lastEvent?: { kind: string; block: number; by?: string };
}

export interface RouteStep {
  step: number;
  party: PartyRef;
  state: "approved" | "waiting" | "returned" | "pending" | "skipped";
}

export interface HistoryItem {
  kind: "created" | "approved" | "completed" | "returned" | "revised" | "cancelled";
  version: number;
  block: number;
  tx: string;
  by?: PartyRef;
  step?: number;
  reasons?: ReasonView[];
  /** The decrypted narrative of a return, when there is one. */
  note?: string;
}

/** One row of a check's match table (lib/matching): field, both values, verdict. */
export interface CheckRow {
  field: string;
  /** The sese.023 element the field maps to. */
  tag: string;
  ticket?: string;
  instruction?: string;
  result: "match" | "within-tolerance" | "mismatch" | "not-compared";
  /** The NMAT code a mismatch of this field carries. */
  code: string;
  note?: string;
}

/** One line of the balance check: what the trade needs against what the party holds. */
export interface BalanceRow {
  kind: "cash" | "securities";
  what: string;
  required: string;
  available: string;
  sufficient: boolean;
  reason?: ReasonView;
}

/** A reason the check found, with the fields it concerns and one line for the counterparties. */
export interface CheckReasonView extends ReasonView {
  fields: string[];
  narrative: string;
}

/** The party's check of one version of a ticket against its own instruction and positions. */
export interface CheckResult {
  version: number;
  /** Whose instruction it was compared with: the counterparty's or the same side's record. */
  side: "counterparty" | "same-side";
  senderReference: string;
  proposal: "OK" | "NG";
  rows: CheckRow[];
  /** Absent when no positions were given. */
  balances?: { source: string; asOf: string; rows: BalanceRow[] };
  reasons: CheckReasonView[];
}

/** A file the page sends: its name and its text. */
export interface UploadedFile {
  name: string;
  text: string;
}

/** What the caller may do with a ticket now (the page shows exactly these buttons). */
export interface AllowedActions {
  approve: boolean;
  reject: boolean;
  amend: boolean;
  reroute: boolean;
  cancel: boolean;
}

export interface TicketDetail {
  id: string;
  version: number;
  status: TicketStatus;
  myRole: "originator" | "route";
  originator: PartyRef;
  route: RouteStep[];
  waitingFor?: PartyRef;
  /** The trade as decrypted and verified against the on-chain commitment. */
  trade: Record<string, unknown>;
  verified: true;
  history: HistoryItem[];
  check?: CheckResult;
  allowed: AllowedActions;
}

export interface ActionOutcome {
  id: string;
  version: number;
  status: TicketStatus;
  next?: PartyRef;
  /** The transaction that carried it. */
  tx?: string;
}

/** A notification for this party, in chain order; `cursor` resumes the stream after it. */
export interface LiveEvent {
  cursor: string;
  kind: string;
  id?: string;
  text: string;
}

/** The state of the party's node and store connection, for the page's banner. */
export interface Health {
  ok: boolean;
  message?: string;
}

export interface Capabilities {
  /** The route of a returned ticket can be changed. */
  reroute: boolean;
  /** How many reasons one return can carry. */
  maxReasons: number;
  /** Whether the chain itself refuses a decision on another version (else the port checks). */
  versionBoundOnChain: boolean;
  /** Upload formats the New ticket page accepts. */
  uploads: Array<"json" | "sese.023">;
  /** A party can check a ticket against its own instruction and positions. */
  check: boolean;
}

export type PortErrorKind =
  /** The input is invalid; `fields` maps a field path (e.g. `settlementAmount.amount`) to messages. */
  | "invalid"
  /** The caller cannot open this ticket: it learns nothing else. */
  | "not-a-party"
  /** No such ticket. */
  | "not-found"
  /** The caller's role or the ticket's state does not allow this action now. */
  | "not-allowed"
  /** The page shows an older version than the chain: reload before deciding. */
  | "stale"
  /** The node or the store cannot be reached; try again when it is back. */
  | "unavailable";

export class PortError extends Error {
  override name = "PortError";
  constructor(
    readonly kind: PortErrorKind,
    message: string,
    readonly fields: Record<string, string[]> = {},
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface DashboardPort {
  readonly me: PartyRef;
  readonly capabilities: Capabilities;
  /** The reason codes a return may carry, with their meanings. */
  reasonCodes(): ReasonView[];
  directory(): Promise<DirectoryEntry[]>;
  inbox(): Promise<InboxItem[]>;
  /** Decrypts and verifies one ticket; PortError `not-a-party` for anyone else. */
  ticket(id: string): Promise<TicketDetail>;
  /** Field problems of a trade document, in the CLI's wording; empty when valid. */
  validate(trade: unknown): Record<string, string[]>;
  /** Reads an uploaded ticket file (JSON, or sese.023 where supported) into a trade document. */
  readUpload(name: string, text: string): Record<string, unknown>;
  create(trade: unknown, route: string[]): Promise<ActionOutcome>;
  approve(id: string, version: number): Promise<ActionOutcome>;
  reject(id: string, version: number, reasons: string[], note: string): Promise<ActionOutcome>;
  /** Resubmits a returned ticket as a new version; `route`, if given, replaces the route too. */
  amend(id: string, version: number, trade: unknown, route?: string[]): Promise<ActionOutcome>;
  /**
   * Checks the current version against the party's own instruction (JSON or sese.023) and,
   * if given, its positions; the result is kept and shown with the ticket while it is current.
   */
  check(id: string, instruction: UploadedFile, positions?: UploadedFile): Promise<CheckResult>;
  /** Changes the route only (a new version with the same trade). */
  reroute(id: string, version: number, route: string[]): Promise<ActionOutcome>;
  cancel(id: string, version: number): Promise<ActionOutcome>;
  /**
   * Follows the chain for this party and calls `onEvent` once per notification, in order, until
   * `signal` aborts. `onHealth` reports node trouble and recovery.
   */
  follow(
    onEvent: (event: LiveEvent) => void,
    onHealth: (health: Health) => void,
    signal: AbortSignal,
  ): Promise<void>;
}
