import { expect } from "chai";

import { InputError } from "../../lib/errors.js";
import {
  formatReason,
  parseReason,
  parseReasons,
  pendingOrFailing,
  REASON_CODES,
} from "../../lib/reasons.js";

describe("the reason vocabulary", function () {
  it("a pre-settlement MONY or LACK is PEND, distinct from PENF", function () {
    expect(parseReason("MONY")).to.deep.equal({
      qualifier: "PEND",
      code: "MONY",
      meaning: "not enough money",
    });
    expect(parseReason("lack").qualifier).to.equal("PEND");
    expect(parseReason("PENF/MONY").qualifier).to.equal("PENF");
    expect(pendingOrFailing("2024-05-15", "2024-05-15")).to.equal("PEND");
    expect(pendingOrFailing("2024-05-15", "2024-05-16")).to.equal("PENF");
  });

  it("has the codes the lists define: ICAG, ICUS, IEXE, FRAP, NMAT/DTRD, NMAT/SAFE, REJT/DEPT, SETR, SETS, PODU", function () {
    for (const code of ["ICAG", "ICUS", "IEXE", "FRAP", "DTRD", "SAFE", "SETR", "SETS", "PODU"]) {
      expect(REASON_CODES.NMAT, code).to.have.property(code);
    }
    for (const code of ["DEPT", "ICAG", "ICUS", "IEXE", "SETR", "SETS"])
      expect(REASON_CODES.REJT, code).to.have.property(code);
    expect(parseReason("NMAT/DTRD").meaning).to.equal("trade date differs");
    expect(parseReason("REJT/DEPT").meaning).to.equal("invalid place of settlement (depository)");
  });

  it("refuses codes not in the lists: REJT/ULNK, REJT/NRGN, NMAT/INVE, PENF/FUTU", function () {
    for (const reason of ["REJT/ULNK", "REJT/NRGN", "NMAT/INVE", "PENF/FUTU"]) {
      expect(() => parseReason(reason), reason).to.throw(InputError, /is not an ISO/);
    }
    expect(parseReason("PEND/FUTU").meaning).to.equal("awaiting settlement date");
  });

  it("takes a proprietary code under a named data-source scheme", function () {
    const reason = parseReason("rejt/jasdec/x001");
    expect(reason).to.deep.equal({
      qualifier: "REJT",
      code: "X001",
      scheme: "JASDEC",
      meaning: "proprietary code of JASDEC",
    });
    expect(formatReason(reason)).to.equal("REJT/JASDEC/X001");
    expect(() => parseReason("REJT/TOOLONGSCHEME/X001")).to.throw(
      InputError,
      /scheme "TOOLONGSCHEME" is not 1 to 8/,
    );
    expect(() => parseReason("XXXX/JASDEC/X001")).to.throw(
      InputError,
      /qualifier "XXXX" is unknown/,
    );
  });

  it("reads several reasons, and refuses one given twice", function () {
    expect(parseReasons("NMAT/DDAT, PEND/MONY").map(formatReason)).to.deep.equal([
      "NMAT/DDAT",
      "PEND/MONY",
    ]);
    expect(() => parseReasons("DDAT,REJT/DDAT")).to.throw(
      InputError,
      "reason REJT/DDAT is given twice",
    );
    expect(() => parseReasons(" , ")).to.throw(InputError, "no reason code given");
  });

  it("keeps a code alone on REJT first, as before", function () {
    expect(parseReason("DDAT").qualifier).to.equal("REJT");
    expect(parseReason("CMIS").qualifier).to.equal("NMAT");
    expect(() => parseReason("ZZZZ")).to.throw(
      InputError,
      /not an ISO 15022\/20022 status reason code/,
    );
  });
});
