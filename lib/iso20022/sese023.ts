/**
 * sese.023 (SecuritiesSettlementTransactionInstruction) ⇄ ticket trade. Every supported field is
 * mapped both ways in ONE table, {@link SESE023_FIELDS}, in the message's element order; an
 * element the table does not know is an error naming it, never dropped.
 */
import type { Trade } from "../ticket/schema.js";
import { parseTrade } from "../ticket/schema.js";
import { currencyDigits, fractionDigits } from "../ticket/rules.js";
import { TicketValidationError } from "../errors.js";
import {
  buildMessage,
  Iso20022Error,
  namespaceOf,
  parseMessage,
  type MessageSpec,
  type XmlNode,
  type XmlTree,
} from "./xml.js";

export const SESE023: MessageSpec = {
  name: "sese.023",
  versions: ["07", "08", "09", "10", "11"],
  element: "SctiesSttlmTxInstr",
};
/** The version written by {@link buildSese023}. */
export const SESE023_VERSION = "09";

type Draft = Record<string, unknown>;

/** Reads single elements of the message body by path (`TradDtls/SttlmDt/Dt/Dt`). */
export class Reader {
  constructor(
    private readonly body: XmlNode,
    private readonly source: string,
  ) {}

  fail(path: string, problem: string, hint?: string): Iso20022Error {
    return new Iso20022Error(
      `${this.source}: ${SESE023.element}/${path}: ${problem}`,
      hint === undefined ? {} : { hint },
    );
  }

  node(path: string): XmlNode | undefined {
    let node: XmlNode | undefined = this.body;
    const walked: string[] = [];
    for (const name of path.split("/")) {
      walked.push(name);
      if (node === undefined || typeof node === "string") return undefined;
      const children = node[name] as XmlNode[] | undefined;
      if (children === undefined) return undefined;
      if (children.length !== 1)
        throw this.fail(walked.join("/"), `appears ${children.length} times; the ticket holds one`);
      node = children[0];
    }
    return node;
  }

  text(path: string): string | undefined {
    const node = this.node(path);
    if (node === undefined) return undefined;
    if (typeof node === "string") return node;
    const text = node["#text"];
    return typeof text === "string" ? text : "";
  }

  attr(path: string, name: string): string | undefined {
    const node = this.node(path);
    if (node === undefined || typeof node === "string") return undefined;
    const value = node[`@_${name}`];
    return typeof value === "string" ? value : undefined;
  }
}

/** Builds the element tree in insertion order; rows write in the message's element order. */
export class Writer {
  readonly tree: XmlTree = {};

  set(path: string, text: string, attributes: Record<string, string> = {}): void {
    const names = path.split("/");
    let node = this.tree;
    for (const name of names.slice(0, -1)) {
      node[name] ??= {};
      node = node[name] as XmlTree;
    }
    const leaf = names.at(-1)!;
    node[leaf] =
      Object.keys(attributes).length === 0
        ? text
        : {
            ...Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, v])),
            "#text": text,
          };
  }
}

function put(draft: Draft, path: string, value: unknown): void {
  if (value === undefined) return;
  const names = path.split(".");
  let node = draft;
  for (const name of names.slice(0, -1)) {
    node[name] ??= {};
    node = node[name] as Draft;
  }
  node[names.at(-1)!] = value;
}

/** An amount with its currency, refusing more decimals than the currency has. */
function readAmount(
  r: Reader,
  path: string,
): { amount: string; currency: string | undefined } | undefined {
  const amount = r.text(path);
  if (amount === undefined) return undefined;
  const currency = r.attr(path, "Ccy");
  if (currency === undefined)
    throw r.fail(path, "has no Ccy attribute", 'give the currency, e.g. <Amt Ccy="JPY">');
  const digits = currencyDigits(currency);
  if (digits !== undefined && /^\d+(\.\d+)?$/.test(amount) && fractionDigits(amount) > digits) {
    throw r.fail(
      path,
      `${amount} has more decimals than ${currency} allows (${digits})`,
      `write the amount with at most ${digits} decimals`,
    );
  }
  return { amount, currency };
}

const BOOLEAN: Record<string, boolean> = { true: true, "1": true, false: false, "0": false };

export interface Sese023Field {
  /** Ticket field (path). */
  readonly field: string;
  /** ISO 15022 tag of the same field, for the docs. */
  readonly tag: string;
  /** Element paths under `SctiesSttlmTxInstr` it reads and writes; `path@Attr` for an attribute. */
  readonly xml: readonly string[];
  readonly write: (trade: Trade, w: Writer) => void;
  readonly read: (r: Reader, draft: Draft) => void;
}

const PSET = ["DlvrgSttlmPties/Dpstry/Id/AnyBIC", "RcvgSttlmPties/Dpstry/Id/AnyBIC"];

/** A BIC at `path` ⇄ the ticket field `field`. */
function bic(field: string, tag: string, path: string): Sese023Field {
  return {
    field,
    tag,
    xml: [path],
    write: (t, w) => {
      const v = t[field as keyof Trade] as string | undefined;
      if (v !== undefined) w.set(path, v);
    },
    read: (r, d) => put(d, field, r.text(path)),
  };
}

/** Plain text at `path` ⇄ the ticket field `field` (a dotted path). */
function text(
  field: string,
  tag: string,
  path: string,
  get: (t: Trade) => string | undefined,
): Sese023Field {
  return {
    field,
    tag,
    xml: [path],
    write: (t, w) => {
      const v = get(t);
      if (v !== undefined) w.set(path, v);
    },
    read: (r, d) => put(d, field, r.text(path)),
  };
}

/** The mapping table, in the element order of sese.023. */
export const SESE023_FIELDS: readonly Sese023Field[] = [
  text("senderReference", "20C SEME", "TxId", (t) => t.senderReference),
  {
    field: "function",
    tag: "23G",
    xml: [],
    // A sese.023 is always a new instruction; a cancellation is a separate message (sese.020).
    write: (t) => {
      if (t.function !== "NEWM") {
        throw new Iso20022Error(`function ${t.function} has no sese.023 form`, {
          hint: "sese.023 carries new instructions (NEWM) only; a cancellation is sese.020",
        });
      }
    },
    read: (_r, d) => put(d, "function", "NEWM"),
  },
  text("direction", "22H REDE", "SttlmTpAndAddtlParams/SctiesMvmntTp", (t) => t.direction),
  text("payment", "22H PAYM", "SttlmTpAndAddtlParams/Pmt", (t) => t.payment),
  text("commonReference", "20C COMM", "SttlmTpAndAddtlParams/CmonId", (t) => t.commonReference),
  {
    field: "placeOfTrade",
    tag: "94B TRAD",
    xml: ["TradDtls/PlcOfTrad/MktTpAndId/Id/MktIdrCd", "TradDtls/PlcOfTrad/MktTpAndId/Tp/Cd"],
    write: (t, w) => {
      if (t.placeOfTrade === undefined) return;
      w.set("TradDtls/PlcOfTrad/MktTpAndId/Id/MktIdrCd", t.placeOfTrade);
      w.set("TradDtls/PlcOfTrad/MktTpAndId/Tp/Cd", "EXCH");
    },
    read: (r, d) => {
      const type = r.text("TradDtls/PlcOfTrad/MktTpAndId/Tp/Cd");
      if (type !== undefined && type !== "EXCH") {
        throw r.fail(
          "TradDtls/PlcOfTrad/MktTpAndId/Tp/Cd",
          `market type ${type} is not supported`,
          "the ticket's place of trade is an exchange MIC (EXCH)",
        );
      }
      put(d, "placeOfTrade", r.text("TradDtls/PlcOfTrad/MktTpAndId/Id/MktIdrCd"));
    },
  },
  text("tradeDate", "98A TRAD", "TradDtls/TradDt/Dt/Dt", (t) => t.tradeDate),
  text("settlementDate", "98A SETT", "TradDtls/SttlmDt/Dt/Dt", (t) => t.settlementDate),
  {
    field: "dealPrice",
    tag: "90a DEAL",
    xml: [
      "TradDtls/DealPric/Tp/Yldd",
      "TradDtls/DealPric/Val/Amt",
      "TradDtls/DealPric/Val/Amt@Ccy",
      "TradDtls/DealPric/Val/Rate",
    ],
    write: (t, w) => {
      const p = t.dealPrice;
      if (p === undefined) return;
      w.set("TradDtls/DealPric/Tp/Yldd", "false");
      if (p.type === "ACTU") w.set("TradDtls/DealPric/Val/Amt", p.amount, { Ccy: p.currency! });
      else w.set("TradDtls/DealPric/Val/Rate", p.amount);
    },
    read: (r, d) => {
      if (r.node("TradDtls/DealPric") === undefined) return;
      const yielded = r.text("TradDtls/DealPric/Tp/Yldd");
      if (yielded !== undefined && BOOLEAN[yielded] !== false) {
        throw r.fail(
          "TradDtls/DealPric/Tp/Yldd",
          `${yielded}: a yield price is not supported`,
          "give the deal price as an amount or a percentage",
        );
      }
      const amount = readAmount(r, "TradDtls/DealPric/Val/Amt");
      const rate = r.text("TradDtls/DealPric/Val/Rate");
      if (amount !== undefined && rate !== undefined) {
        throw r.fail("TradDtls/DealPric/Val", "gives both Amt and Rate; it is a choice of one");
      }
      if (amount !== undefined)
        put(d, "dealPrice", { type: "ACTU", amount: amount.amount, currency: amount.currency });
      else if (rate !== undefined) put(d, "dealPrice", { type: "PRCT", amount: rate });
      else throw r.fail("TradDtls/DealPric/Val", "is required: give Amt or Rate");
    },
  },
  text("isin", "35B", "FinInstrmId/ISIN", (t) => t.isin),
  text("instrumentDescription", "35B", "FinInstrmId/Desc", (t) => t.instrumentDescription),
  {
    field: "quantity",
    tag: "36B SETT",
    xml: ["QtyAndAcctDtls/SttlmQty/Qty/Unit", "QtyAndAcctDtls/SttlmQty/Qty/FaceAmt"],
    write: (t, w) =>
      w.set(
        `QtyAndAcctDtls/SttlmQty/Qty/${t.quantity.type === "UNIT" ? "Unit" : "FaceAmt"}`,
        t.quantity.amount,
      ),
    read: (r, d) => {
      const unit = r.text("QtyAndAcctDtls/SttlmQty/Qty/Unit");
      const face = r.text("QtyAndAcctDtls/SttlmQty/Qty/FaceAmt");
      if (unit !== undefined && face !== undefined) {
        throw r.fail(
          "QtyAndAcctDtls/SttlmQty/Qty",
          "gives both Unit and FaceAmt; it is a choice of one",
        );
      }
      if (unit !== undefined) put(d, "quantity", { type: "UNIT", amount: unit });
      if (face !== undefined) put(d, "quantity", { type: "FAMT", amount: face });
    },
  },
  text(
    "safekeepingAccount",
    "97A SAFE",
    "QtyAndAcctDtls/SfkpgAcct/Id",
    (t) => t.safekeepingAccount,
  ),
  {
    field: "settlementParameters.hold",
    tag: "SttlmParams HldInd",
    xml: ["SttlmParams/HldInd/Ind"],
    write: (t, w) => {
      const hold = t.settlementParameters?.hold;
      if (hold !== undefined) w.set("SttlmParams/HldInd/Ind", String(hold));
    },
    read: (r, d) => {
      const value = r.text("SttlmParams/HldInd/Ind");
      if (value === undefined) return;
      if (!(value in BOOLEAN))
        throw r.fail("SttlmParams/HldInd/Ind", `${value} is not true or false`);
      put(d, "settlementParameters.hold", BOOLEAN[value]);
    },
  },
  text(
    "settlementParameters.transactionType",
    "22F SETR",
    "SttlmParams/SctiesTxTp/Cd",
    (t) => t.settlementParameters?.transactionType,
  ),
  text(
    "settlementParameters.partialSettlement",
    "22F STCO",
    "SttlmParams/PrtlSttlmInd",
    (t) => t.settlementParameters?.partialSettlement,
  ),
  {
    field: "placeOfSettlement",
    tag: "95P PSET",
    xml: PSET,
    // Written on both sides, as T2S requires; read from either, and both must agree.
    write: (t, w) => PSET.forEach((path) => w.set(path, t.placeOfSettlement)),
    read: (r, d) => {
      const [delivering, receiving] = PSET.map((path) => r.text(path));
      if (delivering !== undefined && receiving !== undefined && delivering !== receiving) {
        throw r.fail(
          PSET[1],
          `depository ${receiving} differs from the delivering side's ${delivering}`,
          "cross-CSD settlement is not supported: give one place of settlement",
        );
      }
      put(d, "placeOfSettlement", delivering ?? receiving);
    },
  },
  bic("deliveringAgent", "95P DEAG", "DlvrgSttlmPties/Pty1/Id/AnyBIC"),
  bic("seller", "95P SELL", "DlvrgSttlmPties/Pty2/Id/AnyBIC"),
  bic("receivingAgent", "95P REAG", "RcvgSttlmPties/Pty1/Id/AnyBIC"),
  bic("buyer", "95P BUYR", "RcvgSttlmPties/Pty2/Id/AnyBIC"),
  {
    field: "settlementAmount",
    tag: "19A SETT",
    xml: ["SttlmAmt/Amt", "SttlmAmt/Amt@Ccy", "SttlmAmt/CdtDbtInd"],
    write: (t, w) => {
      const a = t.settlementAmount;
      if (a === undefined) return;
      w.set("SttlmAmt/Amt", a.amount, { Ccy: a.currency });
      // The receiver of the securities pays (debit); the deliverer is paid (credit).
      w.set("SttlmAmt/CdtDbtInd", t.direction === "RECE" ? "DBIT" : "CRDT");
    },
    read: (r, d) => {
      const amount = readAmount(r, "SttlmAmt/Amt");
      if (amount === undefined) {
        if (r.node("SttlmAmt") !== undefined) throw r.fail("SttlmAmt/Amt", "is required");
        return;
      }
      const indicator = r.text("SttlmAmt/CdtDbtInd");
      const expected =
        d.direction === "RECE" ? "DBIT" : d.direction === "DELI" ? "CRDT" : undefined;
      if (indicator === undefined)
        throw r.fail("SttlmAmt/CdtDbtInd", "is required", `give ${expected ?? "DBIT or CRDT"}`);
      if (expected !== undefined && indicator !== expected) {
        throw r.fail(
          "SttlmAmt/CdtDbtInd",
          `${indicator} contradicts SctiesMvmntTp ${String(d.direction)}`,
          `a ${d.direction === "RECE" ? "receiver pays: DBIT" : "deliverer is paid: CRDT"}`,
        );
      }
      put(d, "settlementAmount", { amount: amount.amount, currency: amount.currency });
    },
  },
];

/** Every element path the table knows, with its ancestors, and the attributes it reads. */
const KNOWN_ELEMENTS = new Set<string>();
const KNOWN_ATTRIBUTES = new Set<string>();
for (const row of SESE023_FIELDS) {
  for (const path of row.xml) {
    const [element, attribute] = path.split("@");
    if (attribute !== undefined) KNOWN_ATTRIBUTES.add(path);
    const names = element.split("/");
    for (let i = 1; i <= names.length; i++) KNOWN_ELEMENTS.add(names.slice(0, i).join("/"));
  }
}
const LEAVES = new Set(SESE023_FIELDS.flatMap((row) => row.xml.map((p) => p.split("@")[0])));

/** Refuses any element or attribute the table does not map: nothing is silently dropped. */
function assertAllKnown(node: XmlNode, path: string, r: Reader): void {
  if (typeof node === "string") {
    if (path !== "" && !LEAVES.has(path) && node !== "")
      throw r.fail(path, "holds text where elements are expected");
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "#text") {
      if (!LEAVES.has(path)) throw r.fail(path, "holds text where elements are expected");
      continue;
    }
    if (key.startsWith("@_")) {
      if (!KNOWN_ATTRIBUTES.has(`${path}@${key.slice(2)}`)) {
        throw r.fail(
          path,
          `unsupported attribute ${key.slice(2)}`,
          "the ticket has no field for it",
        );
      }
      continue;
    }
    const child = path === "" ? key : `${path}/${key}`;
    if (!KNOWN_ELEMENTS.has(child)) {
      throw r.fail(
        child,
        "unsupported element: the ticket has no field for it",
        "remove it, or settle this instruction outside the registry",
      );
    }
    for (const item of value as XmlNode[]) assertAllKnown(item, child, r);
  }
}

/** The element path(s) of a ticket field, for error messages. */
export function sese023PathOf(field: string): string | undefined {
  const row = SESE023_FIELDS.find((f) => field === f.field || field.startsWith(`${f.field}.`));
  return row === undefined || row.xml.length === 0
    ? undefined
    : `${SESE023.element}/${row.xml[0].split("@")[0]}`;
}

/**
 * Parses a sese.023 message into a validated ticket trade. Throws an {@link Iso20022Error} for a
 * message that is not a readable sese.023 or holds an unsupported element, and a
 * {@link TicketValidationError} (each issue naming the element and the ticket field) for values
 * the ticket schema refuses.
 */
export function parseSese023(text: string, source = "sese.023", maxBytes?: number): Trade {
  const { body } = parseMessage(text, SESE023, source, maxBytes);
  const r = new Reader(body, source);
  assertAllKnown(body, "", r);
  const draft: Draft = {};
  for (const row of SESE023_FIELDS) row.read(r, draft);
  try {
    return parseTrade(draft);
  } catch (error) {
    if (!(error instanceof TicketValidationError)) throw error;
    const issues = error.issues.map((issue) => {
      const field = issue.slice(0, issue.indexOf(":"));
      const path = sese023PathOf(field);
      return path === undefined ? issue : `${path} (${issue}`.replace(/^([^(]*\([^:]*):/, "$1):");
    });
    throw new TicketValidationError(issues, { hint: `correct ${source}` });
  }
}

/** The sese.023 XML of a ticket trade (written as sese.023.001.09). */
export function buildSese023(trade: Trade): string {
  const w = new Writer();
  for (const row of SESE023_FIELDS) row.write(trade, w);
  return buildMessage(namespaceOf(SESE023.name, SESE023_VERSION), SESE023.element, w.tree);
}
