/**
 * The store tasks: run a party's ciphertext store, publish its endpoint, and look after the
 * outbox of undelivered envelope sets. Each action lives in its own file, loaded when it runs.
 */
import { ArgumentType } from "hardhat/types/arguments";

import { withCommon } from "./options.js";

export const storeTasks = [
  withCommon("store:serve", "Run your ciphertext store server (--as the party) until stopped")
    .addOption({
      name: "host",
      description: "Address to listen on",
      type: ArgumentType.STRING,
      defaultValue: "127.0.0.1",
    })
    .addOption({
      name: "port",
      description: "Port to listen on (0: any free port)",
      type: ArgumentType.INT,
      defaultValue: 7001,
    })
    .addOption({
      name: "retrySeconds",
      description: "How often to retry your outbox while serving (0: never)",
      type: ArgumentType.INT,
      defaultValue: 30,
    })
    .setAction(() => import("./store-serve.js"))
    .build(),
  withCommon("store:endpoint", "Publish your store's URL in the on-chain directory")
    .addOption({
      name: "url",
      description: "Base URL of your store, e.g. http://127.0.0.1:7001",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .addFlag({ name: "clear", description: "Withdraw the published endpoint" })
    .setAction(() => import("./store-endpoint.js"))
    .build(),
  withCommon("store:pending", "List the envelope sets waiting in your outbox")
    .setAction(() => import("./store-pending.js"))
    .build(),
  withCommon("store:flush", "Retry delivering every set in your outbox now")
    .setAction(() => import("./store-flush.js"))
    .build(),
  withCommon(
    "store:recover",
    "Rebuild your store from your notifications on-chain and the other parties' replicas",
  )
    .addOption({
      name: "from",
      description: "Replica URLs to try, comma-separated (default: the published stores)",
      type: ArgumentType.STRING,
      defaultValue: "",
    })
    .setAction(() => import("./store-recover.js"))
    .build(),
];
