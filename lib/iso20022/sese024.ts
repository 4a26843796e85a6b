/**
 * sese.024 (SecuritiesSettlementTransactionStatusAdvice) for one ticket version: the status a
 * route party gave (OK or NG), every reason, and a narrative for the reader.
 *
 * Each reason goes to the status block its qualifier belongs to, the block repeating `Rsn` per
 * reason: REJT → PrcgSts/Rjctd, NMAT → MtchgSts/Umtchd, PEND → SttlmSts/Pdg, PENF → SttlmSts/Flng.
 * A proprietary code travels as `Prtry` with its data-source scheme as issuer. OK is
 * PrcgSts/AckdAccptd (no specified reason) and MtchgSts/Mtchd.
 */
import { describeReason, isoReason, proprietaryReason, type Qualifier } from "../reasons.js";
import {
  buildMessage,
  Iso20022Error,
  namespaceOf,
  parseMessage,
  type MessageSpec,
  type XmlNode,
  type XmlTree,
} from "./xml.js";

export const SESE024: MessageSpec = {
  name: "sese.024",
  versions: ["09", "10", "11", "12"],
  element: "SctiesSttlmTxStsAdvc",
};
export const SESE024_VERSION = "10";
/** `AddtlRsnInf` is Max210Text. */
export const MAX_ADDITIONAL_INFO = 210;

export interface AdviceReason {
  readonly qualifier: Qualifier;
  readonly code: string;
  /** Data-source scheme of a proprietary code. */
  readonly scheme?: string;
  /** Additional reason information, at most 210 characters (longer text is cut with "…"). */
  readonly narrative?: string;
}

export interface StatusAdvice {
  /** The instruction's sender's reference (SEME): `TxId/AcctOwnrTxId`. */
  readonly senderReference: string;
  /** The ticket ID, as the servicer's reference: `TxId/AcctSvcrTxId`. */
  readonly ticketId?: string;
  readonly status: "OK" | "NG";
  readonly reasons: readonly AdviceReason[];
  /** The note for the reader; given to each reason without a narrative of its own (and to OK). */
  readonly narrative?: string;
}

/** Where each qualifier's reasons go: status element, then the choice under it. */
const BLOCKS: Record<Qualifier, [string, string]> = {
  REJT: ["PrcgSts", "Rjctd"],
  NMAT: ["MtchgSts", "Umtchd"],
  PEND: ["SttlmSts", "Pdg"],
  PENF: ["SttlmSts", "Flng"],
};

function cut(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= MAX_ADDITIONAL_INFO ? flat : `${flat.slice(0, MAX_ADDITIONAL_INFO - 1)}…`;
}

function reasonTree(reason: AdviceReason, narrative: string | undefined): XmlTree {
  // Validates the code against the one vocabulary (throws naming it).
  if (reason.scheme === undefined) isoReason(reason.qualifier, reason.code);
  else proprietaryReason(reason.qualifier, reason.scheme, reason.code);
  const code: XmlTree =
    reason.scheme === undefined
      ? { Cd: reason.code }
      : { Prtry: { Id: reason.code, Issr: reason.scheme } };
  const info = reason.narrative ?? narrative;
  return info === undefined || info.trim() === ""
    ? { Cd: code }
    : { Cd: code, AddtlRsnInf: cut(info) };
}

/** The sese.024 XML of one status advice (written as sese.024.001.10). */
export function buildSese024(advice: StatusAdvice): string {
  if (advice.status === "OK" && advice.reasons.length > 0) {
    throw new Iso20022Error(
      `an OK status advice carries no reasons (got ${advice.reasons.length})`,
    );
  }
  if (advice.status === "NG" && advice.reasons.length === 0) {
    throw new Iso20022Error("an NG status advice needs at least one reason", {
      hint: "e.g. NMAT/DDAT",
    });
  }
  const qualifiers = new Set(advice.reasons.map((r) => r.qualifier));
  if (qualifiers.has("PEND") && qualifiers.has("PENF")) {
    throw new Iso20022Error("a status advice is pending (PEND) or failing (PENF), not both", {
      hint: "PEND before or on the settlement date, PENF after it",
    });
  }
  const txId: XmlTree = { AcctOwnrTxId: advice.senderReference };
  if (advice.ticketId !== undefined) txId.AcctSvcrTxId = advice.ticketId;
  const body: XmlTree = { TxId: txId };
  if (advice.status === "OK") {
    body.PrcgSts = { AckdAccptd: { NoSpcfdRsn: "NORE" } };
    body.MtchgSts = {
      Mtchd: advice.narrative === undefined ? "" : { AddtlRsnInf: cut(advice.narrative) },
    };
  } else {
    for (const qualifier of ["REJT", "NMAT", "PEND", "PENF"] as const) {
      const reasons = advice.reasons.filter((r) => r.qualifier === qualifier);
      if (reasons.length === 0) continue;
      const [status, choice] = BLOCKS[qualifier];
      // One Rsn per reason: XMLBuilder writes an array as repeated elements.
      const rsn = reasons.map((r) => reasonTree(r, advice.narrative));
      body[status] = { [choice]: { Rsn: rsn as unknown as XmlTree } };
    }
  }
  return buildMessage(namespaceOf(SESE024.name, SESE024_VERSION), SESE024.element, body);
}

export interface ReadAdvice extends StatusAdvice {
  readonly reasons: readonly (AdviceReason & { meaning: string })[];
}

function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === "string") return [];
  const value = node[name];
  return Array.isArray(value) ? value : [];
}
function one(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}
function textOf(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === "string") return node;
  return typeof node["#text"] === "string" ? node["#text"] : undefined;
}

/**
 * Reads back a status advice written by {@link buildSese024} (status, reasons, narratives), e.g.
 * for a dashboard showing what was exported. Elements it does not know are ignored here: this is
 * a reader of our own output, not an inbound channel.
 */
export function parseSese024(text: string, source = "sese.024"): ReadAdvice {
  const { body } = parseMessage(text, SESE024, source);
  const txId = one(body, "TxId");
  const senderReference = textOf(one(txId, "AcctOwnrTxId"));
  if (senderReference === undefined)
    throw new Iso20022Error(`${source}: TxId/AcctOwnrTxId is required`);
  const ticketId = textOf(one(txId, "AcctSvcrTxId"));
  const reasons: (AdviceReason & { meaning: string })[] = [];
  for (const qualifier of ["REJT", "NMAT", "PEND", "PENF"] as const) {
    const [status, choice] = BLOCKS[qualifier];
    for (const rsn of children(one(one(body, status), choice), "Rsn")) {
      const cd = one(rsn, "Cd");
      const narrative = textOf(one(rsn, "AddtlRsnInf"));
      const iso = textOf(one(cd, "Cd"));
      const prtry = one(cd, "Prtry");
      const code = iso ?? textOf(one(prtry, "Id"));
      const scheme = iso === undefined ? textOf(one(prtry, "Issr")) : undefined;
      if (code === undefined)
        throw new Iso20022Error(`${source}: ${status}/${choice}/Rsn has no code`);
      reasons.push({
        qualifier,
        code,
        ...(scheme === undefined ? {} : { scheme }),
        ...(narrative === undefined ? {} : { narrative }),
        meaning: describeReason(qualifier, code, scheme),
      });
    }
  }
  const matchedInfo = textOf(one(one(one(body, "MtchgSts"), "Mtchd"), "AddtlRsnInf"));
  return {
    senderReference,
    ...(ticketId === undefined ? {} : { ticketId }),
    status: reasons.length === 0 ? "OK" : "NG",
    reasons,
    ...(matchedInfo === undefined ? {} : { narrative: matchedInfo }),
  };
}
