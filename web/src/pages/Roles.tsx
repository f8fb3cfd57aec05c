import { PageHeader } from "../ui";

export default function Roles() {
  return <PageHeader title="Roles" description="Coming with this issue." />;
}
