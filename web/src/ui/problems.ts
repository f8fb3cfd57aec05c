// Problems as the pages show them: field messages and details made into
// sentences, the first field at fault focused, and dialogs that ask before
// dropping what was typed.
import { ApiError, type Problem } from "../api/client";
import { confirmAction } from "./index";
import { toApiError } from "./hooks";

/** A server message as a sentence: "is taken" → "This is taken." */
export function sentence(s: string): string {
  const t = s.trim().replace(/`([^`]*)`/g, "$1");
  if (!t) return t;
  // A leading name (`users:read …`) keeps its case.
  const c = /^(is|are|has) /.test(t) ? `This ${t}` : /^[a-z]+ /.test(t) ? t[0]!.toUpperCase() + t.slice(1) : t;
  return /[.!?]$/.test(c) ? c : `${c}.`;
}

/** Plainer words for some problem codes, for the detail or every field. */
export interface Plain {
  detail?: Record<string, string>;
  field?: Record<string, string>;
}

/** An error with its problem's messages as sentences (or plainer words). */
export function humaneProblem(e: unknown, plain: Plain = {}): ApiError {
  const err = toApiError(e);
  const p = err.problem;
  if (!p) return err;
  const errors = p.errors?.map((f) => ({ ...f, message: plain.field?.[p.code] ?? sentence(f.message) }));
  const detail = plain.detail?.[p.code] ?? sentence(p.detail ?? p.title);
  return new ApiError(err.status, { ...p, detail, errors } as Problem, err.message);
}

/** After a refused submit: focus the first field at fault, or show the message. */
export function showProblem(form: HTMLFormElement) {
  window.requestAnimationFrame(() => {
    const field = form.querySelector<HTMLElement>('[aria-invalid="true"], fieldset.field-error input:not(:disabled)');
    if (field) field.focus();
    else form.querySelector(".alert")?.scrollIntoView({ block: "nearest" });
  });
}

/** Closing a dialog with unsaved changes asks first (Esc included). */
export function askBeforeClosing(dirty: boolean, close: () => void) {
  return (e?: { type?: string; preventDefault?: () => void }) => {
    if (dirty && !confirmAction("Discard what you entered?")) {
      if (e?.type === "cancel") e.preventDefault?.();
      return;
    }
    close();
  };
}
