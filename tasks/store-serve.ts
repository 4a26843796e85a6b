import { join } from "node:path";

import { deriveKeyRing } from "../lib/app/keys.js";
import { InputError } from "../lib/errors.js";
import { requireKey } from "../lib/app/sealing.js";
import { roleTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";
import { startStoreServer } from "../lib/store/server.js";

interface Args extends CommonArgs {
  host: string;
  port: number;
  retrySeconds: number;
}

export default roleTask(async (args: Args, open) => {
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
    throw new InputError(`--port ${args.port} is not a TCP port`, { hint: "use 0 to 65535" });
  }
  if (args.retrySeconds < 0) {
    throw new InputError("--retry-seconds must not be negative");
  }
  const { app, out, actor } = await open();
  requireKey(actor);
  const server = await startStoreServer({
    root: join(app.dataDir, "store"),
    registry: app.registry,
    chainId: app.chainId,
    owner: { address: actor.party.address, keys: actor.keys },
    refreshOwnerKeys: async () => {
      app.registry.refreshParties();
      const party = await app.registry.party(actor.party.address);
      return deriveKeyRing(actor.signer, app.chainId, app.registry.address, party.keyVersion);
    },
    host: args.host,
    port: args.port,
    outbox:
      app.delivery === undefined
        ? undefined
        : { flush: () => app.delivery!.flush(actor.party.address) },
    retryIntervalMs: args.retrySeconds * 1000,
  });
  out.ok(`store of ${actor.party.name} listening on ${server.url}`);
  const published = await app.registry.read(() =>
    app.registry.contract.storeEndpoint(actor.party.address),
  );
  if (published !== server.url) {
    out.warn(
      `the directory lists ${published === "" ? "no endpoint" : published} for ${actor.party.name}; publish this one with \`npx hardhat store:endpoint --as ${actor.party.name} --url ${server.url}\``,
    );
  }
  out.result({ party: actor.party.address, url: server.url });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await server.close();
  out.line("store stopped");
  return server.url;
});
