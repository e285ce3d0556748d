import { useCallback, useEffect, useRef, useState } from "react";

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads data and, while `pollEvery(data)` returns a number, loads it again that many ms after each
 * answer (not on a fixed clock, so a slow API is never asked twice at once). Hidden tabs do not poll.
 * Earlier data stays on screen while a reload runs, so live updates never flash a spinner.
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  pollEvery?: (data: T) => number | null,
): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const pollRef = useRef(pollEvery);
  pollRef.current = pollEvery;
  const depsKey = JSON.stringify(deps);
  const lastDepsKey = useRef(depsKey);

  useEffect(() => {
    let cancelled = false;
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await loadRef.current();
        if (cancelled) return;
        setState({ data, loading: false });
        const every = pollRef.current?.(data) ?? null;
        if (every !== null) timer = window.setTimeout(tick, every);
      } catch (error) {
        if (cancelled) return;
        setState((previous) => ({ data: previous.data, error: error as Error, loading: false }));
        // Keep trying while polling: a blip should heal itself, and the error is on screen meanwhile.
        if (pollRef.current) timer = window.setTimeout(tick, 5000);
      }
    };
    const tick = () => {
      if (document.hidden) {
        timer = window.setTimeout(tick, 1000);
        return;
      }
      void run();
    };
    // New question (other filters, another payment): old answers must not show. Same question: keep them.
    const fresh = lastDepsKey.current !== depsKey;
    lastDepsKey.current = depsKey;
    setState((previous) => (fresh ? { loading: true } : { ...previous, loading: true }));
    void run();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [depsKey, nonce]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Live-update cadence: fast while something is still moving, slower otherwise. */
export function pollWhile(moving: boolean, fast = 1500, slow = 5000): number {
  return moving ? fast : slow;
}

/** The current time (ms since the epoch), updated every `everyMs`; one timer per caller, stopped on unmount. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs);
    return () => window.clearInterval(timer);
  }, [everyMs]);
  return now;
}
