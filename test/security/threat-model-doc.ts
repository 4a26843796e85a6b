/**
 * docs/threat-model.md may not drift from the tests: every test it names (`file` › "title") must
 * exist in that file, every claim must name one, and every test of ./claims.ts must back a claim
 * or a stated limit. A renamed or deleted test, or a claim written without its test, fails here.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DOC = "docs/threat-model.md";
const ADVERSARIES = [
  "Outsider",
  "Consortium admin / operator",
  "Route party",
  "Node operator",
  "Store-server operator",
  "Network attacker",
];

/** A test named by the document. */
interface Reference {
  file: string;
  title: string;
}

/** `file` › "title", as the document writes each reference. */
const REFERENCE = /`(test\/[^`]+?\.(?:ts|sol))` › "([^"]+)"/g;

function references(text: string): Reference[] {
  return [...text.matchAll(REFERENCE)].map((m) => ({ file: m[1], title: m[2] }));
}

/** The titles of the `it(...)` calls of a TypeScript test file (literal titles only). */
function mochaTitles(source: string): Set<string> {
  const titles = new Set<string>();
  const call = /\bit\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`((?:[^`\\$]|\\.)*)`)/g;
  for (const m of source.matchAll(call)) {
    if (m[1] !== undefined) titles.add(JSON.parse(`"${m[1]}"`) as string);
    else titles.add((m[2] ?? m[3]).replace(/\\(.)/g, "$1"));
  }
  return titles;
}

/** The test functions of a Solidity test contract. */
const solidityTests = (source: string): Set<string> =>
  new Set([...source.matchAll(/\bfunction\s+((?:test|invariant)\w*)\s*\(/g)].map((m) => m[1]));

/** The claims: each `- ` item under a `### ` heading of `## Claims`, by adversary. */
function claims(text: string): Map<string, string[]> {
  const start = text.indexOf("\n## Claims\n");
  if (start < 0) return new Map();
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  const out = new Map<string, string[]>();
  let heading: string | undefined;
  for (const line of section.split("\n")) {
    if (line.startsWith("### ")) {
      heading = line.slice(4).trim();
      out.set(heading, []);
    } else if (line.startsWith("- ") && heading !== undefined) {
      out.get(heading)!.push(line);
    } else if (line.startsWith("  ") && heading !== undefined && out.get(heading)!.length > 0) {
      const items = out.get(heading)!;
      items[items.length - 1] += ` ${line.trim()}`;
    }
  }
  return out;
}

/** The references of `text` that name no test of their file, each as `file › title`. */
function missing(text: string, read: (file: string) => string | undefined): string[] {
  const out: string[] = [];
  const cache = new Map<string, Set<string> | undefined>();
  for (const { file, title } of references(text)) {
    if (!cache.has(file)) {
      const source = read(file);
      cache.set(
        file,
        source === undefined
          ? undefined
          : file.endsWith(".sol")
            ? solidityTests(source)
            : mochaTitles(source),
      );
    }
    if (!cache.get(file)?.has(title)) out.push(`${file} › ${title}`);
  }
  return out;
}

const readRepoFile = (file: string) =>
  existsSync(`${ROOT}${file}`) ? readFileSync(`${ROOT}${file}`, "utf8") : undefined;

describe("docs/threat-model.md names only tests that exist", function () {
  const text = readFileSync(`${ROOT}${DOC}`, "utf8");

  it("names at least one test per claim, under a heading per adversary", function () {
    const byAdversary = claims(text);
    expect([...byAdversary.keys()].map((h) => h.split(" (")[0].split(":")[0])).to.deep.equal(
      ADVERSARIES,
    );
    for (const [adversary, items] of byAdversary) {
      expect(items, adversary).to.not.be.empty;
      for (const item of items) {
        expect(references(item), `claim without a test: ${item.slice(0, 100)}`).to.not.be.empty;
      }
    }
  });

  it("finds every named test, by its exact title, in the file it names", function () {
    expect(references(text).length).to.be.greaterThan(50);
    expect(missing(text, readRepoFile)).to.deep.equal([]);
  });

  it("backs a claim or a stated limit with every test of test/security/claims.ts", function () {
    const named = new Set(
      references(text)
        .filter((r) => r.file === "test/security/claims.ts")
        .map((r) => r.title),
    );
    const written = [...mochaTitles(readRepoFile("test/security/claims.ts")!)];
    expect(written).to.not.be.empty;
    expect(written.filter((t) => !named.has(t))).to.deep.equal([]);
  });

  it("fails on a renamed test, a missing file and a claim without a test", function () {
    const doc = [
      "## Claims",
      "### Outsider",
      '- A claim. — `test/security/claims.ts` › "no such test"',
      '- Another. — `test/security/no-such-file.ts` › "anything"',
      "- A claim with no test.",
      "## Next",
    ].join("\n");
    expect(missing(doc, readRepoFile)).to.deep.equal([
      "test/security/claims.ts › no such test",
      "test/security/no-such-file.ts › anything",
    ]);
    const items = claims(`\n${doc}`).get("Outsider")!;
    expect(items.map((i) => references(i).length)).to.deep.equal([1, 1, 0]);
    expect(mochaTitles('it(\n  "a \\"quoted\\" title",\n')).to.deep.equal(
      new Set(['a "quoted" title']),
    );
    expect(solidityTests("function testFuzz_x(uint256 n) public {")).to.deep.equal(
      new Set(["testFuzz_x"]),
    );
  });
});
