import { PageHeader } from "../ui";

export default function Team() {
  return <PageHeader title="Team" description="Coming with this issue." />;
}
