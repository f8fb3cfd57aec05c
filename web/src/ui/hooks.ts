// Loading, paging and form state that every page shares.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError } from "../api/client";
import { useLeaveGuard } from "../router";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  /**
   * Loads again without showing it (for polling): `loading` stays false,
   * a failure keeps the data shown, and nothing starts while a load is
   * still under way.
   */
  refresh: () => void;
}

/** Runs `load` when `deps` change; the last answer wins. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const inflight = useRef(false);
  const quiet = useRef(false);
  useEffect(() => {
    const mine = ++seq.current;
    const silent = quiet.current;
    quiet.current = false;
    inflight.current = true;
    if (!silent) {
      setLoading(true);
      setError(undefined);
    }
    load()
      .then((d) => {
        if (mine !== seq.current) return;
        setData(d);
        if (silent) setError(undefined);
      })
      .catch((e: unknown) => {
        if (mine === seq.current && !silent) setError(toApiError(e));
      })
      .finally(() => {
        if (mine !== seq.current) return;
        inflight.current = false;
        if (!silent) setLoading(false);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const refresh = useCallback(() => {
    if (inflight.current) return;
    quiet.current = true;
    setTick((t) => t + 1);
  }, []);
  return { data, error, loading, reload, refresh };
}

export function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, null, e instanceof Error ? e.message : String(e));
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Paged<T> extends Loaded<Page<T>> {
  items: T[];
  /** The cursors of the pages before this one. */
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
}

/** A cursor-paged list: one page in memory, back and forth. */
export function usePaged<T>(load: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  // A change of filters starts from the first page.
  const key = JSON.stringify(deps);
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setStack([undefined]);
  }
  const cursor = stack[stack.length - 1];
  const loaded = useLoad(() => load(cursor), [key, cursor]);
  return {
    ...loaded,
    items: loaded.data?.items ?? [],
    hasPrevious: stack.length > 1,
    next: () => {
      const c = loaded.data?.next_cursor;
      if (c) setStack((s) => [...s, c]);
    },
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
  };
}

export interface More<T> {
  /** Every item loaded so far, in the list's order. */
  items: T[];
  loading: boolean;
  error: ApiError | undefined;
  /** Whether the server has more after these. */
  hasMore: boolean;
  /** Loads the next page onto the end (nothing while one is loading). */
  more: () => void;
  /** Starts again from the first page. */
  reload: () => void;
}

/** A cursor-paged list that grows ("Load more") instead of turning pages. */
export function useMore<T>(load: (cursor: string | undefined) => Promise<Page<T>>, deps: unknown[]): More<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError>();
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const busy = useRef(false);
  const loader = useRef(load);
  loader.current = load;
  const fetchPage = useCallback((from: string | undefined) => {
    const mine = ++seq.current;
    busy.current = true;
    setLoading(true);
    setError(undefined);
    loader
      .current(from)
      .then((p) => {
        if (mine !== seq.current) return;
        setItems((old) => (from === undefined ? p.items : [...old, ...p.items]));
        setCursor(p.next_cursor || null);
      })
      .catch((e: unknown) => {
        if (mine === seq.current) setError(toApiError(e));
      })
      .finally(() => {
        if (mine !== seq.current) return;
        busy.current = false;
        setLoading(false);
      });
  }, []);
  useEffect(() => {
    fetchPage(undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const more = useCallback(() => {
    if (!busy.current && cursor !== null) fetchPage(cursor);
  }, [cursor, fetchPage]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { items, loading, error, hasMore: cursor !== null, more, reload };
}

export interface FormState<T> {
  values: T;
  set: <K extends keyof T>(key: K, value: T[K]) => void;
  reset: (values: T) => void;
  dirty: boolean;
  busy: boolean;
  /** Field path → message, from the server's problem document. */
  errors: Record<string, string>;
  /** What went wrong that no field explains. */
  failure: string | undefined;
  submit: (run: (values: T) => Promise<unknown>) => Promise<boolean>;
}

/**
 * A form's values, whether they changed (leaving asks first), and the
 * server's verdict: each field the problem names gets its message; the
 * rest is shown above the form.
 */
export function useForm<T extends object>(initial: T, fields: string[] = []): FormState<T> {
  const [values, setValues] = useState(initial);
  const [saved, setSaved] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(values) !== JSON.stringify(saved);
  useLeaveGuard(dirty && !busy);
  return {
    values,
    set: (key, value) => {
      setValues((v) => ({ ...v, [key]: value }));
      setErrors((e) => {
        if (!(String(key) in e)) return e;
        const rest = { ...e };
        delete rest[String(key)];
        return rest;
      });
    },
    reset: (v) => {
      setValues(v);
      setSaved(v);
      setErrors({});
      setFailure(undefined);
    },
    dirty,
    busy,
    errors,
    failure,
    submit: async (run) => {
      setBusy(true);
      setErrors({});
      setFailure(undefined);
      try {
        await run(values);
        setSaved(values);
        return true;
      } catch (e) {
        const err = toApiError(e);
        const named = err.fields();
        const known = Object.keys(named).filter((f) => fields.length === 0 || fields.some((k) => f === k || f.startsWith(`${k}.`) || f.startsWith(`${k}[`)));
        setErrors(Object.fromEntries(known.map((k) => [rootField(k, fields), named[k] ?? ""])));
        const unexplained = known.length === 0 || known.length < Object.keys(named).length;
        setFailure(unexplained ? err.message : undefined);
        return false;
      } finally {
        setBusy(false);
      }
    },
  };
}

function rootField(path: string, fields: string[]): string {
  return fields.find((f) => path === f || path.startsWith(`${f}.`) || path.startsWith(`${f}[`)) ?? path;
}
