/** `ui`: a party's dashboard in the browser (the action is in ui-serve.ts, loaded when it runs). */
import { ArgumentType } from "hardhat/types/arguments";

import { withCommon } from "./options.js";

export const uiTask = withCommon("ui", "Start your dashboard in the browser (--as the party)")
  .addOption({
    name: "port",
    description: "TCP port to listen on (default 0: a free one)",
    type: ArgumentType.INT,
    defaultValue: 0,
  })
  .addOption({
    name: "host",
    description: "Address to listen on (default 127.0.0.1: this machine only)",
    type: ArgumentType.STRING,
    defaultValue: "127.0.0.1",
  })
  .setAction(() => import("./ui-serve.js"))
  .build();
