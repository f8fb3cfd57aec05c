import { useMe, useSession } from "../auth/session";
import { Link } from "../router";
import { ROUTES, mayOpen } from "../routes";
import { PageHeader } from "../ui";

export default function Overview() {
  const { me } = useMe();
  const { can } = useSession();
  const pages = ROUTES.filter((r) => r.group && mayOpen(r, can));
  return (
    <>
      <PageHeader title={me.tenant.name} description={`Signed in as ${me.user?.email ?? "an API key"} · ${me.roles.join(", ") || "no role"}`} />
      <div className="card">
        <h2>Where to go</h2>
        {pages.length === 0 ? (
          <p>Your role gives you no pages here yet. Ask an admin of {me.tenant.name} for the access you need.</p>
        ) : (
          <ul>
            {pages.map((r) => (
              <li key={r.path}>
                <Link href={r.path}>{r.title}</Link>
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}
