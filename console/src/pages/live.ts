import { useEffect, useState } from 'preact/hooks';

/** Loads `fetcher` now and every `ms` (pages stay current without a reload); `deps` restart it. */
export function usePolling<T>(fetcher: () => Promise<T>, ms: number, deps: unknown[] = []) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      fetcher()
        .then((value) => {
          if (!stopped) {
            setData(value);
            setError('');
          }
        })
        // An abort is the person logging out (api.ts): the page is about to go, nothing to show.
        .catch((failure: Error) => !stopped && failure.name !== 'AbortError' && setError(failure.message));
    void load();
    const timer = setInterval(load, ms);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}
