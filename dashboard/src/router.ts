/** History routing: the path picks the page, `?range=1h|24h` the time range, so a view can be shared. */
import { useEffect, useState } from 'preact/hooks';
import type { Range } from './api.js';

export function useLocation(): URL {
  const [url, setUrl] = useState(() => new URL(location.href));
  useEffect(() => {
    const update = () => setUrl(new URL(location.href));
    addEventListener('popstate', update);
    addEventListener('nimbus:navigate', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('nimbus:navigate', update);
    };
  }, []);
  return url;
}

/** Go to a path, keeping the range (and any query given). */
export function navigate(path: string, query: Record<string, string> = {}): void {
  const next = new URL(path, location.origin);
  const range = new URL(location.href).searchParams.get('range');
  if (range) next.searchParams.set('range', range);
  for (const [k, v] of Object.entries(query)) next.searchParams.set(k, v);
  history.pushState(null, '', next);
  dispatchEvent(new Event('nimbus:navigate'));
}

export function rangeOf(url: URL): Range {
  return url.searchParams.get('range') === '24h' ? '24h' : '1h';
}

/** Calls `load` now, whenever `deps` change, and every 10 s; the latest answer (or error) wins. */
export function usePoll<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: string | undefined }>({ data: undefined, error: undefined });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    const run = () =>
      load().then(
        (data) => live && setState({ data, error: undefined }),
        (err: unknown) => live && setState((s) => ({ data: s.data, error: err instanceof Error ? err.message : String(err) })),
      );
    void run();
    const timer = setInterval(() => void run(), 10_000);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

/** A link that routes in the page. */
export function href(path: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: path,
    onClick: (e: MouseEvent) => {
      if (e.metaKey || e.ctrlKey || e.button !== 0) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
