import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs, open) => {
  const { app, out, actor } = await open();
  const report = (await app.delivery?.flush(actor.party.address)) ?? {
    outcomes: [],
    unpublished: [],
  };
  const delivered = report.outcomes.filter((o) => o.state === "delivered");
  await Promise.all(report.outcomes.map((o) => app.registry.party(o.recipient)));
  out.ok(`${delivered.length} of ${report.outcomes.length} pending set(s) delivered`);
  for (const o of report.outcomes.filter((x) => x.state !== "delivered")) {
    out.warn(
      `${o.kind} v${o.version} for ${app.registry.label(o.recipient)} still waits: ${o.error}`,
    );
  }
  out.result(report.outcomes);
  return report;
});
