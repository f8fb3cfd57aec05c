import { PageHeader } from "../ui";

export default function AiPolicy() {
  return <PageHeader title="AiPolicy" description="Coming with this issue." />;
}
