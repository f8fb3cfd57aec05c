import { PageHeader } from "../ui";

export default function Webhooks() {
  return <PageHeader title="Webhooks" description="Coming with this issue." />;
}
