/**
 * The page's only way out: JSON calls to its own server. Every state change carries the
 * session token the server put in the page; nothing else is ever contacted.
 */
const sessionToken =
  document.querySelector<HTMLMetaElement>('meta[name="session-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind?: string,
    readonly fields: Record<string, string[]> = {},
    readonly hint?: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers:
        body === undefined
          ? {}
          : { "content-type": "application/json", "x-session-token": sessionToken },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "the dashboard server cannot be reached", "unavailable");
  }
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    throw new ApiError(
      response.status,
      String(data.error ?? response.statusText),
      data.kind as string | undefined,
      (data.fields as Record<string, string[]>) ?? {},
      data.hint as string | undefined,
    );
  }
  return data as T;
}

export const get = <T>(path: string) => call<T>("GET", path);
export const post = <T>(path: string, body: unknown) => call<T>("POST", path, body);
