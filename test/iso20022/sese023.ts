import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { InputError, TicketValidationError } from "../../lib/errors.js";
import { parseInstruction, readInstructionFile } from "../../lib/iso20022/instruction.js";
import { buildSese023, parseSese023, SESE023_FIELDS } from "../../lib/iso20022/sese023.js";
import { Iso20022Error, MAX_MESSAGE_BYTES } from "../../lib/iso20022/xml.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import type { Trade } from "../../lib/ticket/schema.js";
import { EXAMPLES, varied } from "../matching/fixtures.js";

describe("sese.023 ⇄ ticket", function () {
  let xml: string;
  let trade: Trade;
  before(async function () {
    xml = await readFile(`${EXAMPLES}dvp-japanese-equity-buy.sese023.xml`, "utf8");
    trade = await readTradeFile(`${EXAMPLES}dvp-japanese-equity-buy.json`);
  });

  it("reads the scenario's sese.023 as the scenario ticket", function () {
    expect(parseSese023(xml)).to.deep.equal(trade);
  });

  it("round-trips sese.023 → ticket → sese.023 byte for byte", function () {
    expect(buildSese023(parseSese023(xml))).to.equal(xml);
  });

  it("round-trips every supported field, each choice of each", function () {
    const full = varied(trade, {
      seller: "MHCBJPJT",
      buyer: "SMBCJPJT",
      settlementParameters: { transactionType: "SECL", partialSettlement: "PART", hold: true },
    });
    const variants: Trade[] = [
      full,
      varied(full, {
        quantity: { type: "FAMT", amount: "500000.5" },
        dealPrice: { type: "PRCT", amount: "99.125" },
      }),
      varied(full, { "settlementParameters.hold": false }),
      varied(full, { direction: "DELI" }),
    ];
    for (const variant of variants) {
      const message = buildSese023(variant);
      expect(parseSese023(message)).to.deep.equal(variant);
      expect(buildSese023(parseSese023(message))).to.equal(message);
    }
    // The table covers every ticket field: the full variant writes them all.
    const fields = new Set(SESE023_FIELDS.map((f) => f.field.split(".")[0]));
    for (const key of Object.keys(full)) expect(fields, key).to.include(key);
  });

  it("round-trips a free-of-payment ticket with no optional fields", async function () {
    const fop = await readTradeFile(`${EXAMPLES}fop-japanese-equity-delivery.json`);
    expect(parseSese023(buildSese023(fop))).to.deep.equal(fop);
  });

  it("reads a message with a namespace prefix", function () {
    const prefixed = xml.replace(/<(\/?)(\w)/g, "<$1s:$2").replace(' xmlns="', ' xmlns:s="');
    expect(parseSese023(prefixed)).to.deep.equal(trade);
  });

  describe("bad input is one clear error", function () {
    const bad = (text: string, type: new (...a: never[]) => Error, message: RegExp | string) =>
      expect(() => parseSese023(text, "x.xml")).to.throw(type, message);

    it("not XML, empty, truncated", function () {
      bad("", Iso20022Error, "x.xml: is empty");
      bad("<Document", Iso20022Error, /x\.xml: not well-formed XML at line 1/);
      bad(
        xml.slice(0, xml.indexOf("</Desc>")),
        Iso20022Error,
        "x.xml: truncated: the document ends with Document/SctiesSttlmTxInstr/FinInstrmId/Desc still open",
      );
      bad(
        xml.slice(0, xml.length - 20),
        Iso20022Error,
        /x\.xml: not well-formed XML at line \d+, column \d+ \(truncated\?\)/,
      );
      bad(
        "<Document><a></b></Document>",
        Iso20022Error,
        /x\.xml: not well-formed XML at line 1, column \d+: /,
      );
    });

    it("huge", function () {
      const huge = xml.replace("<TxId>", `<!--${"x".repeat(MAX_MESSAGE_BYTES)}--><TxId>`);
      bad(
        huge,
        Iso20022Error,
        /x\.xml: \d+ bytes is more than a sese\.023 message may have \(262144\)/,
      );
    });

    it("a DOCTYPE (entity expansion)", function () {
      bad(
        `<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>${xml.slice(xml.indexOf("<Document"))}`,
        Iso20022Error,
        /has a DOCTYPE/,
      );
    });

    it("the wrong namespace, another message, an unsupported version, no namespace", function () {
      bad(
        xml.replace("urn:iso:std:iso:20022:tech:xsd:sese.023.001.09", "urn:example:sese"),
        Iso20022Error,
        "x.xml: namespace urn:example:sese is not an ISO 20022 message namespace",
      );
      bad(
        xml.replace("sese.023.001.09", "sese.024.001.10"),
        Iso20022Error,
        "x.xml: is a sese.024 message, not sese.023",
      );
      bad(
        xml.replace("sese.023.001.09", "sese.023.001.02"),
        Iso20022Error,
        "x.xml: version sese.023.001.02 is not supported",
      );
      bad(xml.replace(/ xmlns="[^"]*"/, ""), Iso20022Error, "x.xml: Document has no namespace");
    });

    it("a Document holding another message, another root", function () {
      bad(
        xml.replaceAll("SctiesSttlmTxInstr", "SctiesSttlmTxStsAdvc"),
        Iso20022Error,
        "x.xml: Document holds SctiesSttlmTxStsAdvc, not SctiesSttlmTxInstr: not a sese.023 message",
      );
      bad(
        '<AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"/>',
        Iso20022Error,
        /root element AppHdr is not an ISO 20022 Document/,
      );
    });

    it("an unsupported element, named, never dropped", function () {
      bad(
        xml.replace("<TradDtls>", "<Lnkgs><Ref>X</Ref></Lnkgs><TradDtls>"),
        Iso20022Error,
        /x\.xml: SctiesSttlmTxInstr\/Lnkgs: unsupported element/,
      );
      bad(
        xml.replace("<Unit>1000</Unit>", "<AmtsdVal>1000</AmtsdVal>"),
        Iso20022Error,
        /SctiesSttlmTxInstr\/QtyAndAcctDtls\/SttlmQty\/Qty\/AmtsdVal: unsupported element/,
      );
      bad(
        xml.replace("<ISIN>", '<ISIN Src="x">'),
        Iso20022Error,
        /FinInstrmId\/ISIN: unsupported attribute Src/,
      );
      bad(
        xml.replace(
          "<ISIN>JP3633400001</ISIN>",
          "<ISIN>JP3633400001</ISIN><ISIN>JP3633400001</ISIN>",
        ),
        Iso20022Error,
        /FinInstrmId\/ISIN: appears 2 times/,
      );
    });

    it("an element named like a JavaScript prototype member", function () {
      bad(
        xml.replace("<TradDtls>", "<__proto__><a>1</a></__proto__><TradDtls>"),
        Iso20022Error,
        /x\.xml: cannot be read: Invalid name: "__proto__"/,
      );
      const prefixed = xml.replace(/<(\/?)(\w)/g, "<$1s:$2").replace(' xmlns="', ' xmlns:s="');
      bad(
        prefixed.replace("<s:TradDtls>", "<s:__proto__/><s:TradDtls>"),
        Iso20022Error,
        /SctiesSttlmTxInstr\/__proto__: unsupported element/,
      );
    });

    it("an amount with more decimals than its currency allows", function () {
      bad(
        xml.replace(">3405000<", ">3405000.5<"),
        Iso20022Error,
        "x.xml: SctiesSttlmTxInstr/SttlmAmt/Amt: 3405000.5 has more decimals than JPY allows (0)",
      );
      bad(
        xml.replace(">3405<", ">3405.25<"),
        Iso20022Error,
        /DealPric\/Val\/Amt: 3405\.25 has more decimals than JPY allows/,
      );
    });

    it("a credit/debit indicator that contradicts the direction", function () {
      bad(
        xml.replace("DBIT", "CRDT"),
        Iso20022Error,
        /SttlmAmt\/CdtDbtInd: CRDT contradicts SctiesMvmntTp RECE/,
      );
    });

    it("two places of settlement", function () {
      bad(
        xml.replace(/(<RcvgSttlmPties>\s*<Dpstry>\s*<Id>\s*<AnyBIC>)JJSDJPJT/, "$1DTCYUS33"),
        Iso20022Error,
        /RcvgSttlmPties\/Dpstry\/Id\/AnyBIC: depository DTCYUS33 differs from the delivering side's JJSDJPJT/,
      );
    });

    it("a value the ticket schema refuses names the element and the field", function () {
      bad(
        xml.replace("JP3633400001", "JP3633400000"),
        TicketValidationError,
        'SctiesSttlmTxInstr/FinInstrmId/ISIN (isin): "JP3633400000" fails its check digit',
      );
      bad(
        xml.replace(/<TradDt>[\s\S]*?<\/TradDt>/, ""),
        TicketValidationError,
        "SctiesSttlmTxInstr/TradDtls/TradDt/Dt/Dt (tradeDate): is required",
      );
    });
  });

  it("refuses to write a cancellation as sese.023", function () {
    expect(() => buildSese023(varied(trade, { function: "CANC" }))).to.throw(
      Iso20022Error,
      "function CANC has no sese.023 form",
    );
  });

  describe("an instruction file: ticket JSON or sese.023", function () {
    it("tells them apart", async function () {
      expect(
        (await readInstructionFile(`${EXAMPLES}instructions/securities-firm.sese023.xml`)).format,
      ).to.equal("sese.023");
      const json = await readInstructionFile(`${EXAMPLES}instructions/securities-firm.json`);
      expect(json.format).to.equal("json");
      expect(
        (await readInstructionFile(`${EXAMPLES}instructions/securities-firm.sese023.xml`)).trade,
      ).to.deep.equal(json.trade);
    });

    it("names the file of a JSON instruction the schema refuses", function () {
      expect(() => parseInstruction('{"isin": "X"}', "own.json"))
        .to.throw(TicketValidationError)
        .with.property("details")
        .that.matches(/^in own\.json; /);
    });

    it("refuses anything else and a missing file", async function () {
      expect(() => parseInstruction("MT541", "i.txt")).to.throw(
        InputError,
        "i.txt: neither a JSON ticket nor sese.023 XML",
      );
      try {
        await readInstructionFile(`${EXAMPLES}none.xml`);
        expect.fail("expected an error");
      } catch (error) {
        expect((error as InputError).shortMessage).to.match(/none\.xml: no such file$/);
      }
    });
  });
});
