import { rerouteTicket } from "../lib/app/tickets.js";
import { roleTask } from "../lib/cli/task.js";
import { parseRouteOption, required, type CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & { id: string; route: string }, open) => {
  const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
  const route = parseRouteOption(required(args.route, "route", "custodian-bank,csd"));
  const { app, out, actor } = await open();
  const result = await rerouteTicket(app, actor, id, route);
  out.ok(
    `ticket ${result.id} re-routed as version ${result.version}: ${result.route.map((p) => p.name).join(" → ")}`,
  );
  out.line("  approvals restart under fresh one-time addresses; earlier decisions no longer count");
  out.result({
    id: result.id,
    version: result.version,
    status: result.status,
    route: result.route.map((p) => ({ name: p.name, address: p.address })),
    txHash: result.txHash,
  });
  return result;
});
