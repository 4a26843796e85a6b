import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { SESE023_FIELDS } from "../../lib/iso20022/sese023.js";
import { MATCHING_RULES, NOT_MATCHED } from "../../lib/matching/rules.js";
import { AMOUNT_TOLERANCES } from "../../lib/matching/tolerance.js";
import { REASON_CODES } from "../../lib/reasons.js";

describe("docs/matching.md follows the tables in the code", function () {
  let doc: string;
  before(async function () {
    doc = await readFile(new URL("../../docs/matching.md", import.meta.url), "utf8");
  });

  it("lists every matching rule with its code, and every field not compared", function () {
    for (const rule of MATCHING_RULES) {
      expect(doc, rule.field).to.match(
        new RegExp(
          `\\| \`${rule.field.replace(".", "\\.")}\`[^\\n]*\\| ${rule.tag} +\\|[^\\n]*\\| ${rule.code} +\\|`,
        ),
      );
    }
    for (const field of Object.keys(NOT_MATCHED)) expect(doc).to.contain(`\`${field}\``);
  });

  it("lists every tolerance row and every sese.023 mapping row", function () {
    for (const [currency, band] of Object.entries(AMOUNT_TOLERANCES)) {
      expect(doc, currency).to.match(
        new RegExp(
          `\\| ${currency} +\\| ${band.threshold} +\\| ${band.atOrBelow} +\\| ${band.above} +\\|`,
        ),
      );
    }
    for (const row of SESE023_FIELDS)
      expect(doc, row.field).to.match(new RegExp(`\\| \`${row.field.replace(".", "\\.")}\` +\\|`));
  });

  it("lists every reason code under its qualifier", function () {
    for (const qualifier of ["NMAT", "PEND", "REJT"] as const) {
      const line = doc.split("\n").find((l) => l.startsWith(`| ${qualifier} `))!;
      for (const code of Object.keys(REASON_CODES[qualifier]))
        expect(line, `${qualifier}/${code}`).to.contain(code);
    }
  });
});
