/** Store endpoints as published in the on-chain directory. */
import { InputError } from "../errors.js";

/** Longest endpoint accepted: it is stored on-chain, every byte costs gas. */
export const MAX_ENDPOINT_LENGTH = 200;

/** Validates and normalises a store URL: http(s), no credentials, query or fragment. */
export function checkEndpointUrl(text: string): string {
  const hint = "give the store's base URL, e.g. --url http://127.0.0.1:7001";
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new InputError(`--url ${JSON.stringify(text)} is not a URL`, { hint });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InputError(`--url must use http or https, not ${url.protocol.replace(":", "")}`, {
      hint,
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new InputError("--url must not carry credentials: it is published on-chain", { hint });
  }
  if (url.search !== "" || url.hash !== "") {
    throw new InputError("--url must not carry a query or fragment", { hint });
  }
  const normalised = url.toString().replace(/\/+$/, "");
  if (normalised.length > MAX_ENDPOINT_LENGTH) {
    throw new InputError(
      `--url is ${normalised.length} characters; at most ${MAX_ENDPOINT_LENGTH}`,
      { hint },
    );
  }
  return normalised;
}
