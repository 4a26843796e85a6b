import { expect } from "chai";

import { InputError } from "../../lib/errors.js";
import { buildSese024, parseSese024 } from "../../lib/iso20022/sese024.js";
import { Iso20022Error } from "../../lib/iso20022/xml.js";

describe("sese.024 status advice", function () {
  it("puts each reason in its status block, the block repeating per reason", function () {
    const xml = buildSese024({
      senderReference: "AM-20240513-001",
      ticketId: "T-7KQ4-M2XD-9PWA",
      status: "NG",
      reasons: [
        {
          qualifier: "NMAT",
          code: "DDAT",
          narrative: "settlementDate: ticket 2024-05-15, ours 2024-05-16",
        },
        { qualifier: "NMAT", code: "ICAG" },
        { qualifier: "PEND", code: "MONY" },
        { qualifier: "REJT", code: "X001", scheme: "JASDEC" },
      ],
      narrative: "please amend the settlement date",
    });
    expect(xml).to.contain('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:sese.024.001.10">');
    expect(xml.match(/<Rsn>/g)).to.have.length(4);
    expect(xml).to.match(/<MtchgSts>\s*<Umtchd>\s*<Rsn>\s*<Cd>\s*<Cd>DDAT<\/Cd>/);
    expect(xml).to.match(/<SttlmSts>\s*<Pdg>\s*<Rsn>\s*<Cd>\s*<Cd>MONY<\/Cd>/);
    expect(xml).to.match(
      /<PrcgSts>\s*<Rjctd>\s*<Rsn>\s*<Cd>\s*<Prtry>\s*<Id>X001<\/Id>\s*<Issr>JASDEC<\/Issr>/,
    );
    const back = parseSese024(xml);
    expect(back.senderReference).to.equal("AM-20240513-001");
    expect(back.ticketId).to.equal("T-7KQ4-M2XD-9PWA");
    expect(back.status).to.equal("NG");
    expect(back.reasons.map((r) => `${r.qualifier}/${r.code}:${r.narrative}`)).to.deep.equal([
      "REJT/X001:please amend the settlement date",
      "NMAT/DDAT:settlementDate: ticket 2024-05-15, ours 2024-05-16",
      "NMAT/ICAG:please amend the settlement date",
      "PEND/MONY:please amend the settlement date",
    ]);
  });

  it("writes OK as accepted and matched, with the narrative", function () {
    const xml = buildSese024({
      senderReference: "NMR-240513-0042",
      status: "OK",
      reasons: [],
      narrative: "securities checked",
    });
    expect(xml).to.match(/<AckdAccptd>\s*<NoSpcfdRsn>NORE<\/NoSpcfdRsn>/);
    expect(parseSese024(xml)).to.deep.equal({
      senderReference: "NMR-240513-0042",
      status: "OK",
      reasons: [],
      narrative: "securities checked",
    });
  });

  it("failing after the settlement date is SttlmSts/Flng", function () {
    const xml = buildSese024({
      senderReference: "A",
      status: "NG",
      reasons: [{ qualifier: "PENF", code: "LACK" }],
    });
    expect(xml).to.match(/<SttlmSts>\s*<Flng>\s*<Rsn>\s*<Cd>\s*<Cd>LACK<\/Cd>/);
  });

  it("cuts a narrative to the 210 characters of AddtlRsnInf", function () {
    const xml = buildSese024({
      senderReference: "A",
      status: "NG",
      reasons: [{ qualifier: "NMAT", code: "DDAT" }],
      narrative: "x".repeat(500),
    });
    expect(parseSese024(xml).reasons[0].narrative).to.have.length(210);
  });

  it("refuses an inconsistent advice", function () {
    expect(() =>
      buildSese024({
        senderReference: "A",
        status: "OK",
        reasons: [{ qualifier: "NMAT", code: "DDAT" }],
      }),
    ).to.throw(Iso20022Error, /an OK status advice carries no reasons/);
    expect(() => buildSese024({ senderReference: "A", status: "NG", reasons: [] })).to.throw(
      Iso20022Error,
      /needs at least one reason/,
    );
    expect(() =>
      buildSese024({
        senderReference: "A",
        status: "NG",
        reasons: [
          { qualifier: "PEND", code: "MONY" },
          { qualifier: "PENF", code: "LACK" },
        ],
      }),
    ).to.throw(Iso20022Error, "a status advice is pending (PEND) or failing (PENF), not both");
    expect(() =>
      buildSese024({
        senderReference: "A",
        status: "NG",
        reasons: [{ qualifier: "REJT", code: "ULNK" }],
      }),
    ).to.throw(InputError, /"ULNK" is not an ISO REJT code/);
  });

  it("reads only sese.024", function () {
    const xml = buildSese024({ senderReference: "A", status: "OK", reasons: [] });
    expect(() => parseSese024(xml.replace("sese.024.001.10", "sese.023.001.09"), "s.xml")).to.throw(
      Iso20022Error,
      "s.xml: is a sese.023 message, not sese.024",
    );
  });
});

describe("sese.024 from a check result", function () {
  it("takes the check's proposal and reasons as they are", async function () {
    const { runCheck } = await import("../../lib/matching/check.js");
    const { scenario } = await import("../matching/fixtures.js");
    const s = await scenario();
    const binding = {
      id: "T-7KQ4-M2XD-9PWA",
      ticketKey: "0x" + "ab".repeat(32),
      version: 1,
      tradeCommitment: "0x" + "cd".repeat(32),
    };
    const result = await runCheck({
      binding,
      party: "csd",
      trade: s.ticket,
      own: s.csd,
      side: "counterparty",
    });
    const xml = buildSese024({
      senderReference: s.ticket.senderReference,
      ticketId: binding.id,
      status: result.proposal,
      reasons: result.reasons,
    });
    expect(parseSese024(xml).reasons).to.deep.equal([
      {
        qualifier: "NMAT",
        code: "DDAT",
        narrative: "settlementDate: ticket 2024-05-15, ours 2024-05-16",
        meaning: "settlement date differs",
      },
    ]);
  });
});
