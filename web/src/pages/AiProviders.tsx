import { PageHeader } from "../ui";

export default function AiProviders() {
  return <PageHeader title="AiProviders" description="Coming with this issue." />;
}
