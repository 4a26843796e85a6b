import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { watch } from "../lib/app/watch.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (
  args: CommonArgs & { once: boolean; interval: number },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    // Ctrl-C or SIGTERM ends the loop after the notice being delivered: the cursor stays right.
    const stop = new AbortController();
    const abort = () => stop.abort();
    if (!args.once) {
      process.once("SIGINT", abort);
      process.once("SIGTERM", abort);
      app.out.line(app.out.colors.dim(`watching for ${actor.party.name}; Ctrl-C to stop`));
    }
    return watch(app, actor, {
      once: args.once,
      intervalMs: args.interval,
      signal: stop.signal,
      deliver: (n) => {
        if (app.out.json)
          process.stdout.write(
            JSON.stringify({
              kind: n.kind,
              id: n.id,
              ticketKey: n.ticketKey,
              block: n.block,
              logIndex: n.logIndex,
              text: n.text,
            }) + "\n",
          );
        else
          app.out.line(
            `[block ${n.block}] ${n.kind === "my-turn" ? app.out.colors.yellow(n.text) : n.text}`,
          );
      },
      onError: (message) => process.stderr.write(`warning: ${message}; retrying\n`),
    }).finally(() => {
      process.off("SIGINT", abort);
      process.off("SIGTERM", abort);
    });
  });
}
