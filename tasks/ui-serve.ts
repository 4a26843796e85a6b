import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";
import { createAdapter } from "../web/server/adapter.js";
import { buildAssets } from "../web/server/bundle.js";
import { startDashboard } from "../web/server/server.js";

export default roleTask(async (args: CommonArgs & { port: number; host: string }, open) => {
  const { app, out, actor } = await open();
  const dashboard = await startDashboard({
    port: createAdapter(app, actor),
    assets: await buildAssets(),
    host: args.host,
    listenPort: args.port,
    title: `Settlement registry (${app.networkName})`,
  });
  out.ok(`dashboard of ${actor.party.name} on ${app.networkName}: open ${dashboard.url}`);
  out.line(out.colors.dim("the address carries this session's key; Ctrl-C to stop"));
  out.result({ party: actor.party.name, url: dashboard.url });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await dashboard.close();
});
