import { expect } from "chai";

import { OtherTradeError } from "../../lib/matching/errors.js";
import { inferSide, matchInstruction } from "../../lib/matching/match.js";
import { MATCHING_RULES } from "../../lib/matching/rules.js";
import { amountTolerance } from "../../lib/matching/tolerance.js";
import type { Trade } from "../../lib/ticket/schema.js";
import { scenario, varied, type Scenario } from "./fixtures.js";

describe("matching an instruction with the ticket", function () {
  let s: Scenario;
  before(async function () {
    s = await scenario();
  });

  const codes = (ticket: Trade, own: Trade, side: "counterparty" | "same-side" = "counterparty") =>
    matchInstruction(ticket, own, side).mismatches.map((m) => `${m.field}:${m.code}`);

  it("matches the custodian's own-side instruction on every field", function () {
    const report = matchInstruction(s.ticket, s.custodian, "same-side");
    expect(report.matched).to.equal(true);
    expect(report.rows.map((r) => r.status)).to.not.include("mismatch");
    expect(report.rows.find((r) => r.field === "safekeepingAccount")!.status).to.equal("match");
  });

  it("matches the securities firm's delivery, its own account not compared", function () {
    const report = matchInstruction(s.ticket, s.securitiesFirm, "counterparty");
    expect(report.matched).to.equal(true);
    const account = report.rows.find((r) => r.field === "safekeepingAccount")!;
    expect(account.status).to.equal("not-compared");
  });

  it("gives the CSD's instruction one mismatch: the settlement date, NMAT/DDAT, both values", function () {
    const report = matchInstruction(s.ticket, s.csd, "counterparty");
    expect(report.matched).to.equal(false);
    expect(report.mismatches).to.deep.equal([
      {
        field: "settlementDate",
        tag: "98A SETT",
        ticket: "2024-05-15",
        own: "2024-05-16",
        qualifier: "NMAT",
        code: "DDAT",
        meaning: "settlement date differs",
      },
    ]);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ["ISIN", { isin: "JP3435000009" }, ["isin:DSEC"]],
    ["quantity", { "quantity.amount": "1001" }, ["quantity:DQUA"]],
    ["quantity type", { "quantity.type": "FAMT" }, ["quantity:DQUA"]],
    ["trade date", { tradeDate: "2024-05-14" }, ["tradeDate:DTRD"]],
    ["direction", { direction: "RECE" }, ["direction:DELN"]],
    ["payment", { payment: "FREE", settlementAmount: undefined }, ["payment:FRAP"]],
    ["currency", { "settlementAmount.currency": "USD" }, ["settlementAmount.currency:NCRR"]],
    ["place of settlement", { placeOfSettlement: "DTCYUS33" }, ["placeOfSettlement:DEPT"]],
    ["delivering agent", { deliveringAgent: "MHCBJPJT" }, ["deliveringAgent:ICAG"]],
    ["deal price", { "dealPrice.amount": "3406" }, ["dealPrice:DDEA"]],
    ["common reference", { commonReference: "TKY240513A78" }, ["commonReference:IIND"]],
    ["place of trade", { placeOfTrade: "XOSE" }, ["placeOfTrade:PLCE"]],
    [
      "transaction type",
      { "settlementParameters.transactionType": "SECL" },
      ["settlementParameters.transactionType:SETR"],
    ],
    [
      "settlement date and quantity",
      { settlementDate: "2024-05-16", "quantity.amount": "900" },
      ["quantity:DQUA", "settlementDate:DDAT"],
    ],
  ];
  for (const [what, changes, expected] of cases) {
    it(`names a differing ${what} with its ISO code`, function () {
      expect(codes(s.ticket, varied(s.securitiesFirm, changes))).to.deep.equal(expected);
    });
  }

  it("names a differing client of party 1 (seller) as ICUS when both give one", function () {
    const ticket = varied(s.ticket, { seller: "MHCBJPJT" });
    expect(codes(ticket, varied(s.securitiesFirm, { seller: "SMBCJPJT" }))).to.deep.equal([
      "seller:ICUS",
    ]);
  });

  it("names a differing safekeeping account as SAFE for a same-side instruction", function () {
    expect(
      codes(s.ticket, varied(s.custodian, { safekeepingAccount: "1234567-002" }), "same-side"),
    ).to.deep.equal(["safekeepingAccount:SAFE"]);
  });

  it("does not compare an optional field that only one side gives", function () {
    const own = varied(s.securitiesFirm, {
      dealPrice: undefined,
      placeOfTrade: undefined,
      commonReference: undefined,
    });
    const report = matchInstruction(s.ticket, own, "counterparty");
    expect(report.matched).to.equal(true);
    expect(report.rows.find((r) => r.field === "dealPrice")!.note).to.equal(
      "given by one side only",
    );
  });

  describe("settlement amount tolerance", function () {
    const amount = (ticketAmount: string, ownAmount: string, currency = "JPY") => {
      const ticket = varied(s.ticket, { settlementAmount: { amount: ticketAmount, currency } });
      const own = varied(s.securitiesFirm, { settlementAmount: { amount: ownAmount, currency } });
      return matchInstruction(ticket, own, "counterparty").rows.find(
        (r) => r.field === "settlementAmount.amount",
      )!;
    };

    it("EUR: 2 at or below 100,000, 25 above", function () {
      expect(amount("99990", "99992", "EUR").status).to.equal("within-tolerance");
      expect(amount("99990", "99992.01", "EUR").status).to.equal("mismatch");
      expect(amount("99998", "100000", "EUR").status).to.equal("within-tolerance");
      expect(amount("200000", "200025", "EUR").status).to.equal("within-tolerance");
      expect(amount("200000", "200025.01", "EUR").status).to.equal("mismatch");
    });

    it("chooses the band by the larger amount, whatever the order", function () {
      expect(amount("99990", "100010", "EUR").status).to.equal("within-tolerance");
      expect(amount("100010", "99990", "EUR").status).to.equal("within-tolerance");
    });

    it("JPY: 300 at or below 16,000,000, 4,000 above; the mismatch says by how much", function () {
      expect(amount("3405000", "3405300").status).to.equal("within-tolerance");
      const row = amount("3405000", "3405301");
      expect(row.status).to.equal("mismatch");
      expect(row.code).to.equal("DMON");
      expect(row.note).to.match(/^differs by 301; tolerance 300 JPY at or below 16000000 JPY/);
      expect(amount("20000000", "20004000").status).to.equal("within-tolerance");
    });

    it("a currency without a row matches exactly", function () {
      expect(amountTolerance("AUD", "100", "100").amount).to.equal("0");
      expect(amount("100000", "100001", "AUD").status).to.equal("mismatch");
      expect(amount("100000", "100000.00", "AUD").status).to.equal("match");
    });
  });

  describe("an instruction for another trade", function () {
    it("is one error for a counterparty instruction with another ISIN and other economics", function () {
      const other = varied(s.securitiesFirm, {
        isin: "JP3435000009",
        tradeDate: "2024-05-10",
        "quantity.amount": "500",
        settlementAmount: { amount: "6500000", currency: "JPY" },
      });
      expect(() => matchInstruction(s.ticket, other, "counterparty"))
        .to.throw(OtherTradeError)
        .with.property(
          "shortMessage",
          "instruction NMR-240513-0042 is for another trade than the ticket (AM-20240513-001)",
        );
    });

    it("is one error for a same-side instruction with another sender's reference", function () {
      const other = varied(s.custodian, { senderReference: "AM-20240513-002" });
      expect(() => matchInstruction(s.ticket, other, "same-side")).to.throw(
        OtherTradeError,
        /AM-20240513-002 is for another trade/,
      );
    });
  });

  it("infers the side from the sender's reference, never from the direction", function () {
    expect(inferSide(s.ticket, s.custodian)).to.equal("same-side");
    expect(inferSide(s.ticket, s.securitiesFirm)).to.equal("counterparty");
    expect(inferSide(s.ticket, varied(s.securitiesFirm, { direction: "RECE" }))).to.equal(
      "counterparty",
    );
  });

  it("has one rule per matched field, each with a reason the vocabulary knows", async function () {
    const { REASON_CODES } = await import("../../lib/reasons.js");
    for (const rule of MATCHING_RULES)
      expect(REASON_CODES.NMAT, rule.field).to.have.property(rule.code);
    expect(new Set(MATCHING_RULES.map((r) => r.field)).size).to.equal(MATCHING_RULES.length);
  });
});
