import { PageHeader } from "../ui";

export default function ApiKeys() {
  return <PageHeader title="ApiKeys" description="Coming with this issue." />;
}
