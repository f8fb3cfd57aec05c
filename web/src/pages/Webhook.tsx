import { PageHeader } from "../ui";

export default function Webhook() {
  return <PageHeader title="Webhook" description="Coming with this issue." />;
}
