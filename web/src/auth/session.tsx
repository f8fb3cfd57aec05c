// Who is signed in, kept for the whole app.
//
// The refresh token never reaches this code: every call that yields a
// session sends `Tessera-Session: cookie`, so the server keeps it in an
// HttpOnly, Secure, SameSite=Strict cookie scoped to /api/v1/auth. The
// access token is kept in memory and renewed a minute before it expires
// (and after a reload) through POST /api/v1/auth/session/refresh.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import type { ReactNode } from "react";
import { ApiError, COOKIE_SESSION, api, call, setAccessToken, setRefresher, type Schemas } from "../api/client";

export type Session = Schemas["Session"];
export type Me = Schemas["Me"];

type State =
  | { status: "loading" }
  | { status: "out"; message?: string }
  | { status: "in"; session: Session; me: Me };

export interface SessionApi {
  state: State;
  /** Whether the signed-in caller holds a permission (`users:write`). */
  can: (permission: string) => boolean;
  /** The signed-in company's time zone (dates are shown in it). */
  timeZone: string;
  login: (email: string, password: string, slug?: string) => Promise<void>;
  signup: (body: Schemas["SignupRequest"]) => Promise<void>;
  acceptInvitation: (body: Schemas["AcceptInvitation"]) => Promise<void>;
  switchTo: (slug: string) => Promise<void>;
  logout: () => Promise<void>;
  /** Re-reads the caller (after a change to their roles or company). */
  reload: () => Promise<void>;
}

const Ctx = createContext<SessionApi | null>(null);

export function useSession(): SessionApi {
  const s = useContext(Ctx);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/** The signed-in caller; only for pages behind the sign-in. */
export function useMe(): { session: Session; me: Me } {
  const { state } = useSession();
  if (state.status !== "in") throw new Error("useMe while signed out");
  return state;
}

const ENDED = "Your session has ended. Please sign in again.";

/**
 * Exchanges the cookie for a new access token. Tabs of one browser share
 * the cookie and each refresh replaces it, so they take turns (Web Locks):
 * a tab presenting a token another tab had just replaced would look like a
 * stolen token and end the session.
 */
async function refreshFromCookie(): Promise<Session> {
  const run = () => call(api.POST("/api/v1/auth/session/refresh", { params: { header: COOKIE_SESSION } }));
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("tessera-session-refresh", run);
  }
  return run();
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ status: "loading" });
  const timer = useRef<number | undefined>(undefined);
  const inflight = useRef<Promise<boolean> | null>(null);

  const schedule = useCallback((session: Session) => {
    window.clearTimeout(timer.current);
    const ms = Math.max(5, session.expires_in - 60) * 1000;
    timer.current = window.setTimeout(() => void renew(), ms);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const enter = useCallback(
    async (session: Session) => {
      setAccessToken(session.access_token);
      const me = await call(api.GET("/api/v1/me"));
      schedule(session);
      setState({ status: "in", session, me });
    },
    [schedule],
  );

  const leave = useCallback((message?: string) => {
    window.clearTimeout(timer.current);
    setAccessToken(null);
    setState({ status: "out", message });
  }, []);

  // One renewal at a time, however many requests found the token stale.
  const renew = useCallback((): Promise<boolean> => {
    if (inflight.current) return inflight.current;
    const p = (async () => {
      try {
        const session = await refreshFromCookie();
        await enter(session);
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.status !== 0) leave(ENDED);
        return false;
      } finally {
        inflight.current = null;
      }
    })();
    inflight.current = p;
    return p;
  }, [enter, leave]);

  useEffect(() => {
    setRefresher(renew);
    // After a reload the cookie may still hold a session (its readable
    // companion says whether there is one).
    (async () => {
      if (!document.cookie.split(";").some((c) => c.trim() === "tessera_signed_in=1")) {
        setState({ status: "out" });
        return;
      }
      try {
        const session = await refreshFromCookie();
        await enter(session);
      } catch (e) {
        // The cookie said there was a session, and it is gone.
        setAccessToken(null);
        setState({ status: "out", message: e instanceof ApiError && e.status === 401 ? ENDED : undefined });
      }
    })();
    return () => {
      setRefresher(null);
      window.clearTimeout(timer.current);
    };
  }, [enter, renew]);

  const value = useMemo<SessionApi>(() => {
    const perms = state.status === "in" ? new Set(state.me.permissions) : new Set<string>();
    return {
      state,
      can: (p) => perms.has(p),
      timeZone: state.status === "in" ? state.me.tenant.time_zone : "Asia/Kolkata",
      login: async (email, password, slug) => {
        const session = await call(
          api.POST("/api/v1/auth/login", {
            params: { header: COOKIE_SESSION },
            body: { email, password, slug: slug || null },
          }),
        );
        await enter(session);
      },
      signup: async (body) => {
        const session = await call(api.POST("/api/v1/auth/signup", { params: { header: COOKIE_SESSION }, body }));
        await enter(session);
      },
      acceptInvitation: async (body) => {
        const session = await call(
          api.POST("/api/v1/auth/invitations/accept", { params: { header: COOKIE_SESSION }, body }),
        );
        await enter(session);
      },
      switchTo: async (slug) => {
        const session = await call(
          api.POST("/api/v1/auth/switch", { params: { header: COOKIE_SESSION }, body: { slug } }),
        );
        await enter(session);
      },
      logout: async () => {
        try {
          await call(api.POST("/api/v1/auth/logout", { params: { header: COOKIE_SESSION }, body: {} }));
        } finally {
          leave();
        }
      },
      reload: async () => {
        if (state.status === "in") await enter(state.session);
      },
    };
  }, [state, enter, leave]);

  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
