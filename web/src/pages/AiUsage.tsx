import { PageHeader } from "../ui";

export default function AiUsage() {
  return <PageHeader title="AiUsage" description="Coming with this issue." />;
}
