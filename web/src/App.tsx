import { Suspense, useEffect } from "react";
import { SessionProvider, useSession } from "./auth/session";
import { Shell } from "./layout/Shell";
import { match, navigate, useLocation } from "./router";
import { PUBLIC_ROUTES, ROUTES, mayOpen } from "./routes";
import { Alert } from "./ui";

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}

function Loading() {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading…
    </p>
  );
}

function Routes() {
  const { state, can } = useSession();
  const { path, query } = useLocation();
  const open = PUBLIC_ROUTES.find((r) => match(r.path, path));

  useEffect(() => {
    if (state.status === "out" && !open) {
      const back = path === "/" ? "" : `?next=${encodeURIComponent(path + (query.size ? `?${query}` : ""))}`;
      navigate(`/login${back}`, { replace: true });
    }
    if (state.status === "in" && open && path !== "/invitations/accept") {
      navigate(query.get("next") ?? "/", { replace: true });
    }
  }, [state.status, open, path, query]);

  if (state.status === "loading") {
    return (
      <main className="auth">
        <Loading />
      </main>
    );
  }
  if (state.status === "out" || (open && path === "/invitations/accept")) {
    if (!open) return null;
    const Page = open.page;
    return (
      <main className="auth" id="main">
        <Suspense fallback={<Loading />}>
          <Page params={{}} />
        </Suspense>
      </main>
    );
  }
  let params: Record<string, string> = {};
  const route = ROUTES.find((r) => {
    const m = match(r.path, path);
    if (m) params = m;
    return m !== null;
  });
  let content;
  if (!route) {
    content = (
      <>
        <h1>Page not found</h1>
        <p>There is no page at {path}.</p>
      </>
    );
  } else if (route.permission && !mayOpen(route, can)) {
    const needed = typeof route.permission === "string" ? [route.permission] : route.permission;
    content = (
      <>
        <h1>{route.title}</h1>
        <Alert kind="warning">
          <p>
            Your role does not allow this page (it needs the{" "}
            {needed.map((p, i) => (
              <span key={p}>
                {i > 0 ? " or " : ""}
                <code>{p}</code>
              </span>
            ))}{" "}
            permission). Ask an admin of
            your company if you need it.
          </p>
        </Alert>
      </>
    );
  } else {
    const Page = route.page;
    content = (
      <Suspense fallback={<Loading />}>
        <Page key={path} params={params} />
      </Suspense>
    );
  }
  return <Shell>{content}</Shell>;
}
