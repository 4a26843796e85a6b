import { requireKey } from "../lib/app/sealing.js";
import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";
import { checkEndpointUrl } from "../lib/delivery/endpoint.js";
import { recoverStore } from "../lib/delivery/replica.js";

export default roleTask(async (args: CommonArgs & { from: string }, open) => {
  const replicas =
    args.from.trim() === ""
      ? undefined
      : args.from
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "")
          .map(checkEndpointUrl);
  const { app, out, actor } = await open();
  requireKey(actor);
  const report = await recoverStore({
    registry: app.registry,
    store: app.store,
    me: { address: actor.party.address, keys: actor.keys },
    ticketKeys: actor.ids.all().map((t) => t.ticketKey),
    replicas,
  });
  out.ok(
    `${report.expected} set(s) on-chain for ${actor.party.name}: ${report.present} already held, ${report.fetched} fetched and verified, ${report.failed.length} missing`,
  );
  for (const f of report.failed) {
    out.warn(`${f.kind} v${f.version} of ${f.ticketKey.slice(0, 10)}…: ${f.error}`);
  }
  out.result(report);
  if (report.failed.length > 0) process.exitCode = 1;
  return report;
});
