// Every page of the console: its path, its title in the navigation, and
// the permission it needs, or the permissions any one of which opens it
// (the navigation hides what the caller cannot use; the page says so if
// reached anyway, and the API refuses it too).
// Pages are loaded on first visit, so the first page stays small.
import { lazy } from "react";
import type { ComponentType, LazyExoticComponent } from "react";

export interface PageRoute {
  path: string;
  title: string;
  /** The navigation group; none: not in the navigation. */
  group?: "Company" | "Ledger" | "Knowledge" | "Concierge" | "Developers" | "AI";
  /** The permission it needs; several: any one of them. */
  permission?: string | string[];
  page: LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;
}

const page = (load: () => Promise<{ default: ComponentType<{ params: Record<string, string> }> }>) => lazy(load);
const inbox = page(() => import("./pages/Inbox"));

export const ROUTES: PageRoute[] = [
  { path: "/", title: "Overview", page: page(() => import("./pages/Overview")) },
  { path: "/settings/company", title: "Company", group: "Company", permission: "tenant:read", page: page(() => import("./pages/Company")) },
  { path: "/team", title: "Team", group: "Company", permission: "users:read", page: page(() => import("./pages/Team")) },
  { path: "/team/roles", title: "Roles", group: "Company", permission: "roles:read", page: page(() => import("./pages/Roles")) },
  { path: "/audit", title: "Audit log", group: "Company", permission: "audit:read", page: page(() => import("./pages/Audit")) },
  { path: "/parties", title: "Parties", group: "Ledger", permission: "parties:read", page: page(() => import("./pages/Parties")) },
  { path: "/parties/:id", title: "Party", permission: "parties:read", page: page(() => import("./pages/Party")) },
  { path: "/items", title: "Items", group: "Ledger", permission: "items:read", page: page(() => import("./pages/Items")) },
  { path: "/invoices", title: "Invoices", group: "Ledger", permission: "invoices:read", page: page(() => import("./pages/LedgerDocs").then((m) => ({ default: m.Invoices }))) },
  { path: "/invoices/new", title: "New invoice", permission: "invoices:create", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.NewInvoice }))) },
  { path: "/invoices/:id", title: "Invoice", permission: "invoices:read", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.InvoicePage }))) },
  { path: "/quotations", title: "Quotations", group: "Ledger", permission: "quotations:read", page: page(() => import("./pages/LedgerDocs").then((m) => ({ default: m.Quotations }))) },
  { path: "/quotations/new", title: "New quotation", permission: "quotations:create", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.NewQuotation }))) },
  { path: "/quotations/:id", title: "Quotation", permission: "quotations:read", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.QuotationPage }))) },
  { path: "/bills", title: "Purchase bills", group: "Ledger", permission: "invoices:read", page: page(() => import("./pages/LedgerDocs").then((m) => ({ default: m.Bills }))) },
  { path: "/bills/new", title: "New purchase bill", permission: "bills:write", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.NewBill }))) },
  { path: "/bills/:id", title: "Purchase bill", permission: "invoices:read", page: page(() => import("./pages/LedgerDoc").then((m) => ({ default: m.BillPage }))) },
  { path: "/payments", title: "Payments", group: "Ledger", permission: "payments:read", page: page(() => import("./pages/Payments")) },
  { path: "/books", title: "Books", group: "Ledger", permission: "books:read", page: page(() => import("./pages/Books")) },
  { path: "/reports", title: "Reports", group: "Ledger", permission: "books:read", page: page(() => import("./pages/Reports")) },
  { path: "/gst", title: "GST", group: "Ledger", permission: ["gst:settings", "gst:returns"], page: page(() => import("./pages/Gst")) },
  { path: "/documents", title: "Documents", group: "Knowledge", permission: "documents:read", page: page(() => import("./pages/Documents")) },
  { path: "/documents/:id", title: "Document", permission: "documents:read", page: page(() => import("./pages/Document")) },
  { path: "/search", title: "Search", group: "Knowledge", permission: "knowledge:ask", page: page(() => import("./pages/Search")) },
  { path: "/chat", title: "Chat", group: "Knowledge", permission: "knowledge:ask", page: page(() => import("./pages/Chat")) },
  { path: "/chat/:id", title: "Chat", permission: "knowledge:ask", page: page(() => import("./pages/Chat")) },
  { path: "/knowledge/settings", title: "Knowledge settings", group: "Knowledge", permission: "knowledge:admin", page: page(() => import("./pages/KnowledgeSettings")) },
  { path: "/inbox", title: "Inbox", group: "Concierge", permission: "conversations:read", page: inbox },
  { path: "/inbox/:id", title: "Conversation", permission: "conversations:read", page: inbox },
  { path: "/channels", title: "Channels", group: "Concierge", permission: "conversations:read", page: page(() => import("./pages/Channels")) },
  { path: "/concierge/settings", title: "Bot settings", group: "Concierge", permission: "conversations:read", page: page(() => import("./pages/BotSettings")) },
  { path: "/concierge/analytics", title: "Concierge analytics", group: "Concierge", permission: "conversations:read", page: page(() => import("./pages/ConciergeAnalytics")) },
  { path: "/api-keys", title: "API keys", group: "Developers", permission: "api_keys:read", page: page(() => import("./pages/ApiKeys")) },
  { path: "/webhooks", title: "Webhooks", group: "Developers", permission: "webhooks:read", page: page(() => import("./pages/Webhooks")) },
  { path: "/webhooks/:id", title: "Webhook", permission: "webhooks:read", page: page(() => import("./pages/Webhook")) },
  { path: "/jobs", title: "Background jobs", group: "Developers", permission: "jobs:read", page: page(() => import("./pages/Jobs")) },
  { path: "/ai/providers", title: "Providers", group: "AI", permission: "ai:admin", page: page(() => import("./pages/AiProviders")) },
  { path: "/ai/policy", title: "Routing & budget", group: "AI", permission: "ai:admin", page: page(() => import("./pages/AiPolicy")) },
  { path: "/ai/usage", title: "Usage", group: "AI", permission: "ai_usage:read", page: page(() => import("./pages/AiUsage")) },
  { path: "/playground", title: "Playground", group: "AI", permission: "ai:use", page: page(() => import("./pages/Playground")) },
  { path: "/account", title: "Your account", page: page(() => import("./pages/Account")) },
];

/** Whether the caller may open a page. */
export function mayOpen(route: PageRoute, can: (permission: string) => boolean): boolean {
  if (!route.permission) return true;
  return typeof route.permission === "string" ? can(route.permission) : route.permission.some(can);
}

/** Pages for people who are not signed in. */
export const PUBLIC_ROUTES: PageRoute[] = [
  { path: "/login", title: "Sign in", page: page(() => import("./pages/auth/Login")) },
  { path: "/signup", title: "Create a company", page: page(() => import("./pages/auth/Signup")) },
  { path: "/password/forgot", title: "Forgotten password", page: page(() => import("./pages/auth/Forgot")) },
  { path: "/password/reset", title: "New password", page: page(() => import("./pages/auth/Reset")) },
  { path: "/invitations/accept", title: "Join a company", page: page(() => import("./pages/auth/Accept")) },
];
