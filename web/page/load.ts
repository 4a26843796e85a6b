/** Loads a JSON resource and reloads it whenever `tick` changes (a live notice arrived). */
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";

import { ApiError, get } from "./api.js";

export function useLoad<T>(path: string, tick: number) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [failure, setFailure] = useState<ApiError | undefined>(undefined);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    let live = true;
    get<T>(path).then(
      (value) => {
        if (!live) return;
        setData(value);
        setFailure(undefined);
      },
      (e: ApiError) => live && setFailure(e),
    );
    return () => {
      live = false;
    };
  }, [path, tick, reload]);
  const error =
    failure === undefined
      ? undefined
      : html`<p class="error" role="alert" data-testid="error">${failure.message}</p>`;
  return { data, failure, error, reload: () => setReload((n) => n + 1) };
}
