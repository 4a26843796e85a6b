import { writeFile } from "node:fs/promises";
import { extname } from "node:path";

import { exportStatusAdvices } from "../lib/app/export.js";
import { InputError } from "../lib/errors.js";
import { roleTask } from "../lib/cli/task.js";
import { required, type CommonArgs } from "../lib/cli/task-args.js";
import { formatReason } from "../lib/reasons.js";

interface Args extends CommonArgs {
  id: string;
  format: string;
  out: string;
}

const FORMATS = ["sese.024"] as const;

/** `advice.xml` → `advice.v2.xml`: one file per version. */
function versionFile(out: string, version: number): string {
  const ext = extname(out);
  return `${out.slice(0, out.length - ext.length)}.v${version}${ext === "" ? ".xml" : ext}`;
}

export default roleTask(async (args: Args, open) => {
  const format = required(args.format, "format", "sese.024");
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new InputError(`--format: "${format}" is not an export format`, {
      hint: `give ${FORMATS.join(", ")}`,
    });
  }
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const { app, out, actor } = await open();
  const { view, advices } = await exportStatusAdvices(app, actor, id);
  const written: Record<number, string> = {};
  for (const a of advices) {
    if (!("xml" in a) || args.out.trim() === "") continue;
    const file = versionFile(args.out.trim(), a.version);
    try {
      await writeFile(file, a.xml);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(`${file}: cannot write the status advice (${code ?? "error"})`, {
        hint: "give --out a file in a folder that exists and that you may write",
        cause: error,
      });
    }
    written[a.version] = file;
  }
  out.heading(`Status advice (${format}) of ${view.id}, as ${actor.party.name} reads it`);
  for (const a of advices) {
    if (!("xml" in a)) {
      out.line(`version ${a.version}: ${a.status}, no status advice (${a.note})`);
      continue;
    }
    const reasons = a.advice.reasons.map(formatReason).join(", ");
    out.line(
      `version ${a.version}: ${a.status}${reasons === "" ? "" : ` ${reasons}`} by ${a.by}` +
        (written[a.version] === undefined ? "" : ` → ${written[a.version]}`),
    );
    if (written[a.version] === undefined) out.line(a.xml);
  }
  const result = {
    id: view.id,
    format,
    advices: advices.map((a) =>
      "xml" in a
        ? {
            version: a.version,
            status: a.status,
            by: a.by,
            reasons: a.advice.reasons,
            narrative: a.advice.narrative,
            ...(written[a.version] === undefined ? { xml: a.xml } : { file: written[a.version] }),
          }
        : { version: a.version, status: a.status, note: a.note },
    ),
  };
  out.result(result);
  return result;
});
