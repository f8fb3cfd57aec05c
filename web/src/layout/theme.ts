// Light, dark, or as the system says; remembered in this browser.
export type Theme = "system" | "light" | "dark";

export function currentTheme(): Theme {
  const t = localStorage.getItem("tessera.theme");
  return t === "light" || t === "dark" ? t : "system";
}

export function applyTheme(t: Theme = currentTheme()) {
  if (t === "system") {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem("tessera.theme");
  } else {
    document.documentElement.dataset.theme = t;
    localStorage.setItem("tessera.theme", t);
  }
}
