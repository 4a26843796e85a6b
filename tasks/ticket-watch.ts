import { watch } from "../lib/app/watch.js";
import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default roleTask(async (args: CommonArgs & { once: boolean; interval: number }, open) => {
  const { app, out, actor } = await open();
  // Ctrl-C or SIGTERM ends the loop after the notice being delivered: the cursor stays right.
  const stop = new AbortController();
  const abort = () => stop.abort();
  if (!args.once) {
    process.once("SIGINT", abort);
    process.once("SIGTERM", abort);
    out.line(out.colors.dim(`watching for ${actor.party.name}; Ctrl-C to stop`));
  }
  return watch(app, actor, {
    once: args.once,
    intervalMs: args.interval,
    signal: stop.signal,
    deliver: (n) => {
      if (out.json)
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
        out.line(`[block ${n.block}] ${n.kind === "my-turn" ? out.colors.yellow(n.text) : n.text}`);
    },
    onError: (message) => process.stderr.write(`warning: ${message}; retrying\n`),
  }).finally(() => {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  });
});
