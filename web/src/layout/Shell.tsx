import { useState } from "react";
import type { ReactNode } from "react";
import { useSession, useMe } from "../auth/session";
import { Link, match, useLocation } from "../router";
import { ROUTES, mayOpen } from "../routes";
import { applyTheme, currentTheme, type Theme } from "./theme";

const GROUPS = ["Company", "Ledger", "Knowledge", "Concierge", "Developers", "AI"] as const;

export function Shell({ children }: { children: ReactNode }) {
  const { can, logout, switchTo } = useSession();
  const { me } = useMe();
  const { path } = useLocation();
  const [menu, setMenu] = useState(false);
  const [theme, setTheme] = useState<Theme>(currentTheme());
  const visible = ROUTES.filter((r) => r.group && mayOpen(r, can));
  const current = (p: string) => (match(p, path) ? "page" : undefined);

  return (
    <div className={`shell${menu ? " menu-open" : ""}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <aside className="sidebar" aria-label="Navigation">
        <Link href="/" className="brand" onClick={() => setMenu(false)}>
          <img src="/favicon.svg" alt="" width="24" height="24" /> Tessera
        </Link>
        <nav>
          <ul className="nav">
            <li>
              <Link href="/" aria-current={current("/")} onClick={() => setMenu(false)}>
                Overview
              </Link>
            </li>
          </ul>
          {GROUPS.map((g) => {
            const items = visible.filter((r) => r.group === g);
            if (items.length === 0) return null;
            return (
              <div key={g}>
                <p className="nav-group">{g}</p>
                <ul className="nav">
                  {items.map((r) => (
                    <li key={r.path}>
                      <Link href={r.path} aria-current={current(r.path)} onClick={() => setMenu(false)}>
                        {r.title}
                      </Link>
                    </li>
                  ))}
                </ul>
              </div>
            );
          })}
        </nav>
      </aside>
      <div>
        <header className="topbar">
          <button
            type="button"
            className="btn menu-toggle"
            aria-expanded={menu}
            onClick={() => setMenu((m) => !m)}
          >
            Menu
          </button>
          <div className="row">
            {me.tenants.length > 1 ? (
              <label className="row">
                <span className="visually-hidden">Company</span>
                <select
                  value={me.tenant.slug}
                  onChange={(e) => void switchTo(e.target.value)}
                  aria-label="Switch company"
                >
                  {me.tenants.map((t) => (
                    <option key={t.tenant_id} value={t.slug}>
                      {t.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : (
              <strong>{me.tenant.name}</strong>
            )}
          </div>
          <div className="row">
            <label className="row">
              <span className="visually-hidden">Theme</span>
              <select
                aria-label="Theme"
                value={theme}
                onChange={(e) => {
                  const t = e.target.value as Theme;
                  setTheme(t);
                  applyTheme(t);
                }}
              >
                <option value="system">System theme</option>
                <option value="light">Light</option>
                <option value="dark">Dark</option>
              </select>
            </label>
            <Link href="/account" className="btn btn-ghost">
              {me.user?.name || me.user?.email}
            </Link>
            <button type="button" className="btn" onClick={() => void logout()}>
              Sign out
            </button>
          </div>
        </header>
        <main className="main" id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
